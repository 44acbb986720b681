"""Knowledge over the local server's API (issue 17): a model named
``fireside-kb:<collection>@<chat model>`` answers from that collection with its citations,
through the official openai client, on real documents, MiniLM and Qwen."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import openai
import pytest

from core.engine.client import EngineClient
from core.models.registry import ModelRegistry
from core.paths import AppPaths
from core.server.knowledge import ServedKnowledge
from core.settings import SettingsStore
from tests.documents import write_library
from tests.server_fixtures import (
    OpenAIClients,
    client_for,
    model_id,
    registry,
    running,
    server_engine,
)

__all__ = ["client_for", "registry", "server_engine"]  # fixtures

QUESTION = "How often must the beacon lamp be cleaned?"


def test_a_knowledge_model_answers_from_its_collection_with_citations(
    server_engine: EngineClient, registry: ModelRegistry, qwen_path: Path,
    minilm_path: Path, tmp_path: Path, client_for: OpenAIClients,
) -> None:  # fmt: skip
    write_library(tmp_path / "docs")
    added = subprocess.run(
        [sys.executable, "-m", "core.cli", "kb", "add", str(tmp_path / "docs"),
         "--embedding-model", str(minilm_path), "--embedding-ctx", "256", "--threads", "1"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    paths = AppPaths.from_env()
    settings = SettingsStore(paths.settings_file)
    minilm = registry.import_file(minilm_path).id
    settings.save(replace(settings.load(), embedding_model=minilm))
    name = f"fireside-kb:default@{model_id(registry, qwen_path)}"
    knowledge = ServedKnowledge(paths, server_engine, n_threads=1)
    with running(server_engine, registry, knowledge=knowledge) as server:
        api = client_for(server.base_url)
        assert name in [m.id for m in api.models.list().data]
        ask = [{"role": "user", "content": QUESTION}]
        reply = api.chat.completions.create(model=name, messages=ask, max_tokens=40,  # type: ignore[arg-type]
                                            temperature=0)  # fmt: skip
        chunks = list(api.chat.completions.create(model=name, messages=ask, max_tokens=40,  # type: ignore[arg-type]
                                                  temperature=0, stream=True))  # fmt: skip
        with pytest.raises(openai.BadRequestError) as unknown:
            api.chat.completions.create(model="fireside-kb:nothing@" + name.split("@")[1],
                                        messages=ask, max_tokens=2)  # type: ignore[arg-type]  # fmt: skip
        with pytest.raises(openai.BadRequestError) as malformed:
            api.chat.completions.create(model="fireside-kb:default", messages=ask)  # type: ignore[arg-type]
    assert reply.model == name and reply.choices[0].message.content
    citations = (reply.model_extra or {})["citations"]
    assert citations and citations[0]["file"].endswith("handbook.pdf")
    assert {"n", "file", "page", "snippet"} <= set(citations[0])
    # The reply cites the page that holds its fact (found after it was written: the model
    # reads unnumbered excerpts), and the citations say which they are.
    content = reply.choices[0].message.content
    assert "Tuesday" in content, content
    cited = [c for c in citations if c["cited"]]
    assert cited and all(f"[{c['n']}]" in content for c in cited), content
    assert all("Tuesday" in c["snippet"] or c["page"] == 2 for c in cited), cited
    # The stream says the same: its text with the markers, the same citations at the end.
    last = chunks[-1].model_extra or {}
    assert chunks[-1].choices[0].finish_reason and last["citations"] == citations
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert last.get("cited_content", streamed) == content
    assert unknown.value.code == "knowledge_unavailable" and "nothing" in unknown.value.message
    assert malformed.value.param == "model"
