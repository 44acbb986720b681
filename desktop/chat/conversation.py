"""The chat the window shows, and the replies it streams, run on the engine lane.

``Conversation`` is the window's handle on :class:`core.chat.session.ChatSession`: sending,
regenerating and editing each become one job on the engine lane (tokenizing, retrieving
sources, evaluating and sampling all happen there), whose items come back to the GUI thread
as signals. Everything is stored by the core as it happens, so the window only ever shows
what the store holds; a stopped or crashed reply stays as the core saved it.

One ``ChatSession`` is kept per (chat, model): its context stack remembers what the model
was shown last, which is what makes the next turn cheap and what says which old turns the
model no longer sees.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from core.chat.session import ChatSession, Reply, TurnResult, TurnSources, model_key
from core.chat.store import Message
from core.engine.errors import NoModelLoaded
from core.engine.protocol import DeviceChoice, ModelInfo, SamplingParams
from core.engine.template import ChatTemplate
from core.settings import Settings
from desktop.window.services import AppServices
from desktop.window.workers import Job, JobRunner

if TYPE_CHECKING:
    from core.knowledge.embedder import Embedder
    from core.knowledge.retrieval import Retriever
    from core.knowledge.whole_chat import WholeChat

log = logging.getLogger(__name__)

_Start = Callable[[ChatSession], Reply]
SOURCES_PER_TURN = 4  # passages put in front of a question in a chat that uses knowledge


@dataclass(frozen=True)
class ReplyStarted:
    """The person's message is stored; the reply to it begins."""

    chat_id: int
    parent: Message


@dataclass(frozen=True)
class ReplyEnded:
    chat_id: int
    result: TurnResult | None  # None when the engine ended without stats


@dataclass(frozen=True)
class UnsentText:
    """What the person typed for a turn that failed before their message was stored (too
    long for the context, the documents need reindexing, a broken template): it goes back
    into the message box, and into edit mode for an edit, so nothing typed is lost."""

    chat_id: int
    text: str
    editing: int | None  # the message being edited, for an edit
    leaf_before: int | None  # the chat's active leaf when the turn was asked for


@dataclass(frozen=True)
class SourcesSkipped:
    """The chat uses collections but no embedding model is set: answered without them."""

    reason: Exception


class Conversation(QObject):
    """Sends, regenerates, edits and stops replies for the chat in the window."""

    prepared = Signal(int)  # a chat's context is laid out: its gauge and marks are known
    reply_started = Signal(object)  # ReplyStarted
    piece = Signal(str)
    reply_ended = Signal(object)  # ReplyEnded
    sources_skipped = Signal(object)  # SourcesSkipped
    failed = Signal(object)  # the exception
    text_returned = Signal(object)  # UnsentText, just before ``failed``
    reading = Signal(object)  # core.knowledge.whole.Progress while whole documents are read

    def __init__(self, services: AppServices, engine: JobRunner, parent: QObject | None = None):
        super().__init__(parent)
        self.services = services
        self.engine = engine
        self.job: Job | None = None
        self._reply: Reply | None = None
        self._sessions: dict[tuple[int, str], ChatSession] = {}
        self._embedder: Embedder | None = None
        self._retriever: Retriever | None = None
        self._unsent: UnsentText | None = None
        self._rerank_wanted: tuple[Path, int, DeviceChoice] | None = None
        self._whole: WholeChat | None = None  # the whole-document reading in progress
        self._reading_stopped = False  # Stop came while reading: the answer still comes

    # ---- state -------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self.job is not None

    def session(self, chat_id: int) -> ChatSession | None:
        """The session of a chat on the loaded model, if one has run a turn already."""
        info = self.services.client.models.get("chat")
        if info is None:
            return None
        return self._sessions.get((chat_id, model_key(info)))

    def forget(self, chat_id: int | None = None) -> None:
        """Drop cached sessions (of one chat, or all: after the model or settings changed)."""
        if chat_id is None:
            self._sessions.clear()
        else:
            for key in [k for k in self._sessions if k[0] == chat_id]:
                del self._sessions[key]

    def forget_knowledge(self) -> None:
        """The embedding model changed: the next grounded turn loads the new one."""
        self._embedder = None
        self._retriever = None

    def new_chat(self, current: int | None, model: str | None) -> tuple[int, bool]:
        """A chat to start talking in, and whether it was created: the open chat when
        nothing was said in it yet (it takes the current default system prompt, as a new one
        would), else a new one with that prompt. Either starts with the collections the
        person used last, unless the setting that remembers them is off."""
        chats, settings = self.services.chats, self.services.settings
        prompt = settings.system_prompt
        collections = settings.last_collections if settings.remember_collections else ()
        if current is not None and not chats.messages(current):
            chats.update_chat(current, system_prompt=prompt, collections=collections)
            return current, False
        chat = chats.create_chat(model=model, system_prompt=prompt, collections=collections)
        return chat.id, True

    def collections_used(self, names: list[str]) -> None:
        """The person chose the collections a chat uses ("Use in this chat"): the next new
        chat starts with them, unless Settings turned this off. Saving them is a
        convenience, so a disk that refuses it costs nothing else."""
        settings = self.services.settings
        if settings.remember_collections and tuple(names) != settings.last_collections:
            try:
                self.services.update_settings(replace(settings, last_collections=tuple(names)))
            except OSError:
                log.info("the collections used last could not be saved", exc_info=True)

    def plain_transcript(self) -> bool | None:
        """Whether the loaded chat model talks through Fireside's plain transcript instead of
        its own template (None without a model)."""
        info = self.services.client.models.get("chat")
        if info is None:
            return None
        return model_key(info) in self.services.settings.plain_transcript_models

    def use_plain_transcript(self, on: bool) -> None:
        """The person's choice for the loaded model, kept in the settings by its key (so it
        holds at the next start, for this model only, until they take it back). Only the
        person makes it: a refused template is never replaced on its own."""
        info = self.services.client.models.get("chat")
        if info is None or self.plain_transcript() == on:
            return
        key, settings = model_key(info), self.services.settings
        kept = tuple(k for k in settings.plain_transcript_models if k != key)
        self.services.update_settings(
            replace(settings, plain_transcript_models=(*kept, key) if on else kept)
        )
        self.forget()  # the next turn makes its session with the template now chosen

    def last_said(self, chat_id: int) -> Message | None:
        """The person's last message on the chat's active branch."""
        mine = [m for m in self.services.chats.branch(chat_id) if m.role == "user"]
        return mine[-1] if mine else None

    def settings_changed(self, old: Settings, new: Settings) -> None:
        """Drop what changed settings outdate: the embedder (another embedding model), the
        sessions (sampling sizes their reply reserve; the system prompt heads new chats; a
        model taken to or from the plain transcript)."""
        if old.embedding_model != new.embedding_model:
            self.forget_knowledge()
        outdating = ("sampling", "system_prompt", "plain_transcript_models")
        if any(getattr(old, name) != getattr(new, name) for name in outdating):
            self.forget()

    def prepare(self, chat_id: int) -> Job | None:
        """Lay out a chat's context on the engine lane (see ``ChatSession.prepare``), once
        per chat and model; ``prepared`` says when. A failure here is not worth a message:
        the next turn says it if it matters."""
        if self.session(chat_id) is not None or self.services.client.models.get("chat") is None:
            return None

        def work() -> Iterator[int]:
            self._session_for(chat_id).prepare()
            yield chat_id

        job = Job(work)
        job.item.connect(self._prepared)
        return self.engine.submit(job)

    def _prepared(self, chat_id: object) -> None:
        assert isinstance(chat_id, int)
        self.prepared.emit(chat_id)

    # ---- what the person does ----------------------------------------------------------

    def send(self, chat_id: int, text: str, documents: Sequence[str] = ()) -> Job:
        """Ask ``text``; ``documents`` (ids of the chat's documents, picked by a drop:
        ``document_picks.py``) are read whole for it, whatever the chat's switch says."""
        self._remember(chat_id, text, None)
        return self._run(chat_id, lambda s: s.send(text, self._sources(chat_id, text, documents)))

    def regenerate(self, chat_id: int, message_id: int) -> Job:
        return self._run(chat_id, lambda s: s.regenerate(message_id))

    def edit(self, chat_id: int, message_id: int, text: str,
             documents: Sequence[str] = ()) -> Job:  # fmt: skip
        self._remember(chat_id, text, message_id)
        return self._run(
            chat_id, lambda s: s.edit(message_id, text, self._sources(chat_id, text, documents))
        )

    def _remember(self, chat_id: int, text: str, editing: int | None) -> None:
        if self.job is None:
            leaf = self.services.chats.get_chat(chat_id).active_leaf
            self._unsent = UnsentText(chat_id, text, editing, leaf)

    def stop(self) -> None:
        """Stop the reply (or the request about to start one)."""
        if self.job is not None:
            self.job.cancel()

    # ---- plumbing ----------------------------------------------------------------------

    def _run(self, chat_id: int, start: _Start) -> Job:
        if self.job is not None:
            raise RuntimeError("a reply is already running")

        def work() -> Iterator[object]:
            session = self._session_for(chat_id)
            self._reading_stopped = False
            reply = start(session)
            self._reply = reply
            if job.cancelled and not self._reading_stopped:
                reply.cancel()
            yield ReplyStarted(chat_id, reply.parent)
            try:
                yield from reply
            finally:
                self._reply = None
            yield ReplyEnded(chat_id, reply.result)

        job = Job(work, cancel=self._cancel_reply)
        job.item.connect(self._item)
        job.failed.connect(self._failed)
        job.ended.connect(self._ended)
        self.job = job
        return self.engine.submit(job)

    def _cancel_reply(self) -> None:
        """Stop the reply; while whole documents are read, stop the reading only: the
        answer is then made from what was read (core/knowledge/whole.py)."""
        whole = self._whole
        if whole is not None and whole.cancel():
            self._reading_stopped = True
            return
        reply = self._reply
        if reply is not None:
            reply.cancel()

    def _session_for(self, chat_id: int) -> ChatSession:
        """Runs on the engine lane: building a session compiles the model's template."""
        info = self.services.client.models.get("chat")
        if info is None:
            raise NoModelLoaded("no_chat_model")
        key = (chat_id, model_key(info))
        session = self._sessions.get(key)
        if session is None:
            # The sampling settings size the reply's reserve in the context stack; when they
            # change, the window forgets the sessions and the next turn makes a new one.
            session = ChatSession(self.services.chats, self.services.client, chat_id,
                                  self._sampling(), template=self._template(info))  # fmt: skip
            self._sessions[key] = session
        return session

    def _template(self, info: ModelInfo) -> ChatTemplate | None:
        """Fireside's plain transcript for a model whose template the person agreed to
        replace (``Settings.plain_transcript_models``), else None: the model's own."""
        chosen = model_key(info) in self.services.settings.plain_transcript_models
        return ChatTemplate.plain_transcript() if chosen else None

    def _sampling(self) -> SamplingParams:
        s = self.services.settings.sampling
        return SamplingParams(
            temperature=s.temperature, top_p=s.top_p, top_k=s.top_k, min_p=s.min_p,
            repeat_penalty=s.repeat_penalty, max_tokens=s.max_tokens,
        )  # fmt: skip

    def _sources(self, chat_id: int, text: str,
                 documents: Sequence[str] = ()) -> TurnSources | None:  # fmt: skip
        """Runs on the engine lane: the passages of the chat's collections for this turn,
        or, when the chat reads whole documents (or ``documents`` were picked for this
        question), what the reading found (no embedding model needed)."""
        chat = self.services.chats.get_chat(chat_id)
        if not chat.collections:
            return None
        known = {c.name for c in self.services.knowledge.collections()}
        chosen = [name for name in chat.collections if name in known]
        from core.knowledge.whole_chat import WHOLE_DOCUMENTS

        if chosen and (documents or chat.settings.get(WHOLE_DOCUMENTS)):
            return self._read_whole(chat_id, text, chosen, documents)
        try:
            retriever = self._knowledge_retriever()
        except Exception as exc:  # no embedding model: answer anyway, and say why
            self.sources_skipped.emit(SourcesSkipped(exc))
            return None
        if not chosen:
            return None
        hits = retriever.search(text, SOURCES_PER_TURN, chosen)
        from core.knowledge.grounding import ground

        return ground(text, hits) if hits else None

    def _read_whole(self, chat_id: int, text: str, chosen: list[str],
                    documents: Sequence[str] = ()) -> TurnSources:  # fmt: skip
        """Runs on the engine lane: the chat's documents (or those picked) read whole for
        this question (on the chat model's side cache), with ``reading`` reporting each
        step."""
        from core.knowledge.whole_chat import WholeChat

        chats = self.services.chats
        groundings = [m.grounding for m in chats.branch(chat_id) if m.role == "user"]
        self._whole = WholeChat(self.services.knowledge.store, self.services.client, chosen,
                                documents)  # fmt: skip
        try:
            return self._whole.ground(text, groundings, self.reading.emit)
        finally:
            self._whole = None

    def _knowledge_retriever(self) -> Retriever:
        # Imported here, off the window's start: the knowledge modules bring numpy along.
        from core.knowledge.embedder import Embedder, resolve_model
        from core.knowledge.rerank import Reranker, resolve_reranker
        from core.models.switching import device_choice

        settings = self.services.settings
        model: Path = resolve_model(None, settings, self.services.paths)
        # Settings → Device applies to the embedding model and the reranker too: a change
        # makes new ones, which load again on the chosen device at their next use.
        device = device_choice(settings.engine, "embedding")
        embedder = self._embedder
        if embedder is None or embedder.model_path != model or embedder.device != device:
            threads = settings.engine.n_threads or None
            self._embedder = Embedder(self.services.client, model, n_threads=threads,
                                      device=device)  # fmt: skip
            self._retriever = None
        # The reranking stage, when the settings turn it on (core/knowledge/rerank.py).
        rerank_model = resolve_reranker(None, settings, self.services.paths)
        rerank_device = device_choice(settings.engine, "reranker")
        wanted = (
            (rerank_model, settings.knowledge.rerank_candidates, rerank_device)
            if rerank_model
            else None
        )
        if wanted != self._rerank_wanted:
            self._rerank_wanted = wanted
            self._retriever = None
        if self._retriever is None:
            reranker = None
            if rerank_model is not None:
                reranker = Reranker(self.services.client, rerank_model,
                                    candidates=settings.knowledge.rerank_candidates,
                                    n_threads=settings.engine.n_threads or None,
                                    device=rerank_device)  # fmt: skip
            self._retriever = self.services.knowledge.retriever(self._embedder, reranker)
        return self._retriever

    def _item(self, value: object) -> None:
        if isinstance(value, str):
            self.piece.emit(value)
        elif isinstance(value, ReplyStarted):
            self._unsent = None  # the person's message is stored
            self.reply_started.emit(value)
        elif isinstance(value, ReplyEnded):
            self.job = None  # its last item: the lane is free for the next request
            self.reply_ended.emit(value)

    def _failed(self, error: object) -> None:
        self.job = None
        unsent, self._unsent = self._unsent, None
        if unsent is not None:
            try:
                stored = self.services.chats.get_chat(unsent.chat_id).active_leaf
            except Exception:  # the chat is gone or the store cannot say: give it back
                stored = unsent.leaf_before
            if stored == unsent.leaf_before:  # nothing of this turn was saved
                self.text_returned.emit(unsent)
        self.failed.emit(error)

    def _ended(self, job: object) -> None:
        if job is self.job:
            self.job = None
