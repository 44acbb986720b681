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
    "data_folder_unwritable": {
        "en": "Fireside cannot use its data folder {path}: {reason}",
        "zh_CN": "Fireside 无法使用数据文件夹 {path}：{reason}",
    },
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
    "gguf_value_type": {
        "en": "its header uses an unknown value type {vtype}",
        "zh_CN": "头部信息使用了未知的数值类型 {vtype}",
    },
    "gguf_implausible_counts": {
        "en": "its header declares {tensors} tensors and {entries} metadata entries",
        "zh_CN": "头部信息声称有 {tensors} 个张量和 {entries} 项元数据，不合常理",
    },
    "gguf_tensor_dims": {
        "en": "tensor {name} has {dims} dimensions",
        "zh_CN": "张量 {name} 有 {dims} 个维度",
    },
    "gguf_tensor_blocks": {
        "en": "tensor {name} does not fill whole {type} blocks",
        "zh_CN": "张量 {name} 没有填满完整的 {type} 数据块",
    },
    "gguf_tensor_shape": {
        "en": "tensor {name} has an impossible shape {shape}",
        "zh_CN": "张量 {name} 的形状 {shape} 不可能成立",
    },
    "gguf_tensor_misaligned": {
        "en": "tensor {name} is not aligned",
        "zh_CN": "张量 {name} 没有对齐",
    },
    "gguf_field_not_number": {
        "en": "its header field {key} is {value}, not a whole number",
        "zh_CN": "头部字段 {key} 的值是 {value}，不是整数",
    },
    "gguf_field_out_of_range": {
        "en": "its header field {key} is {value}, outside {low} to {high}",
        "zh_CN": "头部字段 {key} 的值是 {value}，超出了 {low} 到 {high} 的范围",
    },
    "gguf_field_not_text": {
        "en": "its header field {key} is {value}, not text",
        "zh_CN": "头部字段 {key} 的值是 {value}，不是文本",
    },
    "gguf_field_not_list": {
        "en": "its header field {key} is {value}, not a list",
        "zh_CN": "头部字段 {key} 的值是 {value}，不是列表",
    },
    "gguf_alignment": {
        "en": "its header field general.alignment is {value}, not a power of two",
        "zh_CN": "头部字段 general.alignment 的值是 {value}，不是 2 的幂",
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
    "engine_illegal_instruction": {
        "en": "The engine could not start: this computer's processor lacks an instruction "
        "this copy of llama.cpp uses (illegal instruction). It was built for a newer "
        "processor; Fireside's release download runs on this one.",
        "zh_CN": "引擎无法启动：此电脑的处理器不支持这份 llama.cpp 使用的指令（非法指令）。"
        "它是为更新的处理器构建的；Fireside 的正式发布版可以在这台电脑上运行。",
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
    "no_reranker_model": {
        "en": "No reranker model is loaded",
        "zh_CN": "尚未加载重排序模型",
    },
    "model_not_reranker": {
        "en": "{path} is not a reranker: it has no ranking head (rank pooling or a classifier)",
        "zh_CN": "{path} 不是重排序模型：它没有排序输出层（rank 池化或分类头）",
    },
    "prompt_too_long": {
        "en": "The conversation ({tokens} tokens) does not fit the context window ({n_ctx} tokens)",
        "zh_CN": "对话长度（{tokens} 个词元）超出了上下文窗口（{n_ctx} 个词元）",
    },
    "template_error": {
        "en": "The model's chat template failed: {reason}",
        "zh_CN": "模型的对话模板出错：{reason}",
    },
    "template_too_slow": {
        "en": "The model's chat template ran longer than {seconds} s and was stopped; it is "
        "not used",
        "zh_CN": "模型的对话模板运行超过 {seconds} 秒，已被停止，不再使用",
    },
    "template_too_large": {
        "en": "The model's chat template used more memory or made more text than allowed and "
        "was stopped; it is not used",
        "zh_CN": "模型的对话模板占用的内存或生成的文字超出限制，已被停止，不再使用",
    },
    "template_transcript_hint": {
        "en": "To chat with this model anyway, use a plain transcript instead of its template "
        "(fireside-cli chat --plain-transcript)",
        "zh_CN": "如仍要与此模型对话，可改用纯文本对话记录代替它的模板"
        "（fireside-cli chat --plain-transcript）",
    },
    "bad_argument": {
        "en": "Invalid value for {name}: {reason}",
        "zh_CN": "{name} 的值无效：{reason}",
    },
    "engine_internal": {
        "en": "The engine reported an error: {reason}",
        "zh_CN": "引擎报告了错误：{reason}",
    },
    "data_busy_window": {
        "en": "Fireside is open and using this data folder (process {pid}): close the window "
        "first, or do this in the window",
        "zh_CN": "Fireside 窗口正在使用这个数据文件夹（进程 {pid}）：请先关闭窗口，或在窗口中操作",
    },
    "data_busy_wait": {
        "en": "Waiting for another fireside-cli (process {pid}: {command}) to finish with this "
        "data folder… (Ctrl-C gives up)",
        "zh_CN": "另一个 fireside-cli（进程 {pid}：{command}）正在使用这个数据文件夹，"
        "等待它结束…（按 Ctrl-C 放弃）",
    },
    "settings_reset": {
        "en": "The settings file was unreadable and has been set aside as {backup}; "
        "defaults are in use",
        "zh_CN": "设置文件无法读取，已另存为 {backup}；现使用默认设置",
    },
    "storage_full": {
        "en": "The disk is full: {path} could not be saved. Free some space and try again; "
        "nothing saved before is lost",
        "zh_CN": "磁盘已满：无法保存 {path}。请释放一些空间后重试；之前保存的内容不会丢失",
    },
    "storage_read_only": {
        "en": "{path} is read-only: Fireside cannot save there",
        "zh_CN": "{path} 是只读的：Fireside 无法在那里保存",
    },
    "storage_io_error": {
        "en": "The disk reported an error reading or writing {path}: {reason}",
        "zh_CN": "读写 {path} 时磁盘报告了错误：{reason}",
    },
    "storage_busy": {
        "en": "{path} is in use by another program; try again in a moment",
        "zh_CN": "{path} 正被另一个程序使用；请稍后再试",
    },
    "storage_damaged": {
        "en": "{path} is damaged ({reason}); Fireside will set it aside and recover what it "
        "can at its next start",
        "zh_CN": "{path} 已损坏（{reason}）；Fireside 下次启动时会把它另存一边并恢复能恢复的内容",
    },
    "storage_cannot_open": {
        "en": "{path} cannot be opened: {reason}",
        "zh_CN": "无法打开 {path}：{reason}",
    },
    "storage_failed": {
        "en": "Reading or writing {path} failed: {reason}",
        "zh_CN": "读写 {path} 失败：{reason}",
    },
    "storage_recovered": {
        "en": "{name} was damaged: it was set aside as {backup} and {rows} records were "
        "recovered into a new one",
        "zh_CN": "{name} 已损坏：已另存为 {backup}，并将其中 {rows} 条记录恢复到了新的数据库",
    },
    "settings_unreadable_kept": {
        "en": "The settings file {path} is unreadable and could not be set aside ({reason}); "
        "defaults are in use",
        "zh_CN": "设置文件 {path} 无法读取，也无法另存（{reason}）；现使用默认设置",
    },
    "settings_value_invalid": {
        "en": "{name} in the settings file {path} cannot be used ({value}); Auto is used instead",
        "zh_CN": "设置文件 {path} 中的 {name} 无法使用（{value}）；现改用“自动”",
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
    # The model manager (core/models/)
    "models_catalogue_invalid": {
        "en": "The model catalogue {path} is damaged: {reason}",
        "zh_CN": "模型目录 {path} 已损坏：{reason}",
    },
    "models_bad_repo": {
        "en": "Not a repository name: {repo} (expected owner/name)",
        "zh_CN": "不是有效的仓库名：{repo}（应为 所有者/名称）",
    },
    "models_bad_filename": {
        "en": "Refusing the file name {filename}: it must be a .gguf file inside the repository, "
        "without '..' or an absolute path",
        "zh_CN": "拒绝文件名 {filename}：必须是仓库内的 .gguf 文件，不能含有“..”或绝对路径",
    },
    "models_bad_endpoint": {
        "en": "Not a Hub address: {endpoint} (expected http:// or https://)",
        "zh_CN": "不是有效的 Hub 地址：{endpoint}（应以 http:// 或 https:// 开头）",
    },
    "models_bad_ctx": {
        "en": "The context size must be a positive number, not {ctx}",
        "zh_CN": "上下文长度必须是正数，而不是 {ctx}",
    },
    "models_hub_unreachable": {
        "en": "Cannot reach the model hub at {endpoint}: {reason}",
        "zh_CN": "无法连接模型仓库 {endpoint}：{reason}",
    },
    "models_hub_no_network": {
        "en": "You are offline: the Hub cannot be reached",
        "zh_CN": "你已离线：无法连接 Hub",
    },
    "models_hub_no_network_at": {
        "en": "You are offline, or {endpoint} is not an address that exists: the Hub cannot "
        "be reached",
        "zh_CN": "你已离线，或 {endpoint} 不是存在的地址：无法连接 Hub",
    },
    "net_refused": {"en": "it refused the connection", "zh_CN": "对方拒绝了连接"},
    "net_timeout": {"en": "it did not answer in time", "zh_CN": "对方没有及时响应"},
    "net_reset": {"en": "the connection was cut", "zh_CN": "连接被中断"},
    "net_short_read": {"en": "the connection ended early", "zh_CN": "连接提前结束"},
    "net_other": {"en": "{reason}", "zh_CN": "{reason}"},
    "models_hub_offline": {
        "en": "HF_HUB_OFFLINE is set, so Fireside will not contact the model hub",
        "zh_CN": "已设置 HF_HUB_OFFLINE，Fireside 不会连接模型仓库",
    },
    "models_hub_redirect_loop": {
        "en": "The model hub at {endpoint} keeps redirecting the request for {repo} in a "
        "circle; check the Hub address in the settings",
        "zh_CN": "模型仓库 {endpoint} 对 {repo} 的请求不断循环重定向；请检查设置中的 Hub 地址",
    },
    "models_hub_http": {
        "en": "The model hub at {endpoint} answered {status} for {repo}; try again later",
        "zh_CN": "模型仓库 {endpoint} 对 {repo} 返回了 {status}；请稍后再试",
    },
    "models_hub_no_metadata": {
        "en": "{endpoint} did not describe {filename} as the Hugging Face Hub does (is the "
        "address a Hub or a mirror?)",
        "zh_CN": "{endpoint} 没有按 Hugging Face Hub 的方式描述 {filename}（这个地址是 Hub "
        "或镜像吗？）",
    },
    "models_hub_no_checksum": {
        "en": "The hub published no checksum for {filename}; Fireside only installs files it can "
        "verify",
        "zh_CN": "模型仓库没有提供 {filename} 的校验值；Fireside 只安装能够校验的文件",
    },
    "models_repo_not_found": {
        "en": "There is no repository {repo} on {endpoint} (check the name; a private one needs a "
        "token)",
        "zh_CN": "{endpoint} 上没有仓库 {repo}（请检查名称；私有仓库需要访问令牌）",
    },
    "models_file_not_found": {
        "en": "The repository {repo} has no file {filename}",
        "zh_CN": "仓库 {repo} 中没有文件 {filename}",
    },
    "models_file_unlisted": {
        "en": "{filename} is not one of the GGUF models in {repo} (see: fireside-cli models files "
        "{repo})",
        "zh_CN": "{filename} 不是 {repo} 中的 GGUF 模型（查看：fireside-cli models files {repo}）",
    },
    "models_no_gguf": {
        "en": "The repository {repo} has no GGUF model files",
        "zh_CN": "仓库 {repo} 中没有 GGUF 模型文件",
    },
    "models_need_file": {
        "en": "Name the file to download from {repo} (see: fireside-cli models files {repo})",
        "zh_CN": "请指定要从 {repo} 下载的文件（查看：fireside-cli models files {repo}）",
    },
    "models_search_none": {
        "en": "No GGUF models found for “{text}”",
        "zh_CN": "没有找到与“{text}”相关的 GGUF 模型",
    },
    "models_gated": {
        "en": "{repo} is a gated model: accept its licence on the Hub, then give Fireside your "
        "access token (fireside-cli models login)",
        "zh_CN": "{repo} 是受限模型：请先在 Hub 上同意其许可，再把访问令牌交给 Fireside（"
        "fireside-cli models login）",
    },
    "models_token_rejected": {
        "en": "The hub refused your access token for {repo}: check that it is valid and that you "
        "accepted the model's licence",
        "zh_CN": "模型仓库拒绝了用于 {repo} 的访问令牌：请确认令牌有效，并已同意该模型的许可",
    },
    "models_remote_not_gguf": {
        "en": "{filename} in {repo} is not a readable GGUF model file",
        "zh_CN": "{repo} 中的 {filename} 不是可读取的 GGUF 模型文件",
    },
    "models_no_space": {
        "en": "Not enough disk space for {filename}: it needs {needed}, but {folder} has {free} "
        "free",
        "zh_CN": "磁盘空间不足，无法下载 {filename}：需要 {needed}，但 {folder} 只剩 {free}",
    },
    "models_checksum_mismatch": {
        "en": "{filename} is not what the hub published (sha256 {actual} instead of {expected}); "
        "the download was deleted",
        "zh_CN": "{filename} 与模型仓库发布的不一致（sha256 为 {actual}，应为 {expected}）；"
        "已删除该下载",
    },
    "models_download_failed": {
        "en": "The download of {filename} failed after {attempts} attempts ({reason}); run the "
        "same command again to resume",
        "zh_CN": "{filename} 下载失败，已尝试 {attempts} 次（{reason}）；再次运行同一命令即可继续",
    },
    "models_download_paused": {
        "en": "Download of {filename} paused at {done} of {total}; start it again to resume",
        "zh_CN": "{filename} 的下载已暂停（{done} / {total}）；再次开始即可继续",
    },
    "models_download_interrupted": {
        "en": "Download paused with {done} on disk; run the same command again to resume",
        "zh_CN": "下载已暂停，已保存 {done}；再次运行同一命令即可继续",
    },
    "models_download_cancelled": {
        "en": "Download of {filename} cancelled; the partial file was deleted",
        "zh_CN": "已取消 {filename} 的下载；未完成的文件已删除",
    },
    "models_download_busy": {
        "en": "{filename} is already being downloaded by another Fireside window or command",
        "zh_CN": "另一个 Fireside 窗口或命令正在下载 {filename}",
    },
    "models_downloaded": {
        "en": "Downloaded and verified {model_id} ({size}): {path}",
        "zh_CN": "已下载并校验 {model_id}（{size}）：{path}",
    },
    "models_progress_verifying": {"en": "verifying…", "zh_CN": "正在校验…"},
    "models_progress_retrying": {
        "en": "connection lost, retrying…",
        "zh_CN": "连接中断，正在重试…",
    },
    "models_wont_fit": {
        "en": "This model needs about {need} of memory; this computer has {free} free",
        "zh_CN": "这个模型需要约 {need} 内存；这台电脑只有 {free} 可用",
    },
    "models_fit_line": {
        "en": "{filename}: needs about {need} (weights {weights}, KV cache {kv}, buffers "
        "{compute}) at context {n_ctx}; {free} free of {total}: {verdict}",
        "zh_CN": "{filename}：上下文 {n_ctx} 时约需 {need}（权重 {weights}，KV 缓存 {kv}，缓冲区 "
        "{compute}）；可用 {free} / 共 {total}：{verdict}",
    },
    "models_fit_line_side": {
        "en": "{filename}: needs about {need} (weights {weights}, KV cache {kv}, buffers "
        "{compute}, a second cache for reading whole documents {side}) at context {n_ctx}; "
        "{free} free of {total}: {verdict}",
        "zh_CN": "{filename}：上下文 {n_ctx} 时约需 {need}（权重 {weights}，KV 缓存 {kv}，缓冲区 "
        "{compute}，读取整篇文档用的第二个缓存 {side}）；可用 {free} / 共 {total}：{verdict}",
    },
    "models_verdict_fits": {"en": "fits", "zh_CN": "可以运行"},
    "models_verdict_tight": {
        "en": "tight (close other programs first)",
        "zh_CN": "勉强（请先关闭其他程序）",
    },
    "models_verdict_wont_fit": {"en": "won't fit", "zh_CN": "内存不够"},
    "fit_speed_gpu": {
        "en": "runs on the GPU ({device}): all {layers} layers",
        "zh_CN": "在 GPU（{device}）上运行：全部 {layers} 层",
    },
    "fit_speed_partial": {
        "en": "partly on the GPU ({device}): {offloaded} of {layers} layers",
        "zh_CN": "部分在 GPU（{device}）上：{layers} 层中的 {offloaded} 层",
    },
    "fit_speed_cpu": {"en": "CPU only", "zh_CN": "仅使用 CPU"},
    "models_fit_split_cpu": {
        "en": "{speed}: all {need} in RAM",
        "zh_CN": "{speed}：{need} 全部在内存中",
    },
    "models_fit_split_gpu": {
        "en": "{speed}: {gpu} on the GPU, {ram} in RAM",
        "zh_CN": "{speed}：GPU 上 {gpu}，内存中 {ram}",
    },
    "doctor_build": {
        "en": "llama.cpp: llama-cpp-python {version}, build {build}",
        "zh_CN": "llama.cpp：llama-cpp-python {version}，构建 {build}",
    },
    "doctor_system_info": {"en": "CPU features: {info}", "zh_CN": "CPU 特性：{info}"},
    "doctor_cpu_variant": {
        "en": "CPU kernels: {variant} (chosen for this CPU when the engine started)",
        "zh_CN": "CPU 内核：{variant}（引擎启动时按本机 CPU 选择）",
    },
    "doctor_cpu_native": {
        "en": "CPU kernels: fixed when llama.cpp was built (no choice at run time)",
        "zh_CN": "CPU 内核：编译 llama.cpp 时已固定（不在运行时选择）",
    },
    "doctor_offload_yes": {
        "en": "GPU offload: yes (this llama.cpp build has a GPU backend)",
        "zh_CN": "GPU 加速：支持（此 llama.cpp 构建带有 GPU 后端）",
    },
    "doctor_offload_no": {
        "en": "GPU offload: no (this llama.cpp build runs models on the CPU only)",
        "zh_CN": "GPU 加速：不支持（此 llama.cpp 构建只在 CPU 上运行模型）",
    },
    "doctor_device": {
        "en": "Device {index}: {name} ({kind}, {description}): {free} free of {total}",
        "zh_CN": "设备 {index}：{name}（{kind}，{description}）：可用 {free} / 共 {total}",
    },
    "doctor_threads": {
        "en": "Threads: {threads} (physical cores {cores}, logical CPUs {logical})",
        "zh_CN": "线程：{threads}（物理核心 {cores}，逻辑 CPU {logical}）",
    },
    "doctor_folder_data": {
        "en": "Chats, models and documents: {path}",
        "zh_CN": "对话、模型和文档：{path}",
    },
    "doctor_folder_settings": {"en": "Settings: {path}", "zh_CN": "设置：{path}"},
    "doctor_folder_logs": {"en": "Logs: {path}", "zh_CN": "日志：{path}"},
    "doctor_folder_cache": {"en": "Cache: {path}", "zh_CN": "缓存：{path}"},
    "doctor_model": {
        "en": "Default chat model: {name} ({path})",
        "zh_CN": "默认对话模型：{name}（{path}）",
    },
    "doctor_model_none": {
        "en": "Default chat model: none chosen (fireside-cli models use ID)",
        "zh_CN": "默认对话模型：尚未选择（fireside-cli models use ID）",
    },
    "doctor_model_unusable": {
        "en": "  It cannot be used: {reason}",
        "zh_CN": "  无法使用：{reason}",
    },
    "doctor_model_plan": {
        "en": "  Would run with a {n_ctx}-token context: {split} ({verdict})",
        "zh_CN": "  以 {n_ctx} 个 token 的上下文运行：{split}（{verdict}）",
    },
    "models_fit_recommend": {
        "en": "Recommended: {quant} ({filename}), the largest that fits",
        "zh_CN": "推荐：{quant}（{filename}），是能运行的最大版本",
    },
    "models_fit_none": {
        "en": "No version of {repo} fits in this computer's memory",
        "zh_CN": "{repo} 没有任何版本能在这台电脑的内存中运行",
    },
    "models_unknown_id": {
        "en": "No installed model {model_id} (see: fireside-cli models list)",
        "zh_CN": "没有已安装的模型 {model_id}（查看：fireside-cli models list）",
    },
    "models_import_incomplete": {
        "en": "{path} is one part of a split model, but the part {missing} is missing",
        "zh_CN": "{path} 是分卷模型的一部分，但缺少分卷 {missing}",
    },
    "models_imported": {
        "en": "Imported {model_id} ({kind} model, {size}); the file stays where it is",
        "zh_CN": "已导入 {model_id}（{kind} 模型，{size}）；文件保留在原处",
    },
    "models_reranker_without_pooler": {
        "en": "Note: {model_id} lacks the pooler layer its classifier was trained with "
        "(llama.cpp's converter drops it), so its scores differ from the original model's; "
        "the rerankers in the catalogue do not have this problem",
        "zh_CN": "注意：{model_id} 缺少其分类器训练时使用的池化层（llama.cpp 的转换工具会丢弃它），"
        "因此其评分与原模型不同；目录中的重排序模型没有这个问题",
    },
    "models_removed": {
        "en": "Removed {model_id}; {freed} freed",
        "zh_CN": "已删除 {model_id}；释放了 {freed}",
    },
    "models_forgotten": {
        "en": "Removed {model_id} from the list; its file was not deleted: {path}",
        "zh_CN": "已从列表中移除 {model_id}；其文件未被删除：{path}",
    },
    "models_none_installed": {
        "en": "No models installed yet. See: fireside-cli models catalogue",
        "zh_CN": "还没有安装模型。查看：fireside-cli models catalogue",
    },
    "models_unreadable": {"en": "unreadable: {reason}", "zh_CN": "无法读取：{reason}"},
    "models_unreadable_kind": {"en": "Unreadable", "zh_CN": "无法读取"},
    "models_registry_reset": {
        "en": "The model list was unreadable and has been set aside as {backup}; it was rebuilt "
        "from the models folder",
        "zh_CN": "模型列表无法读取，已另存为 {backup}；已根据模型文件夹重建",
    },
    "models_default_chat": {
        "en": "{model_id} is now the default chat model",
        "zh_CN": "{model_id} 现在是默认聊天模型",
    },
    "models_default_embedding": {
        "en": "{model_id} is now the default embedding model",
        "zh_CN": "{model_id} 现在是默认嵌入模型",
    },
    "models_token_empty": {
        "en": "No token was given (paste it on standard input)",
        "zh_CN": "没有提供令牌（请通过标准输入粘贴）",
    },
    "models_token_saved": {
        "en": "Token saved in the system keyring",
        "zh_CN": "令牌已保存到系统钥匙串",
    },
    "models_token_no_keyring": {
        "en": "No system keyring is available, so the token is used for this session only and not "
        "saved",
        "zh_CN": "系统钥匙串不可用，令牌仅在本次会话中使用，不会保存",
    },
    "models_token_removed": {
        "en": "Token removed from the system keyring",
        "zh_CN": "已从系统钥匙串中删除令牌",
    },
    "models_token_store_failed": {
        "en": "The system keyring refused the token: {reason}",
        "zh_CN": "系统钥匙串拒绝了令牌：{reason}",
    },
    # The knowledge base (core/knowledge/)
    "kb_file_corrupt": {
        "en": "{path} cannot be read; it seems damaged ({reason})",
        "zh_CN": "无法读取 {path}，文件似乎已损坏（{reason}）",
    },
    "kb_file_encrypted": {
        "en": "{path} is password-protected; Fireside cannot read it",
        "zh_CN": "{path} 受密码保护，Fireside 无法读取",
    },
    "kb_file_zip_bomb": {
        "en": "{path} would unpack to {size}; Fireside refuses it as unsafe",
        "zh_CN": "{path} 解压后将达到 {size}，出于安全考虑 Fireside 拒绝读取",
    },
    "kb_file_too_large": {
        "en": "{path} is too large ({size}; the limit is {limit})",
        "zh_CN": "{path} 太大（{size}，上限为 {limit}）",
    },
    "kb_file_binary": {
        "en": "{path} is not a text file, although its name says so",
        "zh_CN": "{path} 的文件名像文本文件，但内容不是文本",
    },
    "kb_file_unsupported": {
        "en": "{path}: Fireside cannot read files of this kind ({suffix})",
        "zh_CN": "{path}：Fireside 无法读取此类文件（{suffix}）",
    },
    "kb_file_empty": {"en": "{path} is empty", "zh_CN": "{path} 是空文件"},
    "kb_file_no_text": {
        "en": "{path} has no text to index (a scanned document without a text layer?)",
        "zh_CN": "{path} 中没有可索引的文字（是没有文字层的扫描件吗？）",
    },
    "kb_file_missing": {"en": "{path} does not exist", "zh_CN": "{path} 不存在"},
    "kb_file_unreadable": {
        "en": "Cannot read {path}: {reason}",
        "zh_CN": "无法读取 {path}：{reason}",
    },
    "kb_file_truncated": {
        "en": "{path} holds more text than one document may ({limit} characters); the part "
        "beyond it was left out",
        "zh_CN": "{path} 的文字超过单个文档的上限（{limit} 个字符），超出的部分未索引",
    },
    "kb_file_too_slow": {
        "en": "{path} took longer than {seconds} s to read; Fireside stopped reading it",
        "zh_CN": "读取 {path} 超过 {seconds} 秒，Fireside 已停止读取",
    },
    "kb_file_parser_crashed": {
        "en": "Reading {path} made the document reader fail ({reason}); the file was skipped",
        "zh_CN": "读取 {path} 时文档读取程序出错（{reason}），已跳过该文件",
    },
    "kb_file_out_of_memory": {
        "en": "{path} needs more memory to read than Fireside allows; the file was skipped",
        "zh_CN": "读取 {path} 所需的内存超出 Fireside 的限制，已跳过该文件",
    },
    "kb_image_corrupt": {
        "en": "{path} is not a readable image ({reason})",
        "zh_CN": "{path} 不是可读取的图片（{reason}）",
    },
    "kb_image_too_large": {
        "en": "{path} is too large an image ({size} pixels; Fireside reads images up to "
        "{limit} million pixels); it was skipped",
        "zh_CN": "{path} 图片过大（{size} 像素，Fireside 最多读取 {limit} 百万像素），已跳过",
    },
    "kb_image_ocr_off": {
        "en": "{path} is an image; text recognition (OCR) is turned off in Settings",
        "zh_CN": "{path} 是图片，而文字识别（OCR）已在设置中关闭",
    },
    "kb_file_no_text_ocr_off": {
        "en": "{path} has no text layer; turn on text recognition (OCR) in Settings to read "
        "scanned pages",
        "zh_CN": "{path} 没有文字层；在设置中打开文字识别（OCR）即可读取扫描页",
    },
    "kb_ocr_failed": {
        "en": "Text recognition (OCR) failed on {path}, page {page} ({reason}); the file was "
        "skipped",
        "zh_CN": "文字识别（OCR）在 {path} 第 {page} 页失败（{reason}），已跳过该文件",
    },
    "kb_ocr_pages_failed": {
        "en": "Text recognition (OCR) failed on {path}, page(s) {pages} ({reason}); the other "
        "pages are indexed",
        "zh_CN": "文字识别（OCR）在 {path} 的第 {pages} 页失败（{reason}），其余页面已索引",
    },
    "kb_folder_unreadable": {
        "en": "The folder {path} cannot be read ({reason}); it was skipped",
        "zh_CN": "无法读取文件夹 {path}（{reason}），已跳过",
    },
    "kb_link_outside": {
        "en": "{path} is a link to {target}, outside the folder being added; it is not followed",
        "zh_CN": "{path} 是指向 {target} 的链接，位于所添加的文件夹之外，不会跟随",
    },
    "kb_reading_page": {
        "en": "Reading {path}: page {done} of {total}",
        "zh_CN": "正在读取 {path}：第 {done} 页，共 {total} 页",
    },
    "kb_reading_chapter": {
        "en": "Reading {path}: chapter {done} of {total}",
        "zh_CN": "正在读取 {path}：第 {done} 章，共 {total} 章",
    },
    "kb_reading_paragraph": {
        "en": "Reading {path}: paragraph {done} of {total}",
        "zh_CN": "正在读取 {path}：第 {done} 段，共 {total} 段",
    },
    "kb_file_duplicate": {
        "en": "{path} has the same content as {original}; it is not indexed twice",
        "zh_CN": "{path} 与 {original} 内容相同，不再重复索引",
    },
    "kb_file_moved": {
        "en": "{path} is {old}, moved; its index entries were kept",
        "zh_CN": "{path} 就是移动过的 {old}，已保留原有索引",
    },
    "kb_no_embedding_model": {
        "en": "No embedding model is set: pass --embedding-model FILE.gguf, or make one the "
        "default (fireside-cli models import FILE.gguf, then fireside-cli models use ID)",
        "zh_CN": "尚未设置嵌入模型：请使用 --embedding-model FILE.gguf，"
        "或将某个模型设为默认（fireside-cli models import FILE.gguf，"
        "然后 fireside-cli models use ID）",
    },
    "kb_embedding_model_unknown": {
        "en": "{model} is neither a model file nor an installed model (see: fireside-cli models "
        "list)",
        "zh_CN": "{model} 既不是模型文件，也不是已安装的模型（查看：fireside-cli models list）",
    },
    "kb_reindex_needed": {
        "en": "The collection {collection} was built with the embedding model {built}, not "
        "{current}; re-embed it with: fireside-cli kb reindex --collection {collection} "
        "--embedding-model {current}",
        "zh_CN": "知识库 {collection} 是用嵌入模型 {built} 建立的，而不是 {current}；"
        "请重新嵌入：fireside-cli kb reindex --collection {collection} "
        "--embedding-model {current}",
    },
    "kb_collection_not_found": {
        "en": "There is no collection {collection} (see: fireside-cli kb collections)",
        "zh_CN": "没有名为 {collection} 的知识库（查看：fireside-cli kb collections）",
    },
    "kb_document_not_found": {
        "en": "There is no document {document} (see: fireside-cli kb list)",
        "zh_CN": "没有文档 {document}（查看：fireside-cli kb list）",
    },
    "kb_whole_empty": {
        "en": "The collection {collection} has no documents to read (add some with: "
        "fireside-cli kb add --collection {collection} FILE)",
        "zh_CN": "知识库 {collection} 中没有可阅读的文档（添加文档：fireside-cli kb add "
        "--collection {collection} FILE）",
    },
    "kb_whole_needs_kb": {
        "en": "--whole reads the documents of a collection: name it with --kb COLLECTION",
        "zh_CN": "--whole 会阅读知识库中的全部文档：请用 --kb COLLECTION 指定知识库",
    },
    "kb_whole_progress": {
        "en": "Reading {done} of {total} documents…",
        "zh_CN": "正在阅读第 {done} 篇文档，共 {total} 篇…",
    },
    "kb_whole_stopped": {
        "en": "Stopped after reading {done} of {total} documents; answering from those.",
        "zh_CN": "已在读完 {total} 篇中的 {done} 篇后停止，仅根据已读的文档回答。",
    },
    "kb_bad_collection_name": {
        "en": "Not a collection name: {name} (1 to 64 characters, no slashes)",
        "zh_CN": "无效的知识库名称：{name}（1 到 64 个字符，不能含斜杠）",
    },
    "kb_cancelled": {
        "en": "Stopped; finished documents are kept. To continue: fireside-cli kb resume",
        "zh_CN": "已停止；已完成的文档都已保存。继续导入：fireside-cli kb resume",
    },
    "kb_progress": {
        "en": "[{done}/{total}] {path} ({chunks} chunks, {rate} chunks/s, about {eta} s left)",
        "zh_CN": "[{done}/{total}] {path}（{chunks} 个片段，每秒 {rate} 个，约剩 {eta} 秒）",
    },
    "kb_progress_no_eta": {
        "en": "[{done}/{total}] {path} ({chunks} chunks, {rate} chunks/s)",
        "zh_CN": "[{done}/{total}] {path}（{chunks} 个片段，每秒 {rate} 个）",
    },
    "kb_note": {"en": "Note: {reason}", "zh_CN": "注意：{reason}"},
    "kb_skipped": {"en": "Skipped: {reason}", "zh_CN": "已跳过：{reason}"},
    "kb_summary": {
        "en": "{indexed} added, {unchanged} unchanged, {duplicates} duplicates, {failed} skipped, "
        "{removed} removed; {chunks} chunks in {seconds} s",
        "zh_CN": "新增 {indexed} 个，未变 {unchanged} 个，重复 {duplicates} 个，"
        "跳过 {failed} 个，移除 {removed} 个；共 {chunks} 个片段，用时 {seconds} 秒",
    },
    "kb_removed": {
        "en": "Removed {document} ({chunks} chunks)",
        "zh_CN": "已移除 {document}（{chunks} 个片段）",
    },
    "kb_reindexed": {
        "en": "{collection}: {chunks} vectors in the index ({embedded} chunks embedded again)",
        "zh_CN": "{collection}：索引中有 {chunks} 个向量（重新嵌入了 {embedded} 个片段）",
    },
    "kb_vectors_repaired": {
        "en": "The vector index was missing or behind and was rebuilt from the knowledge database "
        "({added} vectors restored)",
        "zh_CN": "向量索引缺失或落后，已根据知识数据库重建（恢复了 {added} 个向量）",
    },
    "kb_no_documents": {
        "en": "No documents yet. Add some with: fireside-cli kb add PATH",
        "zh_CN": "还没有文档。添加文档：fireside-cli kb add PATH",
    },
    "kb_no_collections": {
        "en": "No collections yet. Add documents with: fireside-cli kb add PATH",
        "zh_CN": "还没有知识库。添加文档：fireside-cli kb add PATH",
    },
    "kb_nothing_to_resume": {
        "en": "No stopped or unfinished ingestion to resume",
        "zh_CN": "没有已停止或未完成的导入任务需要继续",
    },
    "kb_sources": {"en": "Sources:", "zh_CN": "资料来源："},
    "kb_unsupported": {
        "en": "No source holds this answer: check it before relying on it.",
        "zh_CN": "没有资料能印证这个回答，使用前请先核实。",
    },
    "kb_page": {"en": "p. {page}", "zh_CN": "第 {page} 页"},
    "kb_status_indexed": {"en": "indexed", "zh_CN": "已索引"},
    "kb_status_failed": {"en": "skipped", "zh_CN": "已跳过"},
    "kb_status_duplicate": {"en": "duplicate", "zh_CN": "重复"},
    "kb_no_embedding_model_suggest": {
        "en": "No embedding model is set. For these documents ({languages}) this computer can "
        "run {name} ({size}): {command}, then make it the default with fireside-cli models use "
        "ID (or pass --embedding-model FILE.gguf)",
        "zh_CN": "尚未设置嵌入模型。这些文档是{languages}的，本机适合使用 {name}（{size}）："
        "{command}，然后用 fireside-cli models use ID 设为默认（或使用 --embedding-model "
        "FILE.gguf）",
    },
    "kb_language_zh": {"en": "Chinese", "zh_CN": "中文"},
    "kb_language_en": {"en": "English", "zh_CN": "英文"},
    "kb_language_other": {"en": "other languages", "zh_CN": "其他语言"},
    "kb_language_mismatch": {
        "en": "The embedding model {model} does not understand {languages}, the language of "
        "documents in {collection}: search there relies on keywords. Better: {suggestion} "
        "({size}), {command}",
        "zh_CN": "嵌入模型 {model} 不懂{languages}，而知识库 {collection} 的文档是{languages}的："
        "检索只能依靠关键词。建议改用 {suggestion}（{size}）：{command}",
    },
    "kb_language_mismatch_no_fit": {
        "en": "The embedding model {model} does not understand {languages}, the language of "
        "documents in {collection}: search there relies on keywords (no multilingual model in "
        "the catalogue fits this computer's memory)",
        "zh_CN": "嵌入模型 {model} 不懂{languages}，而知识库 {collection} 的文档是{languages}的："
        "检索只能依靠关键词（目录中没有适合本机内存的多语言模型）",
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
    "cli_unexpected": {
        "en": "Unexpected error: {summary}. Nothing saved is lost; details are in {log}",
        "zh_CN": "意外错误：{summary}。已保存的内容没有丢失；详细信息见 {log}",
    },
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
    # The local server (core/server/): errors other programs receive, and fireside-cli serve.
    "server_busy": {
        "en": "The server is busy ({waiting} requests ahead); try again shortly",
        "zh_CN": "服务器正忙（前面还有 {waiting} 个请求），请稍后再试",
    },
    "server_stopping": {"en": "The server is stopping", "zh_CN": "服务器正在停止"},
    "server_field_required": {"en": "'{field}' is required", "zh_CN": "缺少必需的字段“{field}”"},
    "server_unknown_model": {
        "en": "No installed model is called '{model}' (GET /v1/models lists them)",
        "zh_CN": "没有名为“{model}”的已安装模型（GET /v1/models 可列出全部）",
    },
    "server_wrong_model_kind": {
        "en": "'{model}' is a {kind} model and cannot answer this request",
        "zh_CN": "“{model}”是{kind}模型，无法处理这个请求",
    },
    "server_model_pinned": {
        "en": "The server only answers with the loaded model, not '{model}'",
        "zh_CN": "服务器只使用已加载的模型回答，不能换成“{model}”",
    },
    "server_bad_field": {
        "en": "'{field}' must be {expected}",
        "zh_CN": "“{field}”必须是 {expected}",
    },
    "server_bad_json": {
        "en": "The request body is not a JSON object",
        "zh_CN": "请求正文不是 JSON 对象",
    },
    "server_n_unsupported": {
        "en": "Only one choice per request is supported ('n' must be 1)",
        "zh_CN": "每个请求只能生成一个回答（“n”必须为 1）",
    },
    "server_only_text": {
        "en": "Only text content is supported (no images or audio)",
        "zh_CN": "只支持文本内容（不支持图片或音频）",
    },
    "server_bad_role": {
        "en": "Unsupported message role '{role}' (use system, user or assistant)",
        "zh_CN": "不支持的消息角色“{role}”（请用 system、user 或 assistant）",
    },
    "server_tools_unsupported": {
        "en": "Tools and function calls are not supported",
        "zh_CN": "不支持工具和函数调用",
    },
    "server_completion_options": {
        "en": "echo, suffix and best_of are not supported",
        "zh_CN": "不支持 echo、suffix 和 best_of",
    },
    "server_float_only": {
        "en": "encoding_format must be 'float' or 'base64'",
        "zh_CN": "encoding_format 只能是“float”或“base64”",
    },
    "server_internal": {
        "en": "The server failed ({reason}); the details are in Fireside's log",
        "zh_CN": "服务器出错（{reason}）；详情见 Fireside 的日志",
    },
    "server_bad_key": {
        "en": "Missing or wrong API key (send 'Authorization: Bearer <key>')",
        "zh_CN": "缺少 API 密钥或密钥错误（请发送“Authorization: Bearer <密钥>”）",
    },
    "server_no_such_endpoint": {"en": "No such endpoint: {path}", "zh_CN": "没有这个接口：{path}"},
    "server_bad_method": {
        "en": "This method is not allowed on {path}",
        "zh_CN": "{path} 不接受这种请求方法",
    },
    "server_body_too_large": {
        "en": "The request body is larger than {limit_mb} MB",
        "zh_CN": "请求正文超过 {limit_mb} MB",
    },
    "server_key_needed": {
        "en": "Listening on {host} makes the server reachable from other computers; "
        "that needs an API key (--api-key)",
        "zh_CN": "监听 {host} 会让其他电脑也能访问服务器，必须使用 API 密钥（--api-key）",
    },
    "server_cannot_listen": {
        "en": "Cannot listen on {host} port {port}: {reason}",
        "zh_CN": "无法在 {host} 的端口 {port} 上监听：{reason}",
    },
    "server_listening": {
        "en": "Fireside's OpenAI-compatible server is at {url} (Ctrl-C stops it)",
        "zh_CN": "Fireside 的 OpenAI 兼容服务器地址：{url}（按 Ctrl-C 停止）",
    },
    "server_key_shown": {
        "en": "API key (send it as 'Authorization: Bearer <key>'): {key}",
        "zh_CN": "API 密钥（以“Authorization: Bearer <密钥>”发送）：{key}",
    },
    "server_key_session_only": {
        "en": "No system keyring: this API key lasts for this session only",
        "zh_CN": "没有系统密钥环：这个 API 密钥只在本次运行中有效",
    },
    "server_loaded": {"en": "Loaded {model}", "zh_CN": "已加载 {model}"},
    "server_bad_kb_model": {
        "en": "'{model}' should read fireside-kb:<collection>@<chat model id>",
        "zh_CN": "“{model}”的格式应为 fireside-kb:<知识库>@<对话模型 id>",
    },
    "server_kb_unavailable": {
        "en": "This server does not answer from the knowledge base",
        "zh_CN": "这个服务器不提供知识库回答",
    },
    "server_kb_needs_user": {
        "en": "A knowledge answer needs the last message to be the user's question",
        "zh_CN": "知识库回答要求最后一条消息是用户的问题",
    },
    "server_no_models": {
        "en": "No chat or embedding model is installed (fireside-cli models download …)",
        "zh_CN": "没有安装对话或嵌入模型（fireside-cli models download …）",
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


class Phrase:
    """A message used inside another (an error's ``reason``), translated together with it,
    so a reason is never left in English inside a Chinese sentence."""

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Phrase) and (self.code, self.params) == (other.code, other.params)

    def __hash__(self) -> int:
        return hash(self.code)

    def __repr__(self) -> str:
        return f"Phrase({self.code!r}, **{self.params!r})"

    def __str__(self) -> str:
        return Translator("en")(self.code, **self.params)


@dataclass(frozen=True)
class Translator:
    """Formats catalogue messages in one language; passed to whatever speaks to a person."""

    language: str = "en"

    def __call__(self, code: str, **params: object) -> str:
        entry = MESSAGES.get(code)
        if entry is None:
            return code
        template = entry.get(self.language) or entry["en"]
        shown = {
            k: self(v.code, **v.params) if isinstance(v, Phrase) else v for k, v in params.items()
        }
        try:
            return template.format(**shown)
        except (KeyError, IndexError):
            return template
