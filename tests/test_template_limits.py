"""Hostile chat templates are stopped and refused, never run loose in the app (issue 14,
item 4). The plain transcript replaces a refused template only when the person asks."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.chat.session import ChatSession
from core.chat.store import ChatStore
from core.engine.client import EngineClient
from core.engine.errors import TemplateError
from core.engine.protocol import ChatMessage, SamplingParams
from core.engine.template import ChatTemplate
from core.engine.template_process import TemplateProcess
from core.i18n import Translator
from tests.gguf_writer import with_chat_template

SHORT = SamplingParams(temperature=0.0, max_tokens=4)

HOSTILE = {
    "divides by zero": ("{{ 1/0 }}", "template_error"),
    "recurses": ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "template_error"),
    "huge range": ("{% for i in range(10**9) %}x{% endfor %}", "template_error"),
    "huge string": ("{{ 'A' * 2**32 }}", "template_too_large"),
    "huge output": (
        "{% for i in range(100000) %}{{ 'x' * 2000 }}{% endfor %}",
        "template_too_large",
    ),
    "nested loops": (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "template_too_slow",
    ),
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ChatStore]:
    with ChatStore(tmp_path / "chats.sqlite3") as s:
        yield s


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_template_is_refused(case: str, gemma_engine: EngineClient,
                                     store: ChatStore) -> None:  # fmt: skip
    source, code = HOSTILE[case]
    chat = store.create_chat()
    peak = _peak_rss_bytes()
    with pytest.raises(TemplateError) as info:
        ChatSession(store, gemma_engine, chat.id, SHORT, template=ChatTemplate(source))
    assert info.value.code == code and info.value.offers_plain_transcript
    for language in ("en", "zh_CN"):
        line = info.value.message(Translator(language))
        assert line and "\n" not in line and "{" not in line
    # The template ran in the template process: this process did not grow with it.
    assert _peak_rss_bytes() - peak < 200 << 20
    assert store.messages(chat.id) == []  # nothing was stored
    # Nothing falls back on its own; the person may choose the plain transcript.
    session = ChatSession(store, gemma_engine, chat.id, SHORT,
                          template=ChatTemplate.plain_transcript())  # fmt: skip
    reply = session.send("Hello.")
    assert "".join(reply) is not None and reply.result is not None
    gemma_engine.reset_cache()  # the shared engine as other tests expect it: cold


def test_a_template_past_its_limits_is_refused_without_running_again(
    gemma_engine: EngineClient, store: ChatStore
) -> None:
    source, _ = HOSTILE["nested loops"]
    chat = store.create_chat()
    with pytest.raises(TemplateError):
        ChatSession(store, gemma_engine, chat.id, SHORT, template=ChatTemplate(source))
    assert gemma_engine.templates.pid is None  # the runaway's process is gone
    with pytest.raises(TemplateError) as info:
        ChatSession(store, gemma_engine, chat.id, SHORT, template=ChatTemplate(source))
    assert info.value.code == "template_too_slow"
    assert gemma_engine.templates.pid is None  # refused at once: not run again
    # Templates that behave go on rendering in a fresh template process.
    good = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    assert gemma_engine.templates.render(ChatTemplate(good), [ChatMessage("user", "Hi")]) == (
        "user: Hi\n"
    )


def test_a_template_process_that_stops_answering_is_stopped(tmp_path: Path) -> None:
    """Where the child's own alarm cannot reach (stuck in native code, or stopped), the
    parent gives up after its deadline, kills the child and refuses the template."""
    templates = TemplateProcess(render_limit_s=0.5)
    template = ChatTemplate("{{ messages[0]['content'] }} (stuck)")
    try:
        assert templates.render(template, [ChatMessage("user", "Hi")]) == "Hi (stuck)"
        pid = templates.pid
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)
        with pytest.raises(TemplateError) as info:
            templates.render(template, [ChatMessage("user", "Hi")])
        assert info.value.code == "template_too_slow"
        assert templates.pid is None
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    finally:
        templates.close()


def test_closing_during_a_rendering_does_not_refuse_the_template() -> None:
    """The app closing while a template renders stops the rendering at once; the template
    is not blamed for it."""
    slow_for = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    template = ChatTemplate(
        "{% if messages[0]['content'] == 'slow' %}" + slow_for + "{% endif %}"
        "{{ messages[0]['content'] }}"
    )
    templates = TemplateProcess(render_limit_s=30)
    failures: list[TemplateError] = []

    def render_slowly() -> None:
        try:
            templates.render(template, [ChatMessage("user", "slow")])
        except TemplateError as exc:
            failures.append(exc)

    worker = threading.Thread(target=render_slowly)
    worker.start()
    try:
        while not templates._lock.locked() or templates.pid is None:
            assert worker.is_alive()
            time.sleep(0.01)
        time.sleep(0.2)  # the child is rendering
        templates.close()
        worker.join(10)
        assert not worker.is_alive()
        assert failures and failures[0].code == "template_error"
        assert templates.render(template, [ChatMessage("user", "fast")]) == "fast"
    finally:
        templates.close()


def test_sandbox_still_holds_in_the_template_process(gemma_engine: EngineClient) -> None:
    escape = "{{ ''.__class__.__mro__[1].__subclasses__() }}"
    with pytest.raises(TemplateError) as info:
        gemma_engine.templates.render(ChatTemplate(escape), [ChatMessage("user", "x")])
    assert info.value.code == "template_error"


# ---- a model file with a hostile template, through the real CLI ------------------------


def _cli(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("fireside-cli")
    return subprocess.run([str(script), *args], input=stdin, capture_output=True, text=True,
                          timeout=240, env={**os.environ, "FIRESIDE_LANG": "en"})  # fmt: skip


def test_cli_refuses_a_hostile_template_and_offers_the_transcript(
    gemma_path: Path, tmp_path: Path
) -> None:
    model = with_chat_template(gemma_path, tmp_path / "hostile.gguf", HOSTILE["divides by zero"][0])
    refused = _cli("chat", "--model", str(model), "--max-tokens", "4", stdin="Hello\n")
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    assert "chat template failed: ZeroDivisionError" in refused.stderr
    assert "--plain-transcript" in refused.stderr
    chosen = _cli("chat", "--model", str(model), "--max-tokens", "4", "--plain-transcript",
                  "--temperature", "0", stdin="Hello\n")  # fmt: skip
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout.strip()
