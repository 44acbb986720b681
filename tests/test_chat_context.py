"""The context stack on the real engine: what each turn evaluates, eviction, branches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.chat.context import Frame
from core.chat.errors import TurnTooLarge
from core.chat.session import ChatSession, Reply, TurnResult
from core.chat.store import ChatStore
from core.engine.client import EngineClient
from core.engine.protocol import LoadOptions, SamplingParams
from core.engine.template import ChatTemplate

SHORT = SamplingParams(temperature=0.0, max_tokens=8)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ChatStore]:
    with ChatStore(tmp_path / "chats.sqlite3") as s:
        yield s


def _finish(reply: Reply) -> TurnResult:
    "".join(reply)
    assert reply.result is not None
    return reply.result


def _glue_bound(client: EngineClient, text: str) -> int:
    """The new turn's own tokens plus a generous allowance for the template's glue."""
    return client.count_tokens(text) + 14


def _thirty_turns(client: EngineClient, store: ChatStore) -> ChatSession:
    chat = store.create_chat(system_prompt="You are a helpful assistant. Answer briefly.")
    session = ChatSession(store, client, chat.id, SHORT)
    for turn in range(1, 31):
        question = f"Question {turn}: what is {turn} plus {turn}?"
        result = _finish(session.send(question))
        stats = result.stats
        assert stats.prompt_tokens == stats.cached_tokens + stats.evaluated_tokens
        if turn == 1:
            assert stats.cached_tokens == 0
        else:
            # Only the new turn (and the end of the previous reply when it was cut by
            # max_tokens) is evaluated; the history comes from the cache.
            assert stats.evaluated_tokens <= _glue_bound(client, question) + 1, turn
    assert session.stack.stats.evictions == 0
    assert session.stack.stats.whole_renders == 0
    return session


def _regenerate_and_switch(session: ChatSession, client: EngineClient) -> None:
    store = session.store
    branch = store.branch(session.chat_id)
    # Regenerate: a sibling reply, no history evaluated (just the last prompt token).
    result = _finish(session.regenerate())
    assert result.stats.evaluated_tokens == 1
    assert len(store.siblings(result.message.id)) == 2
    # Edit an earlier question: a sibling question whose reply evaluates only the frames
    # after the common parent (the edited question and the reply header).
    tenth_question = branch[19]
    assert tenth_question.role == "user"
    edited = "Question 10, edited: what is ten plus one?"
    result = _finish(session.edit(tenth_question.id, edited))
    assert result.stats.evaluated_tokens <= _glue_bound(client, edited)
    assert len(store.siblings(tenth_question.id)) == 2
    # Switch back to the original branch and go on: only frames after the parent of the
    # switched message are new to the cache.
    store.switch_sibling(result.message.parent_id or 0, -1)
    result = _finish(session.send("And what is 31 plus 31?"))
    new_frames = sum(len(f.tokens) for f in result_frames_after(session, tenth_question.id))
    assert result.stats.evaluated_tokens <= new_frames + 1


def result_frames_after(session: ChatSession, message_id: int) -> list[Frame]:
    """Frames of the last prompt from ``message_id`` on (the part the cache lacked)."""
    assert session.last_prompt is not None
    frames = session.last_prompt.frames
    keys = [f.key for f in frames]
    return list(frames[keys.index(message_id) :])


@pytest.mark.qwen
def test_thirty_turns_on_chatml(qwen_engine: EngineClient, store: ChatStore) -> None:
    session = _thirty_turns(qwen_engine, store)
    _regenerate_and_switch(session, qwen_engine)


def test_thirty_turns_on_the_fallback_template(gemma_engine: EngineClient,
                                               store: ChatStore) -> None:  # fmt: skip
    session = _thirty_turns(gemma_engine, store)
    _regenerate_and_switch(session, gemma_engine)


def test_overflow_at_512_tokens_never_stops(gemma_path: Path, fresh_engine: EngineClient,
                                            store: ChatStore) -> None:  # fmt: skip
    info = fresh_engine.load_chat(gemma_path, LoadOptions(n_ctx=512))
    assert info.can_shift
    system = "You are a patient tutor."
    chat = store.create_chat(system_prompt=system)
    session = ChatSession(
        store, fresh_engine, chat.id, SamplingParams(temperature=0.0, max_tokens=24)
    )
    results = []
    for turn in range(1, 41):
        result = _finish(session.send(f"Turn {turn}: tell me one fact about the number {turn}."))
        results.append(result)
        assert session.last_prompt is not None
        assert session.last_prompt.frames[0].role == "system"  # the system frame stays
        assert result.used_tokens <= info.n_ctx
        assert session.gauge() == (result.used_tokens, info.n_ctx)
        visible = session.visibility()
        branch = store.branch(chat.id)
        assert visible[branch[0].id] and visible[branch[-1].id] and visible[branch[-2].id]
    stats = session.stack.stats
    assert stats.evictions >= 2  # 40 turns do not fit in 512 tokens
    # The KV cache was shifted at every eviction: nothing was evaluated again in full.
    assert stats.full_reprefills == 0
    evicting = [r for r in results if r.stats.shifted_tokens > 0]
    assert len(evicting) == stats.evictions
    for r in results[1:]:
        assert r.stats.evaluated_tokens <= 60  # every turn stays cheap, evictions included
    # Some early messages are no longer seen, and the window says so.
    assert not all(session.visibility().values())
    assert results[-1].visible_turns < 40


def test_eviction_without_kv_shift_reprefills_once_per_eviction(
    gemma_path: Path, fresh_engine: EngineClient, store: ChatStore
) -> None:
    info = fresh_engine.load_chat(gemma_path, LoadOptions(n_ctx=512, kv_shift=False))
    assert not info.can_shift
    chat = store.create_chat(system_prompt="Be brief.")
    session = ChatSession(
        store, fresh_engine, chat.id, SamplingParams(temperature=0.0, max_tokens=24)
    )
    results = [_finish(session.send(f"Turn {turn}: name a colour.")) for turn in range(1, 31)]
    stats = session.stack.stats
    assert stats.evictions >= 1
    # The policy: each eviction costs one evaluation of what remains, and only that one.
    assert stats.full_reprefills == stats.evictions
    for turn, result in enumerate(results[1:], start=2):
        if result.full_reprefill:
            assert result.stats.shifted_tokens == 0
            assert result.stats.evaluated_tokens > 100  # the remainder, evaluated again
        else:
            assert result.stats.evaluated_tokens <= 40, turn


def test_turn_larger_than_the_context_is_refused(gemma_path: Path, fresh_engine: EngineClient,
                                                 store: ChatStore) -> None:  # fmt: skip
    fresh_engine.load_chat(gemma_path, LoadOptions(n_ctx=512))
    chat = store.create_chat()
    session = ChatSession(store, fresh_engine, chat.id, SHORT)
    _finish(session.send("Hello."))
    before = [(m.id, m.content) for m in store.messages(chat.id)]
    with pytest.raises(TurnTooLarge) as info:
        session.send("word " * 2000)
    assert info.value.params["budget"] < 512
    assert [(m.id, m.content) for m in store.messages(chat.id)] == before
    assert _finish(session.send("Still here?")).stats.generated_tokens >= 1


NOT_PREFIX_STABLE = (
    # Shows only the latest exchange, like templates that drop earlier reasoning: rendering
    # more messages does not extend the rendering of fewer.
    "{% for m in messages[-2:] %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant:{% endif %}"
)


def test_template_that_is_not_prefix_stable(gemma_engine: EngineClient,
                                            store: ChatStore) -> None:  # fmt: skip
    chat = store.create_chat()
    session = ChatSession(store, gemma_engine, chat.id, SHORT,
                          template=ChatTemplate(NOT_PREFIX_STABLE, "<bos>"))  # fmt: skip
    first = _finish(session.send("Say hello."))
    second = _finish(session.send("Say goodbye."))
    assert session.stack.stats.whole_renders >= 1
    assert second.message.content  # it still answers
    assert first.message.id != second.message.id
    rendered = gemma_engine.tokenize("user: Say goodbye.\nassistant:", add_special=False)
    assert second.stats.prompt_tokens <= len(rendered) + 40


def test_prepare_lays_out_a_long_stored_chat_without_generating(
    gemma_engine: EngineClient, store: ChatStore
) -> None:
    """A chat reopened in a fresh session (the window opening it, ``chat --chat ID``)
    knows its gauge and what the model no longer sees before any turn, and the eviction
    renders only the window it chooses (not one window per turn of a 300-message chat)."""
    chat = store.create_chat("stored long ago")
    parent = None
    filler = "The keeper wrote about the storm, the tide and the ships in the bay. " * 4
    for i in range(150):
        parent = store.add_message(chat.id, parent, "user", f"Question {i}: {filler}").id
        parent = store.add_message(chat.id, parent, "assistant", f"Answer {i}: {filler}").id
    store.set_active_leaf(chat.id, parent)
    calls: list[str] = []
    session = ChatSession(store, gemma_engine, chat.id, SamplingParams(max_tokens=32))
    original = session.stack.tokenize
    session.stack.tokenize = lambda text, a, p: (calls.append(text), original(text, a, p))[1]
    prompt = session.prepare()
    assert prompt is not None and prompt.evicted
    used, n_ctx = session.gauge()
    assert 0 < used <= session.stack.budget // 2 and n_ctx == gemma_engine.models["chat"].n_ctx
    seen = session.visibility()
    branch = store.branch(chat.id)
    flags = [seen[m.id] for m in branch]
    first_seen = flags.index(True)
    assert first_seen > 0 and all(flags[first_seen:])  # one cut, the newest turns seen
    assert branch[first_seen].role == "user"
    # Two renders at most: the whole branch, then the chosen window (a frame has a few
    # tokenize calls: glue before, content, glue after).
    assert len(calls) <= 2 * 4 * len(branch)
