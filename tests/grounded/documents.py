"""The documents the grounded question set asks about, written deterministically.

Every fact is invented (names, numbers, dates), so a model cannot answer from what it
learned in training, and each document also holds similar-looking numbers and names that
a careless answer or a wrong citation would pick up. A fact sits inside one sentence, and
the Chinese PDF breaks its lines only after punctuation, so the text a reader gets back
still holds each fact whole.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

# ---- English: a PDF annual report (one page per section) --------------------------------

ORCHARD_PDF: Final = "veltmoor-orchard-report.pdf"
ORCHARD_PAGES: Final = (
    # page 1
    "Veltmoor Orchard Cooperative, Annual Report 2031. Overview. "
    "The Veltmoor Orchard Cooperative was founded on 14 March 1987 by Ilse Brandvold in the "
    "village of Harrowgate Fen. In 2031 the cooperative counted 212 member farms. "
    "Together the member farms cultivate 3,460 hectares of orchard on the clay slopes east of "
    "the river Quell. The cooperative is governed by a board of nine members elected for four "
    "years. Its offices moved to the old grain hall on Tanner Street in 2019.",
    # page 2
    "Harvest. The 2031 apple harvest reached 8,915 tonnes, up from 7,730 tonnes in 2030. "
    "The Scarlet Wrenfield variety made up 41 percent of the harvest, the Golden Aster "
    "variety 23 percent. Pear orchards yielded 1,204 tonnes. "
    "The cold store at Quillan Ridge holds up to 2,300 tonnes of fruit at 1.5 degrees Celsius. "
    "Frost on the night of 27 April destroyed blossoms on about 180 hectares.",
    # page 3
    "Finance. Total revenue for 2031 was 17.4 million euros, of which juice sales brought "
    "4.9 million euros. On 9 November 2031 the board approved a dividend of 62 euros per "
    "member share. The cooperative's treasurer is Marcus Oyelaran-Pike. "
    "A loan of 2.1 million euros financed the new sorting line, which sorts 38 apples per second.",
    # page 4
    "People and safety. The orchard safety officer, Tomasz Haddley, inspects every ladder "
    "each Monday before picking starts. Seasonal pickers earn a bonus of 3 euros per crate "
    "above a daily quota of 45 crates. In 2031 the cooperative employed 96 seasonal pickers "
    "and 31 permanent staff. First aid training is held every year in the second week of "
    "August.",
)

# ---- English: a Markdown manual ------------------------------------------------------------

RADIO_MD: Final = "kestrel-9-radio-manual.md"
RADIO_TEXT: Final = """# Kestrel-9 Field Radio Manual

## Power

The Kestrel-9 runs on the KB-47 battery pack, which lasts 19 hours of receive time or
6 hours of continuous transmission. A full charge takes 140 minutes on the desk charger.
The radio weighs 735 grams without the battery pack.

## Channels

The Kestrel-9 offers 48 channels. The emergency channel is channel 31, which the radio
always scans first. Channels 1 to 12 are reserved for the harbour authority. Channel
spacing is 12.5 kHz.

## Maintenance

The antenna must be replaced every 600 operating hours. Clean the contacts of the battery
pack with a dry cloth once a month. To make a factory reset, hold the MENU and SQUELCH keys
together for 12 seconds. The seals of the casing keep water out to a depth of 2 metres for
30 minutes.

## Service and warranty

Warranty claims go to the service centre in Lindqvist Harbour within 90 days of the fault.
The warranty lasts 3 years from the date of purchase. Firmware version 4.2.8 added the
scan of the emergency channel; it was released on 2 February 2030.
"""

# ---- Chinese: a PDF annual report ----------------------------------------------------------

LAKE_PDF: Final = "qinglan-lake-station-report.pdf"
LAKE_PAGES: Final = (
    # 第 1 页
    "青岚湖生态观测站二〇三一年度报告。概况。"
    "观测站于1994年6月8日由植物学家柏云舟创立，位于青岚湖北岸的石砚村。"
    "目前站内共有研究人员27名，其中博士11名。"
    "观测站下设水文、鸟类和植被三个研究组，总面积为46公顷。",
    # 第 2 页
    "鸟类与水质。2031年共记录到水鸟163种，比上一年多9种。"
    "黑颈鹤越冬种群为418只，主要栖息在湖心的芦苇洲。"
    "湖水透明度全年平均为2.6米，夏季最低为1.1米。"
    "监测发现的外来入侵植物共有5种。",
    # 第 3 页
    "经费与设施。观测站年度经费为860万元，主要来自省科技厅。"
    "新建的浮标监测平台编号为QL-07，于2031年9月21日投入使用。"
    "该平台每15分钟上传一次水温和溶解氧数据。"
    "观测站还有一艘名为“青鹭号”的巡湖船，可载12人。",
    # 第 4 页
    "人员与志愿者。现任站长为温若岚，于2028年上任。"
    "志愿者每年须完成至少48小时的巡护工作，巡护路线全长17公里。"
    "观测站每年十月举办一次“观鸟开放日”，2031年共接待访客3200人次。",
)

# ---- Chinese: a GBK plain-text charter -------------------------------------------------------

TEA_TXT: Final = "yunqi-tea-cooperative-charter.txt"
TEA_TEXT: Final = (
    "云栖镇茶叶专业合作社章程\n\n"
    "第一条 本合作社成立于2009年4月17日，住所设在云栖镇桐溪村。\n"
    "第二条 本合作社茶园总面积为1350亩，主要种植龙井43号和白叶一号两个品种。\n"
    "第三条 社员入社须认购股金，每股1200元，每位社员最多认购20股。\n"
    "第四条 理事长由社员大会选举产生，任期五年。现任理事长为邝明远。\n"
    "第五条 春茶采摘期为每年3月25日至5月10日，夏茶不采摘。\n"
    "第六条 年度盈余的百分之六十按交易量返还社员，百分之二十提取为公积金。\n"
    "第七条 社员大会每年召开两次，分别在一月和七月。\n"
)

# ---- Chinese: a UTF-8 Markdown ship handbook -------------------------------------------------

SHIP_MD: Final = "xingcha-research-vessel-handbook.md"
SHIP_TEXT: Final = """# 星槎号科考船手册

## 船舶概况

星槎号科考船全长87.5米，型宽15.2米，最大航速为14节。船上可容纳科考人员32名，
船员21名。星槎号的母港是东屿港。

## 人员职责

船长为聂秋帆，轮机长为冉秋白。实验室由首席科学家负责，每次出航前须提交采样计划。

## 安全规定

紧急集合信号为七短一长的汽笛声。听到信号后，全体人员须在3分钟内到右舷救生艇甲板集合。
每名人员须在出航后24小时内完成一次弃船演习。

## 补给

淡水舱容量为260吨，燃油舱容量为410吨，一次补给可续航40天。
"""


def pdf_lines(text: str, chinese: bool) -> list[str]:
    """Lines for a PDF page. Chinese text breaks only after punctuation, so no number or
    name is cut in two; English text breaks between words."""
    if chinese:
        lines, line = [], ""
        clause = ""
        for char in text:
            clause += char
            if char in "，。；：、":
                if line and len(line) + len(clause) > 38:
                    lines.append(line)
                    line = ""
                line += clause
                clause = ""
        line += clause
        return [*lines, line] if line else lines
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > 88:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines


def write_pdf(path: Path, pages: tuple[str, ...], *, title: str, chinese: bool) -> Path:
    """A PDF with one section of text per page; Chinese in reportlab's built-in STSong-Light
    CID font (no font file needed). ``invariant`` keeps the bytes the same on every run."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    font = "Helvetica"
    if chinese:
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        font = "STSong-Light"
    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=True)
    pdf.setTitle(title)
    for text in pages:
        pdf.setFont(font, 11)
        y = 800.0
        for line in pdf_lines(text, chinese):
            pdf.drawString(56, y, line)
            y -= 16
        pdf.showPage()
    pdf.save()
    return path


def write_documents(folder: Path) -> list[Path]:
    """Write the question set's documents into ``folder``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [
        write_pdf(folder / ORCHARD_PDF, ORCHARD_PAGES,
                  title="Veltmoor Orchard Cooperative Annual Report 2031", chinese=False),
        write_pdf(folder / LAKE_PDF, LAKE_PAGES, title="青岚湖生态观测站年度报告", chinese=True),
    ]  # fmt: skip
    for name, text, encoding in (
        (RADIO_MD, RADIO_TEXT, "utf-8"),
        (TEA_TXT, TEA_TEXT, "gbk"),
        (SHIP_MD, SHIP_TEXT, "utf-8"),
    ):
        path = folder / name
        path.write_bytes(text.encode(encoding))
        paths.append(path)
    return paths


def page_text(name: str, page: int | None) -> str:
    """The generated text of one page (PDF) or of the whole file (text, Markdown)."""
    pages = {ORCHARD_PDF: ORCHARD_PAGES, LAKE_PDF: LAKE_PAGES}
    if name in pages:
        assert page is not None
        return pages[name][page - 1]
    return {RADIO_MD: RADIO_TEXT, TEA_TXT: TEA_TEXT, SHIP_MD: SHIP_TEXT}[name]
