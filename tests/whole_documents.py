"""Generated collections for whole-document questions (issue 16 §2): ten two-page PDFs, each
holding one deadline on its second page after a page of background, in English and in
Chinese. A "list every deadline" question must name all ten and cite each one's page 2.
Used by tests/test_whole_documents.py and bench/whole_documents.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.grounded.documents import write_pdf


@dataclass(frozen=True)
class Deadline:
    file: str
    project: str
    date: str  # as written in the document (and looked for in the answer)


_EN = [
    ("Harbor Bridge repainting", "14 March 2031"),
    ("Northfield library roof", "2 April 2031"),
    ("Cedar Street water main", "19 May 2031"),
    ("Riverside school heating", "7 June 2031"),
    ("Old Mill footbridge", "23 July 2031"),
    ("Eastgate bus depot", "11 August 2031"),
    ("Lakeside clinic wiring", "5 September 2031"),
    ("Hilltop reservoir fence", "28 October 2031"),
    ("Market Square paving", "16 November 2031"),
    ("Westbrook tram shelter", "9 December 2031"),
]
_ZH = [
    ("港湾大桥重新涂装", "2031年3月14日"),
    ("北田图书馆屋顶维修", "2031年4月2日"),
    ("雪松街供水管道更换", "2031年5月19日"),
    ("河畔学校供暖改造", "2031年6月7日"),
    ("老磨坊人行桥加固", "2031年7月23日"),
    ("东门公交车场扩建", "2031年8月11日"),
    ("湖滨诊所电路更新", "2031年9月5日"),
    ("山顶水库围栏修建", "2031年10月28日"),
    ("集市广场路面铺设", "2031年11月16日"),
    ("西溪电车候车亭建设", "2031年12月9日"),
]
QUESTION = {
    "en": "List every deadline in these documents.",
    "zh": "列出这些文档中的每一个截止日期。",
}


def _english(project: str, date: str, k: int) -> tuple[str, str]:
    background = (
        f"This memo describes the {project} project of the city works office. "
        f"The council approved the work after a public meeting in district {k + 3}."
    )
    return background, f"Schedule. The {project} must be finished by {date}."


def _chinese(project: str, date: str, k: int) -> tuple[str, str]:
    background = (
        f"本备忘录介绍市政工程办公室的{project}项目。"
        f"该工程在第{k + 3}区召开公众会议后获得议会批准。"
    )
    return background, f"工期安排。{project}必须在{date}之前完成。"


def write_collection(
    folder: Path, language: str, count: int = 10
) -> tuple[list[Path], list[Deadline]]:
    """``count`` PDFs in ``folder`` (language "en" or "zh"); their paths and deadlines.
    Past ten the projects come again as later phases, a year later each time."""
    folder.mkdir(parents=True, exist_ok=True)
    chinese = language == "zh"
    base = _ZH if chinese else _EN
    paths, deadlines = [], []
    for k in range(count):
        project, date = base[k % len(base)]
        later = k // len(base)
        if later:
            project = f"{project}第{later + 1}期" if chinese else f"{project} phase {later + 1}"
            date = date.replace("2031", str(2031 + later))
        name = f"memo-{language}-{k + 1:02d}.pdf"
        pages = (_chinese if chinese else _english)(project, date, k)
        title = f"{project}备忘录" if chinese else f"Memo: {project}"
        paths.append(write_pdf(folder / name, pages, title=title, chinese=chinese))
        deadlines.append(Deadline(name, project, date))
    return paths, deadlines
