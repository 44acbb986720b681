"""``fireside-cli serve``: the local OpenAI-compatible server without a window.

It loads the chosen chat model (``--model``, else the default from the settings) before it
listens, so the first request does not wait for a load, and serves until Ctrl-C. It listens
on 127.0.0.1 unless ``--host`` says otherwise; any other host takes the API key from the
keyring (made on first use) and prints it, and so does ``--api-key`` on loopback.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from core.engine.client import EngineClient
from core.engine.protocol import LoadOptions, SamplingParams
from core.errors import FiresideError
from core.i18n import Translator
from core.models.registry import ModelRegistry
from core.models.switching import ModelSwitcher, device_choice, side_load_options
from core.paths import AppPaths
from core.server.keys import ApiKeyStore
from core.server.knowledge import ServedKnowledge
from core.server.served_models import ServedModels
from core.server.server import DEFAULT_HOST, DEFAULT_PORT, LocalServer, ServerConfig, is_loopback
from core.settings import Settings, SettingsStore


def add_serve_parser(sub: Any, tr: Translator, positive: Callable[[str], int]) -> None:
    zh = tr.language == "zh_CN"
    serve = sub.add_parser(
        "serve", help="本机 OpenAI 兼容服务器" if zh else "a local OpenAI-compatible server"
    )
    serve.add_argument("--host", default=DEFAULT_HOST, help="address to listen on")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    serve.add_argument("--model", help="installed chat model id to load first")
    serve.add_argument("--pin", action="store_true",
                       help="answer only with the loaded chat model")  # fmt: skip
    serve.add_argument("--api-key", action="store_true",
                       help="require the API key on loopback too")  # fmt: skip
    serve.add_argument("--new-api-key", action="store_true", help="replace the API key")
    serve.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                       help="a web origin allowed to read answers (repeatable)")  # fmt: skip
    serve.add_argument("--ctx", type=positive, default=None)
    serve.add_argument("--threads", type=positive, default=None)
    serve.add_argument("--max-waiting", type=int, default=8)


def sampling_defaults(settings: Settings) -> SamplingParams:
    """The person's own sampling settings; a request's fields override them."""
    s = settings.sampling
    return SamplingParams(temperature=s.temperature, top_p=s.top_p, top_k=s.top_k,
                          min_p=s.min_p, repeat_penalty=s.repeat_penalty,
                          max_tokens=s.max_tokens)  # fmt: skip


def run_serve(args: argparse.Namespace, paths: AppPaths, tr: Translator) -> int:
    settings_store = SettingsStore(paths.settings_file)
    settings = settings_store.load()
    registry = ModelRegistry(paths)
    key = None
    if args.api_key or args.new_api_key or not is_loopback(args.host):
        keys = ApiKeyStore()
        key = keys.renew() if args.new_api_key else keys.get_or_create()
        if not keys.persistent:
            print(tr("server_key_session_only"), file=sys.stderr)
    config = ServerConfig(host=args.host, port=args.port, api_key=key,
                          cors_origins=tuple(args.cors_origin),
                          max_waiting=max(0, args.max_waiting))  # fmt: skip
    engine = settings.engine
    options = LoadOptions(n_ctx=args.ctx or engine.n_ctx,
                          n_threads=args.threads or engine.n_threads or None,
                          n_batch=engine.n_batch).on(device_choice(engine, "chat"))  # fmt: skip
    embedding = side_load_options(engine, "embedding")
    embedding = replace(embedding, n_threads=args.threads or embedding.n_threads)
    paths.ensure()
    with EngineClient(paths) as client:
        models = ServedModels(registry, client, chat_options=options,
                              embedding_options=embedding, pinned=args.pin)  # fmt: skip
        if not models.listed():
            print(tr("cli_error", message=tr("server_no_models")), file=sys.stderr)
            return 1
        try:
            first = (
                models.find(args.model, "chat")
                if args.model
                else ModelSwitcher(registry, settings_store).default("chat")
            )
            if first is not None:
                models.ensure(first)
                print(tr("server_loaded", model=first.id), file=sys.stderr)
        except FiresideError as exc:  # an unknown id, a model that won't fit or won't load
            print(tr("cli_error", message=exc.message(tr)), file=sys.stderr)
            return 1
        knowledge = ServedKnowledge(paths, client, n_threads=options.n_threads)
        server = LocalServer(config, client, models, sampling_defaults(settings), tr, knowledge)
        server.bind()
        print(tr("server_listening", url=server.base_url), file=sys.stderr)
        if key is not None:
            print(tr("server_key_shown", key=key), file=sys.stderr)
        sys.stderr.flush()
        # uvicorn stops gracefully on Ctrl-C, then raises it again: the normal way to stop.
        with contextlib.suppress(KeyboardInterrupt):
            server.serve()
    return 0
