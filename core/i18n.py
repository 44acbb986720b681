"""Messages a person can meet outside the window, in Simplified Chinese and English.

The window translates its own widgets with Qt's translation system; everything the core says
to a person (errors from the engine, the CLI's lines) comes from this catalogue, so the CLI
and the window speak with one voice. Each message is keyed by a stable code that errors carry,
which lets tests assert the meaning without depending on the wording.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

SUPPORTED: Final = ("en", "zh_CN")

MESSAGES: Final[dict[str, dict[str, str]]] = {
    "model_missing": {
        "en": "Model file not found: {path}",
        "zh_CN": "找不到模型文件：{path}",
    },
    "model_not_file": {
        "en": "Not a model file (it is a folder or a device): {path}",
        "zh_CN": "不是模型文件（这是文件夹或设备）：{path}",
    },
    "model_unreadable": {
        "en": "Cannot read the model file {path}: {reason}",
        "zh_CN": "无法读取模型文件 {path}：{reason}",
    },
    "model_not_gguf": {
        "en": "{path} is not a GGUF model file (it does not start with the GGUF signature)",
        "zh_CN": "{path} 不是 GGUF 模型文件（文件开头没有 GGUF 标识）",
    },
    "model_bad_version": {
        "en": "{path} uses GGUF version {version}, which this version of Fireside cannot read",
        "zh_CN": "{path} 使用 GGUF 第 {version} 版格式，当前版本的 Fireside 无法读取",
    },
    "model_truncated": {
        "en": "{path} is incomplete: it should be {expected} bytes but is {actual} "
        "(an interrupted download?)",
        "zh_CN": "{path} 不完整：应为 {expected} 字节，实际只有 {actual} 字节（下载中断了吗？）",
    },
    "model_header_truncated": {
        "en": "{path} is incomplete: the file ends inside its header (an interrupted download?)",
        "zh_CN": "{path} 不完整：文件在头部信息中途就结束了（下载中断了吗？）",
    },
    "model_corrupt": {
        "en": "{path} is damaged: {reason}",
        "zh_CN": "{path} 已损坏：{reason}",
    },
    "model_is_embedding": {
        "en": "{path} is an embedding model; it cannot chat. Choose it as the embedding model",
        "zh_CN": "{path} 是嵌入模型，不能用于对话。请把它设为嵌入模型",
    },
    "model_load_failed": {
        "en": "The model {path} could not be loaded: {reason}",
        "zh_CN": "无法加载模型 {path}：{reason}",
    },
    "model_load_crashed": {
        "en": "The engine stopped while loading {path} (the file may be damaged or too large "
        "for this computer's memory)",
        "zh_CN": "加载 {path} 时引擎意外停止（文件可能已损坏，或超出本机内存）",
    },
    "engine_crashed": {
        "en": "The engine stopped unexpectedly; your chats are safe. Restart it to go on.",
        "zh_CN": "引擎意外停止；聊天记录没有丢失。重新启动引擎即可继续。",
    },
    "engine_start_failed": {
        "en": "The engine could not start: {reason}",
        "zh_CN": "引擎无法启动：{reason}",
    },
    "engine_timeout": {
        "en": "The engine did not answer within {seconds} seconds",
        "zh_CN": "引擎在 {seconds} 秒内没有响应",
    },
    "no_chat_model": {
        "en": "No chat model is loaded",
        "zh_CN": "尚未加载聊天模型",
    },
    "no_embedding_model": {
        "en": "No embedding model is loaded",
        "zh_CN": "尚未加载嵌入模型",
    },
    "prompt_too_long": {
        "en": "The conversation ({tokens} tokens) does not fit the context window ({n_ctx} tokens)",
        "zh_CN": "对话长度（{tokens} 个词元）超出了上下文窗口（{n_ctx} 个词元）",
    },
    "template_error": {
        "en": "The model's chat template failed: {reason}",
        "zh_CN": "模型的对话模板出错：{reason}",
    },
    "bad_argument": {
        "en": "Invalid value for {name}: {reason}",
        "zh_CN": "{name} 的值无效：{reason}",
    },
    "engine_internal": {
        "en": "The engine reported an error: {reason}",
        "zh_CN": "引擎报告了错误：{reason}",
    },
    "settings_reset": {
        "en": "The settings file was unreadable and has been set aside as {backup}; "
        "defaults are in use",
        "zh_CN": "设置文件无法读取，已另存为 {backup}；现使用默认设置",
    },
    "chat_not_found": {
        "en": "There is no chat with id {chat_id}",
        "zh_CN": "没有编号为 {chat_id} 的对话",
    },
    "message_not_found": {
        "en": "There is no message with id {message_id}",
        "zh_CN": "没有编号为 {message_id} 的消息",
    },
    "import_bad_file": {
        "en": "{path} is not a Fireside chat export: {reason}",
        "zh_CN": "{path} 不是 Fireside 导出的对话文件：{reason}",
    },
    "turn_too_large": {
        "en": "This message ({tokens} tokens) is too long for the model's context window "
        "({budget} tokens available); shorten it or choose a larger context size",
        "zh_CN": "这条消息（{tokens} 个词元）超出了模型上下文窗口的可用长度（{budget} 个词元）；"
        "请缩短消息或调大上下文长度",
    },
    # CLI words
    "cli_interrupted": {"en": "(stopped)", "zh_CN": "（已停止）"},
    "cli_loaded": {
        "en": "Loaded {name}: {arch}, {params} parameters, context {n_ctx}. "
        "Ctrl-C stops a reply, Ctrl-D quits.",
        "zh_CN": "已加载 {name}：{arch}，{params} 参数，上下文 {n_ctx}。"
        "Ctrl-C 停止回答，Ctrl-D 退出。",
    },
    "cli_error": {"en": "Error: {message}", "zh_CN": "错误：{message}"},
    "cli_model_required": {
        "en": "--model is required for a new chat",
        "zh_CN": "新对话需要指定 --model",
    },
    "cli_no_chats": {"en": "No chats yet.", "zh_CN": "还没有对话。"},
    "cli_no_results": {"en": "Nothing found.", "zh_CN": "没有找到。"},
    "cli_trash_empty": {"en": "The trash is empty.", "zh_CN": "回收站是空的。"},
    "cli_deleted": {
        "en": "Moved chat {chat_id} to the trash (undo: fireside-cli chats restore {chat_id})",
        "zh_CN": "已将对话 {chat_id} 移到回收站（撤销：fireside-cli chats restore {chat_id}）",
    },
    "cli_restored": {"en": "Restored chat {chat_id}", "zh_CN": "已恢复对话 {chat_id}"},
    "cli_renamed": {"en": "Renamed chat {chat_id}", "zh_CN": "已重命名对话 {chat_id}"},
    "cli_imported": {
        "en": "Imported as chat {chat_id} ({count} messages)",
        "zh_CN": "已导入为对话 {chat_id}（{count} 条消息）",
    },
    "cli_exported": {"en": "Wrote {path}", "zh_CN": "已写入 {path}"},
    "cli_purged": {
        "en": "Deleted {count} chats from the trash for good",
        "zh_CN": "已从回收站永久删除 {count} 个对话",
    },
    "must_be_positive": {"en": "must be a positive whole number", "zh_CN": "必须是正整数"},
    "must_be_in_range": {
        "en": "must be between {low} and {high}",
        "zh_CN": "必须介于 {low} 与 {high} 之间",
    },
}


def resolve_language(preference: str, environ: Mapping[str, str] | None = None) -> str:
    """The language to speak: an explicit preference, else the system locale, else English."""
    if preference in SUPPORTED:
        return preference
    env = os.environ if environ is None else environ
    for var in ("FIRESIDE_LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE", "LANG"):
        value = env.get(var, "")
        if value:
            first = value.split(":")[0].lower()
            return "zh_CN" if first.startswith("zh") else "en"
    return "en"


@dataclass(frozen=True)
class Translator:
    """Formats catalogue messages in one language; passed to whatever speaks to a person."""

    language: str = "en"

    def __call__(self, code: str, **params: object) -> str:
        entry = MESSAGES.get(code)
        if entry is None:
            return code
        template = entry.get(self.language) or entry["en"]
        try:
            return template.format(**params)
        except (KeyError, IndexError):
            return template
