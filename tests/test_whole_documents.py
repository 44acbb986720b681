"""Questions about whole documents (issue 16 §2) on the real engine with Qwen2.5-Coder 0.5B,
the real MiniLM embeddings and Chroma, over ten generated two-page PDFs per language, each
holding one deadline on page 2 (tests/whole_documents.py).

English: a reading stopped after half the documents is answered from those only; the next
question reads only the other half (the first half's notes are reused), its answer names
all ten deadlines citing each one's page 2, the chat's KV cache survives the reading on the
side cache (``cached_tokens``), and the next normal turn reuses the cache too. Chinese: the
same question over the Chinese documents names all ten. The CLI: ``chat --whole --json``
gives the documents read and the extracts; bad arguments get one line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from core.chat.session import ChatSession, TurnResult
from core.chat.store import ChatStore
from core.engine.client import EngineClient
from core.engine.protocol import LoadOptions, SamplingParams
from core.knowledge.embedder import Embedder
from core.knowledge.knowledge_base import KnowledgeBase
from core.knowledge.whole import Progress, WholeTurn
from core.knowledge.whole_chat import WholeChat
from core.paths import AppPaths
from tests.cli_process import one_line_error, run_cli
from tests.whole_documents import QUESTION, Deadline, write_collection

GREEDY = SamplingParams(temperature=0.0, seed=0, max_tokens=200)


@dataclass
class Library:
    home: Path
    store: ChatStore
    kb: KnowledgeBase
    engine: EngineClient
    deadlines: dict[str, list[Deadline]]

    def session(self, collection: str) -> ChatSession:
        chat = self.store.create_chat(collections=[collection])
        return ChatSession(self.store, self.engine, chat.id, GREEDY)

    def groundings(self, session: ChatSession) -> list[Any]:
        branch = self.store.branch(session.chat_id)
        return [m.grounding for m in branch if m.role == "user"]


@pytest.fixture(scope="module")
def library(
    qwen_path: Path, minilm_path: Path, engine_log: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Library]:
    root = tmp_path_factory.mktemp("whole")
    paths = AppPaths.under(root / "home").ensure()
    deadlines = {}
    with EngineClient(log_path=engine_log) as engine, KnowledgeBase(paths) as kb, \
            ChatStore(paths.chats_db) as store:  # fmt: skip
        embedder = Embedder(engine, minilm_path, n_ctx=512)
        for language in ("en", "zh"):
            files, deadlines[language] = write_collection(root / language, language)
            kb.ingestion(embedder, f"memos-{language}").run(files)
        kb.store.ensure_collection("empty")
        engine.unload("embedding")
        engine.load_chat(qwen_path, LoadOptions(n_ctx=4096))
        yield Library(root / "home", store, kb, engine, deadlines)


def answer(session: ChatSession, question: str, turn: WholeTurn) -> TurnResult:
    reply = session.send(question, turn)
    for _ in reply:
        pass
    assert reply.result is not None
    return reply.result


def assert_names(result: TurnResult, deadlines: list[Deadline]) -> None:
    """Each deadline's date is in the answer and the answer cites its document's page 2."""
    text = result.message.content
    cited = [c for c in result.message.citations or [] if c.get("cited")]
    for deadline in deadlines:
        assert deadline.date in text, (deadline, text)
        assert any(Path(c["file"]).name == deadline.file and c["page"] == 2 for c in cited), (
            deadline,
            cited,
        )


def test_a_stopped_reading_answers_from_what_was_read_and_the_next_reads_the_rest(
    library: Library,
) -> None:
    deadlines = library.deadlines["en"]
    question = QUESTION["en"]
    whole = WholeChat(library.kb.store, library.engine, ["memos-en"])
    session = library.session("memos-en")
    steps: list[Progress] = []

    def stop_halfway(step: Progress) -> None:
        steps.append(step)
        if step.documents_read == 5:
            assert whole.cancel()

    turn = whole.ground(question, library.groundings(session), stop_halfway)
    assert turn.whole["stopped"] and len(turn.whole["read"]) == 5
    assert [s.documents_read for s in steps] == [0, 1, 2, 3, 4, 5]
    assert {s.documents_total for s in steps} == {10}
    first = answer(session, question, turn)
    assert_names(first, deadlines[:5])
    assert not any(d.date in first.message.content for d in deadlines[5:])
    assert "5 of 10" in session.store.get_message(first.message.parent_id or 0).model_content

    # The follow-up reads only the five documents not read yet; the chat's cache held on.
    turn = whole.ground(question, library.groundings(session))
    assert not turn.whole["stopped"] and turn.whole["passes"] == 5
    assert sorted(turn.whole["reused"]) == sorted(turn.whole["read"][:5])
    second = answer(session, question, turn)
    assert second.stats.cached_tokens >= first.stats.prompt_tokens
    assert_names(second, deadlines)
    stored = session.store.get_message(second.message.parent_id or 0).grounding or {}
    assert len(stored["whole"]["notes"]) >= 10  # what the Sources panel shows as read

    # Asked again, nothing is read: every document's notes are reused.
    again = whole.ground(question, library.groundings(session))
    assert again.whole["passes"] == 0 and len(again.whole["reused"]) == 10

    # The next normal turn reuses the chat's cache.
    session.sampling = replace(GREEDY, max_tokens=8)
    reply = session.send("Thank you.")
    for _ in reply:
        pass
    assert reply.result is not None
    assert reply.result.stats.cached_tokens >= second.stats.prompt_tokens


def test_every_deadline_of_the_chinese_documents_is_listed(library: Library) -> None:
    whole = WholeChat(library.kb.store, library.engine, ["memos-zh"])
    session = library.session("memos-zh")
    turn = whole.ground(QUESTION["zh"])
    assert len(turn.whole["read"]) == 10
    assert_names(answer(session, QUESTION["zh"], turn), library.deadlines["zh"])


def test_the_cli_reads_whole_documents_and_says_bad_arguments_in_one_line(
    library: Library, qwen_path: Path
) -> None:
    env = {"FIRESIDE_HOME": str(library.home)}
    chat = ["chat", "--model", str(qwen_path), "--ctx", "4096", "--temperature", "0"]
    result = run_cli(*chat, "--kb", "memos-en", "--whole", "--doc", "memo-en-03.pdf",
                     "--doc", "memo-en-07.pdf", "--json", env=env,
                     stdin=QUESTION["en"] + "\n")  # fmt: skip
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout.splitlines()[-1])
    whole = record["whole"]
    assert [Path(d["file"]).name for d in whole["documents_read"]] == [
        "memo-en-03.pdf",
        "memo-en-07.pdf",
    ]
    assert whole["documents_total"] == 2 and not whole["stopped"]
    dated = [e for e in whole["extracts"] if "19 May 2031" in e["text"]]
    assert dated and dated[0]["page"] == 2 and isinstance(dated[0]["n"], int)
    assert "19 May 2031" in record["reply"] and "5 September 2031" in record["reply"]

    no_kb = one_line_error(run_cli(*chat, "--whole", env=env, stdin="x\n"))
    assert "--kb" in no_kb
    unknown = one_line_error(
        run_cli(
            *chat,
            "--kb",
            "nope",
            "--whole",
            env=env,
            stdin="x\n",
        ),
    )
    assert "nope" in unknown
    chinese = {**env, "FIRESIDE_LANG": "zh_CN"}
    empty = one_line_error(run_cli(*chat, "--kb", "empty", "--whole", env=chinese, stdin="x\n"))
    assert "empty" in empty and "没有可阅读的文档" in empty


def test_a_reply_is_checked_against_its_notes() -> None:
    """Qwen 0.5B's own answer over five notes: a numbered list, note 3 skipped, so [3]
    and [4] name the wrong notes. The numbers are corrected by the dates they hold and the
    note left out is added under the heading."""
    from core.chat.replies import settle

    dates = ["14 March 2031", "2 April 2031", "19 May 2031", "7 June 2031", "23 July 2031"]
    notes = [{"n": n, "text": f"Project {chr(64 + n)} must be finished by {d}."}
             for n, d in enumerate(dates, 1)]  # fmt: skip
    reply = "[1] 14 March 2031\n[2] 2 April 2031\n[3] 7 June 2031\n[4] 23 July 2031"
    text, addition = settle(reply, {"heading": "Also in the documents:", "notes": notes})
    assert text == "[1] 14 March 2031\n[2] 2 April 2031\n[4] 7 June 2031\n[5] 23 July 2031"
    assert (
        addition == "\n\nAlso in the documents:\n- Project C must be finished by 19 May 2031. [3]"
    )
    assert settle(reply, None) == (reply, "")


def test_a_pass_keeps_the_sentences_its_text_supports() -> None:
    """A pass's answer that goes on listing invented dates after the one its text holds
    gives one note, from the chunk that holds it (page 2), not the question's echo."""
    from core.knowledge.store import Document, StoredChunk
    from core.knowledge.whole import NoteTaker, ReadPass

    def chunk(n: int, text: str) -> StoredChunk:
        return StoredChunk(n, f"c{n}", 7, "memos", n, text, n, None, 0, len(text), "/m.pdf", "m")

    document = Document(7, 1, "memos", "/m.pdf", "m", "pdf", "h", 1, 0.0, 2, "indexed", None,
                        None, None, 2, 0.0, 0.0)  # fmt: skip
    first = chunk(1, "This memo describes the Old Mill footbridge project.")
    second = chunk(2, "Schedule. The Old Mill footbridge must be finished by 23 July 2031.")
    read_pass = ReadPass(document, (first, second), 40, True)
    answer = (
        "The deadlines in these documents are:\n1. 23 July 2031\n2. 24 July 2031\n"
        "3. 25 July 2031\nThe Old Mill footbridge must be finished by 23 July 2031."
    )
    notes = NoteTaker.notes(answer, read_pass, "List every deadline in these documents.")
    text = "23 July 2031 The Old Mill footbridge must be finished by 23 July 2031."
    assert [(n.chunk_id, n.page, n.text) for n in notes] == [("c2", 2, text)]
