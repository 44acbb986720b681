"""The Starlette application: OpenAI's endpoints over the engine lane.

Middleware, outermost first: CORS only when the person listed allowed origins (otherwise no
CORS header is ever sent, so a web page in a browser cannot read an answer), then the API
key check when a key is set. Every endpoint answers errors in OpenAI's shape; bodies are
read with a size limit (413); generations run one at a time on the engine lane and stop when
their client leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from core.engine.client import EngineClient, Generation
from core.engine.protocol import ChatMessage, GenerationStats, SamplingParams
from core.errors import FiresideError
from core.i18n import Translator
from core.knowledge.grounding import GroundedTurn, attributed, mark_cited
from core.server import openai_format as fmt
from core.server.errors import ApiError, from_fireside_error
from core.server.jobs import GenerationJob, Outcome
from core.server.keys import key_matches
from core.server.knowledge import KnowledgeModel, ServedKnowledge, parse_knowledge_model
from core.server.lane import EngineLane
from core.server.recent import RecentRequests
from core.server.served_models import ServedModels

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass
class ServerContext:
    """What the endpoints work with; one per running server."""

    client: EngineClient
    models: ServedModels
    lane: EngineLane
    recent: RecentRequests
    sampling: SamplingParams  # the person's defaults; a request's fields override them
    translate: Translator = field(default_factory=Translator)
    api_key: str | None = None
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 4 * 1024 * 1024
    max_embedding_inputs: int = 256
    knowledge: ServedKnowledge | None = None  # fireside-kb:<collection>@<chat model>
    jobs: set[GenerationJob] = field(default_factory=set)

    def error_response(self, error: ApiError) -> JSONResponse:
        return JSONResponse(error.body(self.translate), status_code=error.status,
                            headers=error.headers)  # fmt: skip

    def cancel_all(self) -> None:
        for job in list(self.jobs):
            job.cancel()


class KeyCheck:
    """Refuses (401) any request without ``Authorization: Bearer <key>``."""

    def __init__(self, app: ASGIApp, context: ServerContext) -> None:
        self.app = app
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self.context.api_key
        if scope["type"] == "http" and key is not None:
            headers = dict(scope["headers"])
            given = headers.get(b"authorization", b"").decode("latin-1")
            if not key_matches(key, given):
                error = ApiError(401, "server_bad_key", api_code="invalid_api_key")
                await self.context.error_response(error)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def build_app(context: ServerContext) -> Starlette:
    endpoints = Endpoints(context)
    middleware = []
    if context.cors_origins:
        middleware.append(Middleware(
            CORSMiddleware, allow_origins=list(context.cors_origins),
            allow_methods=["GET", "POST"], allow_headers=["Authorization", "Content-Type"],
        ))  # fmt: skip
    middleware.append(Middleware(KeyCheck, context=context))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = "server_no_such_endpoint" if exc.status_code == 404 else "server_bad_method"
        return context.error_response(ApiError(exc.status_code, code, path=request.url.path))

    return Starlette(
        routes=[
            Route("/v1/models", endpoints.guarded(endpoints.models), methods=["GET"]),
            Route("/v1/chat/completions", endpoints.guarded(endpoints.chat), methods=["POST"]),
            Route("/v1/completions", endpoints.guarded(endpoints.completions), methods=["POST"]),
            Route("/v1/embeddings", endpoints.guarded(endpoints.embeddings), methods=["POST"]),
        ],
        middleware=middleware,
        exception_handlers={HTTPException: http_error},
    )


class Endpoints:
    """The handlers, each turning a checked request into engine work on the lane."""

    def __init__(self, context: ServerContext) -> None:
        self.context = context

    def guarded(self, endpoint: Endpoint) -> Endpoint:
        """Every error as OpenAI's JSON; an unexpected one as a 500 naming only its kind."""

        async def run(request: Request) -> Response:
            try:
                return await endpoint(request)
            except ClientGone:
                return Response(status_code=499)  # nginx's "client closed request"; unread
            except FiresideError as exc:
                return self.context.error_response(from_fireside_error(exc))
            except Exception as exc:
                error = ApiError(500, "server_internal", reason=type(exc).__name__)
                return self.context.error_response(error)

        return run

    async def read_json(self, request: Request) -> Any:
        """The body as JSON, refused (413) past the limit without keeping more than it."""
        limit = self.context.max_body_bytes
        declared = request.headers.get("content-length", "")
        too_large = declared.isdigit() and int(declared) > limit
        data = bytearray()
        async for chunk in request.stream():  # read through, so the client sees the 413
            if too_large or len(data) + len(chunk) > limit:
                too_large = True
                continue
            data += chunk
        if too_large:
            raise ApiError(413, "server_body_too_large", api_code="request_too_large",
                           limit_mb=limit // (1024 * 1024))  # fmt: skip
        try:
            return json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "server_bad_json", api_code="invalid_json") from None

    # ---- endpoints -------------------------------------------------------------------------

    async def models(self, request: Request) -> Response:
        listed = self.context.models.listed()
        data = [fmt.model_entry(m.id, m.added_at) for m in listed]
        knowledge = self.context.knowledge
        if knowledge is not None:
            collections = await asyncio.to_thread(knowledge.collection_names)
            data += [
                fmt.model_entry(KnowledgeModel(c, m.id).name, m.added_at)
                for c in collections for m in listed if m.kind == "chat"
            ]  # fmt: skip
        return JSONResponse({"object": "list", "data": data})

    async def chat(self, request: Request) -> Response:
        call = fmt.parse_chat(await self.read_json(request), self.context.sampling)
        kb = parse_knowledge_model(call.model)
        model = self.context.models.find(kb.chat_model if kb else call.model, "chat")
        name = kb.name if kb else model.id
        client = self.context.client
        extra: dict[str, Any] = {}  # the citations of a knowledge answer
        turns: list[GroundedTurn] = []  # the grounded turn of a knowledge answer

        def start() -> Generation:
            self.context.models.ensure(model)
            messages = call.messages
            if kb is not None:
                messages = self._grounded(kb.collection, messages, extra, turns)
            return client.generate(messages, call.sampling)

        def cite(text: str) -> str:
            """The reply with its citations found (a knowledge answer), and each source's
            ``cited`` flag set to match."""
            if not turns:
                return text
            text = attributed(turns[0], text)
            extra["citations"] = mark_cited(extra["citations"], text)
            return text

        reply_id = fmt.new_id("chatcmpl")
        job, first = await self._start(request, "/v1/chat/completions", name, start)
        if not call.stream:
            outcome = await self._collect(request, job, first)
            text = cite(outcome.text) if _finished(outcome.stats) else outcome.text
            logprobs = fmt.chat_logprobs(outcome.logprobs, call.logprobs)
            body = fmt.chat_completion(reply_id, name, text, outcome.stats, logprobs)
            return JSONResponse({**body, **extra})

        async def chunks() -> AsyncIterator[dict[str, Any]]:
            yield fmt.chat_chunk(reply_id, name, {"role": "assistant", "content": ""})
            streamed: list[str] = []
            async for kind, value in self._events(job, first):
                if kind == "piece":
                    streamed.append(value)
                    yield fmt.chat_chunk(reply_id, name, {"content": value})
                else:
                    stats = value.stats
                    finish = fmt.finish_reason(stats.stop_reason)
                    so_far = "".join(streamed)
                    cited = cite(so_far) if _finished(stats) else so_far
                    if cited != so_far and cited.startswith(so_far):
                        # the last sentence's markers follow the text: streamed as text
                        yield fmt.chat_chunk(reply_id, name, {"content": cited[len(so_far) :]})
                    elif cited != so_far:
                        # markers inside the text: the whole cited reply on the last chunk
                        extra["cited_content"] = cited
                    # the tokens' log-probabilities come with the end, all at once
                    logprobs = fmt.chat_logprobs(value.logprobs, call.logprobs)
                    last = fmt.chat_chunk(reply_id, name, {}, finish, logprobs)
                    yield {**last, **extra}
                    if call.include_usage:
                        yield fmt.usage_chunk(reply_id, name, stats)

        return self._sse(job, chunks())

    def _grounded(self, collection: str, messages: tuple[ChatMessage, ...],
                  extra: dict[str, Any], turns: list[GroundedTurn],
                  ) -> tuple[ChatMessage, ...]:  # fmt: skip
        """The messages with the last user turn grounded in ``collection`` (on the lane)."""
        knowledge = self.context.knowledge
        if knowledge is None:
            raise ApiError(400, "server_kb_unavailable", api_code="knowledge_unavailable",
                           param="model")  # fmt: skip
        if messages[-1].role != "user":
            raise ApiError(400, "server_kb_needs_user", api_code="invalid_value",
                           param="messages")  # fmt: skip
        turn = knowledge.ground(collection, messages[-1].content)
        extra["citations"] = turn.citations
        turns.append(turn)
        return (*messages[:-1], ChatMessage("user", turn.model_text))

    async def completions(self, request: Request) -> Response:
        call = fmt.parse_completion(await self.read_json(request), self.context.sampling)
        model = self.context.models.find(call.model, "chat")
        client = self.context.client

        def start() -> Generation:
            self.context.models.ensure(model)
            prompt = client.tokenize(call.prompt, add_special=True, parse_special=False)
            return client.generate_tokens(prompt, call.sampling)

        reply_id = fmt.new_id("cmpl")
        job, first = await self._start(request, "/v1/completions", model.id, start)
        if not call.stream:
            outcome = await self._collect(request, job, first)
            finish = fmt.finish_reason(outcome.stats.stop_reason)
            logprobs = fmt.completion_logprobs(outcome.logprobs, call.logprobs)
            return JSONResponse(fmt.text_completion(reply_id, model.id, outcome.text, finish,
                                                    outcome.stats, logprobs))  # fmt: skip

        async def chunks() -> AsyncIterator[dict[str, Any]]:
            async for kind, value in self._events(job, first):
                if kind == "piece":
                    yield fmt.text_completion(reply_id, model.id, value, None, None)
                else:
                    finish = fmt.finish_reason(value.stats.stop_reason)
                    logprobs = fmt.completion_logprobs(value.logprobs, call.logprobs)
                    yield fmt.text_completion(reply_id, model.id, "", finish, None, logprobs)
                    if call.include_usage:
                        yield fmt.usage_chunk(reply_id, model.id, value.stats, "text_completion")

        return self._sse(job, chunks())

    async def embeddings(self, request: Request) -> Response:
        call = fmt.parse_embeddings(await self.read_json(request),
                                    self.context.max_embedding_inputs)  # fmt: skip
        model = self.context.models.find(call.model, "embedding")
        client = self.context.client
        record = self.context.recent.start("/v1/embeddings", model.id)

        def embed() -> tuple[list[list[float]], int]:
            self.context.models.ensure(model)
            tokens = sum(len(client.tokenize(t, slot="embedding")) for t in call.texts)
            return client.embed(call.texts), tokens

        try:
            vectors, tokens = await asyncio.wrap_future(self.context.lane.submit(embed))
        except FiresideError as exc:
            error = from_fireside_error(exc)
            record.status, record.outcome = error.status, error.code
            raise error from None
        finally:
            record.finished_at = record.finished_at or _now()
        record.prompt_tokens, record.outcome = tokens, "embedded"
        return JSONResponse(fmt.embeddings(model.id, vectors, tokens, call.base64))

    # ---- generation plumbing -----------------------------------------------------------

    async def _start(
        self, request: Request, endpoint: str, model_id: str, start: Callable[[], Generation]
    ) -> tuple[GenerationJob, tuple[str, Any]]:
        """Queue the job and wait for its first event (a piece, the end or an error), so
        an error that comes before any text still gets its own status code."""
        record = self.context.recent.start(endpoint, model_id)
        job = GenerationJob(asyncio.get_running_loop(), record)
        try:
            self.context.lane.submit(lambda: job.run(start))
        except ApiError as error:
            record.status, record.outcome, record.finished_at = error.status, error.code, _now()
            raise
        self.context.jobs.add(job)
        first = await self._next_unless_gone(request, job)
        if first[0] == "error":
            self.context.jobs.discard(job)
            raise first[1]
        return job, first

    async def _next_unless_gone(self, request: Request, job: GenerationJob) -> tuple[str, Any]:
        """The job's next event; if the client leaves first, the job is cancelled."""
        gone = asyncio.create_task(_disconnected(request.receive))
        event = asyncio.create_task(job.next())
        try:
            done, _ = await asyncio.wait({gone, event}, return_when=asyncio.FIRST_COMPLETED)
            if event in done:
                return event.result()
            job.cancel()
            self.context.jobs.discard(job)
            raise ClientGone
        finally:
            for task in (gone, event):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _collect(self, request: Request, job: GenerationJob,
                       first: tuple[str, Any]) -> Outcome:  # fmt: skip
        """A whole reply, for a request without ``stream``."""
        event = first
        try:
            while event[0] == "piece":
                event = await self._next_unless_gone(request, job)
        finally:
            self.context.jobs.discard(job)
        if event[0] == "error":
            raise event[1]
        outcome: Outcome = event[1]
        return outcome

    async def _events(self, job: GenerationJob,
                      first: tuple[str, Any]) -> AsyncIterator[tuple[str, Any]]:  # fmt: skip
        """Pieces then the outcome; an error after the first piece ends the stream with an
        error event (the status line has gone out already). Leaving cancels the job."""
        event = first
        try:
            while True:
                kind, value = event
                if kind == "error":
                    raise value
                yield kind, value
                if kind == "done":
                    return
                event = await job.next()
        finally:
            job.cancel()  # the client left (or it ended): the engine stops at its next token
            self.context.jobs.discard(job)

    def _sse(self, job: GenerationJob, chunks: AsyncIterator[dict[str, Any]]) -> Response:
        translate = self.context.translate

        async def lines() -> AsyncIterator[str]:
            try:
                async for chunk in chunks:
                    yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"
            except ApiError as error:
                yield f"data: {json.dumps(error.body(translate), ensure_ascii=False)}\n\n"
                return
            yield "data: [DONE]\n\n"

        return StreamingResponse(lines(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})  # fmt: skip


async def _disconnected(receive: Receive) -> None:
    """Returns when the client has gone (the body has been read before this runs)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


def _finished(stats: GenerationStats) -> bool:
    """A reply that ended on its own (or at max_tokens): its citations can be found."""
    return stats.stop_reason in ("eos", "stop_string", "length")


def _now() -> float:
    return time.time()


class ClientGone(Exception):
    """The client left before its answer was ready; nobody is there to answer."""
