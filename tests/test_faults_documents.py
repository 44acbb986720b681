"""Hostile documents and folders against the real ``fireside-cli kb add`` (issue 14, item 5).

Each file is the shape of one met in the attack on the product, made small here
(tests/hostile_documents.py): an EPUB whose spine names one chapter hundreds of times (it
expanded to 499 M characters), a DOCX whose zip directory lies about its packed size, a PDF
of thousands of pages sharing one content stream. ``kb add`` runs as a person runs it, in
its own process with the real embedding model, and must: index a document with too much
text up to the limit and say so, refuse the lying zip, say how far it got inside a long
document, stop at once on Ctrl-C (killing the parser, keeping what was finished), give up a
document past the time limit and go on, skip a folder it cannot reach with the reason, and
never follow a link out of the folder.

The unreachable folder: tests run as root, for whom permission bits change nothing, so the
folder is one nested so deep that it can be listed while the paths of its files exceed the
system's limit (ENAMETOOLONG on every file, as EACCES is for a folder without search
permission); tests/hostile_documents.py:make_deep_folder.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from core.engine.client import EngineClient
from core.knowledge import readers
from core.knowledge.embedder import Embedder
from core.knowledge.errors import UnreadableDocument
from core.knowledge.ingest import _COUNT_BATCH
from core.knowledge.knowledge_base import KnowledgeBase
from core.knowledge.readers.base import ReadLimits
from core.paths import AppPaths
from tests.cli_process import run_cli
from tests.documents import write_docx
from tests.hostile_documents import (
    make_deep_folder,
    write_lying_docx,
    write_page_bomb_pdf,
    write_repeated_epub,
)

EMBED = ["--embedding-ctx", "256", "--threads", "1"]


def settings(**knowledge: Any) -> None:
    """Write the person's settings with these knowledge limits (core/settings.py)."""
    path = AppPaths.from_env().settings_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"schema_version": 3, "knowledge": knowledge}), encoding="utf-8")


def kb_add(folder: Path, model: Path, *extra: str) -> dict[str, Any]:
    result = run_cli("kb", "add", str(folder), "--embedding-model", str(model), "--json",
                     *EMBED, *extra)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    added: dict[str, Any] = json.loads(result.stdout)
    return added


def by_name(outcomes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {Path(o["path"]).name: o for o in outcomes}


def listing() -> dict[str, dict[str, Any]]:
    result = run_cli("kb", "list", "--json")
    assert result.returncode == 0, result.stderr
    return {Path(d["file"]).name: d for d in json.loads(result.stdout)}


def note(folder: Path, name: str = "note.md") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"# Harbour\n\nThe keeper of {name} counts the boats every night.\n",
                    encoding="utf-8")  # fmt: skip
    return path


# ---- the readers, each format, without the CLI ------------------------------------------


@pytest.mark.parametrize("kind", ["md", "txt", "html", "docx", "epub", "pdf"])
def test_every_reader_stops_at_the_character_limit(tmp_path: Path, kind: str) -> None:
    line = "The keeper counts the boats in the harbour every night."
    if kind == "docx":
        path = write_docx(tmp_path / "long.docx", [("paragraph", line)] * 400)
    elif kind == "epub":
        path = write_repeated_epub(tmp_path / "long.epub", chapter_chars=20_000, repeats=3)
    elif kind == "pdf":
        path = write_page_bomb_pdf(tmp_path / "long.pdf", pages=20, lines=40)
    else:
        path = tmp_path / f"long.{kind}"
        body = "\n\n".join([line] * 400)
        path.write_text(f"<p>{body}</p>" if kind == "html" else body, encoding="utf-8")
    limits = ReadLimits(max_chars=5_000)
    document = readers.parse(path, path.read_bytes(), limits)
    assert document.truncated
    assert sum(len(s.text) for s in document.sections) <= 5_000
    whole = readers.parse(path, path.read_bytes())
    assert not whole.truncated and sum(len(s.text) for s in whole.sections) > 5_000


def test_a_chapter_read_again_and_again_counts_every_time(tmp_path: Path) -> None:
    """The spine names a 900 KB chapter 400 times: each read is under every per-member
    check, but the bytes really unpacked add up past the container's budget."""
    book = write_repeated_epub(tmp_path / "again.epub")
    assert book.stat().st_size < 10_000
    limits = ReadLimits(max_chars=10**10, max_unpacked_bytes=8 * 1024 * 1024)
    with pytest.raises(UnreadableDocument) as caught:
        readers.parse(book, book.read_bytes(), limits)
    assert caught.value.code == "kb_file_zip_bomb"


def test_a_zip_that_lies_about_its_packed_size_is_refused_before_unpacking(
    tmp_path: Path,
) -> None:
    docx = write_lying_docx(tmp_path / "lying.docx")
    assert docx.stat().st_size < 2 * 1024 * 1024
    with pytest.raises(UnreadableDocument) as caught:
        readers.parse(docx, docx.read_bytes())
    assert caught.value.code == "kb_file_zip_bomb"


# ---- the real kb add -----------------------------------------------------------------------


def test_kb_add_indexes_hostile_documents_up_to_the_limit(
    tmp_path: Path, minilm_path: Path
) -> None:
    settings(max_document_chars=6_000)
    folder = tmp_path / "docs"
    note(folder)
    write_repeated_epub(folder / "again.epub")  # 360 M characters once read whole
    write_page_bomb_pdf(folder / "pages.pdf")  # 58 M characters
    write_lying_docx(folder / "lying.docx")
    added = by_name(kb_add(folder, minilm_path)["outcomes"])
    for name in ("again.epub", "pages.pdf"):
        assert added[name]["status"] == "indexed" and added[name]["code"] == "kb_file_truncated"
        assert "6,000 characters" in added[name]["reason"]
        assert 0 < added[name]["chunks"] < 60
    assert added["lying.docx"]["status"] == "failed"
    assert added["lying.docx"]["code"] == "kb_file_zip_bomb"
    assert added["note.md"]["status"] == "indexed" and added["note.md"]["code"] is None

    listed = listing()
    assert listed["pages.pdf"]["status"] == "indexed" and listed["pages.pdf"]["pages"] == 3000
    assert "left out" in listed["pages.pdf"]["reason"]
    # Run again: nothing changed, and the reason stays beside the document.
    again = by_name(kb_add(folder, minilm_path)["outcomes"])
    assert again["pages.pdf"]["status"] == "unchanged"
    assert listing()["again.epub"]["code"] == "kb_file_truncated"


def test_kb_add_skips_an_unreachable_folder_and_goes_on(tmp_path: Path, minilm_path: Path) -> None:
    folder = tmp_path / "docs"
    note(folder)
    deep = make_deep_folder(folder)
    note(folder / "sub", "kept.md")
    outcomes = by_name(kb_add(folder, minilm_path)["outcomes"])
    assert outcomes["note.md"]["status"] == "indexed"
    assert outcomes["kept.md"]["status"] == "indexed"
    unreachable = outcomes[deep.name]
    assert unreachable["status"] == "failed" and unreachable["code"] == "kb_folder_unreadable"
    assert "File name too long" in unreachable["reason"]
    assert {n for n, d in listing().items() if d["status"] == "indexed"} == {"note.md", "kept.md"}


def test_kb_add_never_follows_a_link_out_of_the_folder(tmp_path: Path, minilm_path: Path) -> None:
    folder = tmp_path / "docs"
    note(folder)
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    (folder / "etc").symlink_to("/etc", target_is_directory=True)
    (folder / "loop.md").symlink_to(folder / "loop.md")
    (folder / "around").symlink_to(folder, target_is_directory=True)  # a loop through a folder
    note(folder / "sub", "kept.md")
    (folder / "z-alias.md").symlink_to(folder / "sub" / "kept.md")  # inside: followed

    outcomes = by_name(kb_add(folder, minilm_path)["outcomes"])
    assert outcomes["note.md"]["status"] == "indexed"
    assert outcomes["kept.md"]["status"] == "indexed"
    assert outcomes["z-alias.md"]["status"] == "duplicate"  # the same file, through a link
    for link, target in (("passwd.txt", "/etc/passwd"), ("etc", "/etc")):
        assert outcomes[link]["code"] == "kb_link_outside"
        assert target in outcomes[link]["reason"]
    listed = listing()
    assert {n for n, d in listed.items() if d["status"] == "indexed"} == {"note.md", "kept.md"}

    # A file indexed before, now a link out of the folder: its document goes.
    (folder / "sub" / "kept.md").unlink()
    (folder / "sub" / "kept.md").symlink_to("/etc/hostname")
    again = kb_add(folder, minilm_path)["outcomes"]
    kept = [o for o in again if Path(o["path"]).name == "kept.md"]
    assert {o["status"] for o in kept} == {"failed", "removed"}
    assert {n for n, d in listing().items() if d["status"] == "indexed"} == {"note.md"}


def _children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (from /proc/*/stat)."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_ctrl_c_reaches_the_parser_and_progress_is_shown_inside_a_document(
    tmp_path: Path, minilm_path: Path
) -> None:
    """A long PDF being read says which page it is on; Ctrl-C then stops ``kb add`` at
    once, leaves no process behind and keeps the document finished before it."""
    settings(max_document_chars=10**10, parse_time_limit_s=600)
    folder = tmp_path / "docs"
    note(folder, "a-note.md")
    write_page_bomb_pdf(folder / "b-pages.pdf")  # some 30 s to read whole
    command = [sys.executable, "-m", "core.cli", "kb", "add", str(folder),
               "--embedding-model", str(minilm_path), *EMBED]  # fmt: skip
    process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True, env=os.environ.copy())  # fmt: skip
    assert process.stderr is not None
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line:
                break
            lines.append(line)
            if "b-pages.pdf: page" in line:
                break
        assert any("b-pages.pdf: page" in line and "of 3000" in line for line in lines), lines
        children = _children(process.pid)
        assert children  # the engine and the parser
        process.send_signal(signal.SIGINT)
        stopped = time.monotonic()
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert time.monotonic() - stopped < 15, "Ctrl-C waited for the parser"
    assert process.returncode == 130, err
    assert "Traceback" not in err
    deadline = time.monotonic() + 5
    while any(_alive(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(c) for c in children)
    # The first document's line carries no ETA: one document says nothing about the rest.
    first = next(line for line in lines if "a-note.md" in line)
    assert "left" not in first, first
    listed = listing()
    assert listed["a-note.md"]["status"] == "indexed" and "b-pages.pdf" not in listed


def _loads_pdfium(pid: int) -> bool:
    try:
        return "pdfium" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def test_a_killed_kb_add_leaves_no_parse_running(tmp_path: Path, minilm_path: Path) -> None:
    """kill -9 of ``kb add`` while PDFium is busy inside one enormous page (some 20 s in
    native code, nothing that could notice the pipe is gone): its parser process goes
    with it."""
    settings(max_document_chars=10**10, parse_time_limit_s=600)
    folder = tmp_path / "docs"
    folder.mkdir()
    write_page_bomb_pdf(folder / "page.pdf", pages=1, lines=100_000)
    command = [sys.executable, "-m", "core.cli", "kb", "add", str(folder),
               "--embedding-model", str(minilm_path), *EMBED]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=os.environ.copy())  # fmt: skip
    try:
        parsers: set[int] = set()
        deadline = time.monotonic() + 60
        while not parsers and time.monotonic() < deadline:
            time.sleep(0.2)
            parsers = {c for c in _children(process.pid) if _loads_pdfium(c)}
        assert len(parsers) == 1, "no parser process"
        time.sleep(2)  # inside the page by now
        assert all(_alive(c) for c in parsers)
        process.kill()
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    deadline = time.monotonic() + 5
    while any(_alive(c) for c in parsers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(c) for c in parsers)


def test_a_document_past_the_time_limit_is_skipped_and_the_rest_goes_on(
    tmp_path: Path, minilm_path: Path
) -> None:
    settings(max_document_chars=10**10, parse_time_limit_s=2)
    folder = tmp_path / "docs"
    folder.mkdir()
    write_page_bomb_pdf(folder / "a-pages.pdf")
    note(folder, "b-note.md")
    outcomes = by_name(kb_add(folder, minilm_path)["outcomes"])
    assert outcomes["a-pages.pdf"]["status"] == "failed"
    assert outcomes["a-pages.pdf"]["code"] == "kb_file_too_slow"
    assert "2 s" in outcomes["a-pages.pdf"]["reason"]
    assert outcomes["b-note.md"]["status"] == "indexed"


class StoppingEmbedder(Embedder):
    """The real embedder, and a person who presses Stop after ``after`` token counts."""

    def __init__(self, *args: Any, after: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.after = after
        self.counts = 0
        self.stop: Any = None

    def count_tokens(self, text: str) -> int:
        self.counts += 1
        if self.counts == self.after and self.stop is not None:
            self.stop()
        return super().count_tokens(text)

    def count_tokens_many(self, texts: Sequence[str]) -> list[int]:
        """Many texts in one engine request (a document's sentences, since the ingestion
        reads ahead): Stop is pressed once ``after`` of them have been asked for."""
        before, self.counts = self.counts, self.counts + len(texts)
        if before < self.after <= self.counts and self.stop is not None:
            self.stop()
        return super().count_tokens_many(texts)


def test_stop_takes_effect_while_a_long_document_is_cut_into_chunks(
    tmp_path: Path, minilm_path: Path
) -> None:
    """Cutting a long document counts every sentence through the engine (in requests of
    ``_COUNT_BATCH`` sentences); Stop must not wait for the thousands of them."""
    folder = tmp_path / "docs"
    folder.mkdir()
    sentences = (
        f"Boat {n} came into the harbour at {n % 24} o'clock, mast {n * 7}." for n in range(3000)
    )
    (folder / "log.md").write_text(" ".join(sentences), encoding="utf-8")
    paths = AppPaths.from_env().ensure()
    with EngineClient(paths) as client, KnowledgeBase(paths) as kb:
        embedder = StoppingEmbedder(client, minilm_path, n_ctx=256, n_threads=1, after=50)
        ingestion = kb.ingestion(embedder, "default")
        embedder.stop = ingestion.cancel
        report = ingestion.run([folder])
    assert report.cancelled and not report.outcomes
    # Stop took effect at the next request: one request of sentences past the 50th at most
    assert embedder.counts <= 50 + _COUNT_BATCH < 3000
