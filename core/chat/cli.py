"""``fireside-cli chats …``: list, show, search, export, import, rename, delete, restore."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.chat.export import import_file, to_json, to_markdown
from core.chat.store import ChatStore
from core.i18n import Translator
from core.paths import AppPaths


def add_chats_parser(
    sub: Any, tr: Translator, chat_id: Callable[[str], int]
) -> argparse.ArgumentParser:
    zh = tr.language == "zh_CN"
    chats = sub.add_parser("chats", help="管理对话" if zh else "manage stored chats")
    actions = chats.add_subparsers(dest="action", required=True, parser_class=type(chats))

    listing = actions.add_parser("list", help="chats, most recent first")
    listing.add_argument("--trash", action="store_true", help="list the trash instead")
    listing.add_argument("--json", action="store_true")

    show = actions.add_parser("show", help="print a chat's active branch")
    show.add_argument("id", type=chat_id)
    show.add_argument("--json", action="store_true", help="the whole tree as JSON")

    search = actions.add_parser("search", help="find chats by title or message text")
    search.add_argument("text")
    search.add_argument("--json", action="store_true")

    export = actions.add_parser("export", help="write a chat to Markdown or JSON")
    export.add_argument("id", type=chat_id)
    export.add_argument("--format", choices=["md", "json"], default="md")
    export.add_argument("--output", "-o", help="file to write (default: standard output)")

    imp = actions.add_parser("import", help="import a chat exported as JSON")
    imp.add_argument("file")
    imp.add_argument("--json", action="store_true")

    rename = actions.add_parser("rename", help="give a chat a new title")
    rename.add_argument("id", type=chat_id)
    rename.add_argument("title")

    delete = actions.add_parser("delete", help="move a chat to the trash")
    delete.add_argument("id", type=chat_id)

    restore = actions.add_parser("restore", help="bring a chat back from the trash")
    restore.add_argument("id", type=chat_id)

    purge = actions.add_parser("purge", help="empty the trash for good")
    purge.add_argument("--days", type=float, default=0.0,
                       help="only chats in the trash longer than this")  # fmt: skip
    parser: argparse.ArgumentParser = chats
    return parser


def _when(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_chats(args: argparse.Namespace, paths: AppPaths, tr: Translator) -> int:
    paths.ensure()
    out = sys.stdout
    with ChatStore(paths.chats_db) as store:
        if store.recovery is not None:
            print(store.recovery.message(tr), file=sys.stderr)
        action = args.action
        if action == "list":
            chats = store.list_chats(trashed=args.trash)
            if args.json:
                out.write(json.dumps([
                    {"id": c.id, "title": c.title, "updated_at": c.updated_at,
                     "model": c.model, "messages": len(store.messages(c.id)),
                     "deleted_at": c.deleted_at}
                    for c in chats
                ], ensure_ascii=False) + "\n")  # fmt: skip
            elif not chats:
                print(tr("cli_trash_empty" if args.trash else "cli_no_chats"))
            for chat in [] if args.json else chats:
                count = len(store.messages(chat.id))
                print(f"{chat.id:>5}  {_when(chat.updated_at)}  {count:>4}  {chat.title}")
        elif action == "show":
            store.get_chat(args.id)
            if args.json:
                out.write(json.dumps(to_json(store, args.id), ensure_ascii=False, indent=2) + "\n")
            else:
                out.write(to_markdown(store, args.id))
        elif action == "search":
            hits = store.search(args.text)
            if args.json:
                out.write(json.dumps([
                    {"chat": h.chat_id, "title": h.chat_title, "message": h.message_id,
                     "snippet": h.snippet} for h in hits
                ], ensure_ascii=False) + "\n")  # fmt: skip
            elif not hits:
                print(tr("cli_no_results"))
            for hit in [] if args.json else hits:
                print(f"{hit.chat_id:>5}  {hit.chat_title}  ·  {hit.snippet.replace(chr(10), ' ')}")
        elif action == "export":
            if args.format == "json":
                text = json.dumps(to_json(store, args.id), ensure_ascii=False, indent=2) + "\n"
            else:
                text = to_markdown(store, args.id)
            if args.output:
                _write_atomically(Path(args.output), text)
                print(tr("cli_exported", path=args.output), file=sys.stderr)
            else:
                out.write(text)
        elif action == "import":
            chat = import_file(store, Path(args.file))
            count = len(store.messages(chat.id))
            if args.json:
                out.write(json.dumps({"id": chat.id, "messages": count}) + "\n")
            else:
                print(tr("cli_imported", chat_id=chat.id, count=count))
        elif action == "rename":
            store.rename(args.id, args.title)
            print(tr("cli_renamed", chat_id=args.id))
        elif action == "delete":
            store.delete(args.id)
            print(tr("cli_deleted", chat_id=args.id))
        elif action == "restore":
            store.restore(args.id)
            print(tr("cli_restored", chat_id=args.id))
        elif action == "purge":
            print(tr("cli_purged", count=store.purge(older_than_s=args.days * 86400)))
    return 0
