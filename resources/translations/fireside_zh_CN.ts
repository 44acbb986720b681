<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>AboutDialog</name>
    <message>
        <location filename="../../desktop/window/about.py" line="+129"/>
        <source>About Fireside</source>
        <translation>关于 Fireside</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Version %1</source>
        <translation>版本 %1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Private, offline chat with local models and your own documents.</source>
        <translation>私密的离线对话：使用本地模型，结合你自己的文档。</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Qt %1 (PySide6 %2)</source>
        <translation>Qt %1（PySide6 %2）</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Built with</source>
        <translation>构建组件</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>llama.cpp:</source>
        <translation>llama.cpp：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Qt:</source>
        <translation>Qt：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Python:</source>
        <translation>Python：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>System:</source>
        <translation>系统：</translation>
    </message>
    <message>
        <location line="-3"/>
        <source>Devices:</source>
        <translation>设备：</translation>
    </message>
    <message>
        <location line="+71"/>
        <source>known once the engine has started</source>
        <translation>引擎启动后可知</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>GPU offload: yes</source>
        <translation>GPU 加速：支持</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>CPU only: this llama.cpp build has no GPU backend</source>
        <translation>仅使用 CPU：此 llama.cpp 构建没有 GPU 后端</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1 (%2): %3 free of %4</source>
        <translation>%1（%2）：可用 %3 / 共 %4</translation>
    </message>
    <message>
        <location line="-67"/>
        <source>Where your data lives</source>
        <translation>数据存放位置</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Chats, models and documents:</source>
        <translation>对话、模型与文档：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Settings:</source>
        <translation>设置：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Logs:</source>
        <translation>日志：</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Open folder</source>
        <translation>打开文件夹</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show this folder in the file manager</source>
        <translation>在文件管理器中显示此文件夹</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Copy details</source>
        <translation>复制详细信息</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Copy versions and folders, for a bug report</source>
        <translation>复制版本与文件夹信息，便于提交问题报告</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>llama-cpp-python %1</source>
        <translation>llama-cpp-python %1</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>build %1</source>
        <translation>构建 %1</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>not installed</source>
        <translation>未安装</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>llama-cpp-python %1 (engine not started)</source>
        <translation>llama-cpp-python %1（推理引擎未启动）</translation>
    </message>
</context>
<context>
    <name>AppearancePage</name>
    <message>
        <location filename="../../desktop/settings/general.py" line="+37"/>
        <source>System default</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>A new language takes effect the next time Fireside starts.</source>
        <translation>新的界面语言将在下次启动 Fireside 时生效。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>System</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Language:</source>
        <translation>语言：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Theme:</source>
        <translation>主题：</translation>
    </message>
</context>
<context>
    <name>ChatCollections</name>
    <message>
        <location filename="../../desktop/knowledge/widgets.py" line="+321"/>
        <source>Use in this chat:</source>
        <translation>在此对话中使用：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Whole documents</source>
        <translation>完整文档</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Read every page of the checked collections for each question, instead of the passages that match it best: for summaries and lists. Slower; Stop answers from what was read so far.</source>
        <translation>每个问题都阅读所勾选知识库的每一页，而不只是最匹配的段落：适合总结和列举。较慢；点“停止”会根据已读的内容回答。</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>default</source>
        <translation>默认</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Answers in this chat draw on the checked collections and cite them</source>
        <translation>此对话的回答会参考勾选的资料集，并注明来源</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open a chat to choose the collections it uses</source>
        <translation>打开一个对话后，即可选择它使用的资料集</translation>
    </message>
</context>
<context>
    <name>ChatFiles</name>
    <message>
        <location filename="../../desktop/chat/chat_files.py" line="+37"/>
        <source>Export chat</source>
        <translation>导出对话</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Markdown (*.md);;Fireside chat, JSON (*.json)</source>
        <translation>Markdown (*.md);;Fireside 对话，JSON (*.json)</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Exported to %1</source>
        <translation>已导出到 %1</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Import a chat</source>
        <translation>导入对话</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Fireside chat, JSON (*.json)</source>
        <translation>Fireside 对话，JSON (*.json)</translation>
    </message>
</context>
<context>
    <name>ChatListPanel</name>
    <message>
        <location filename="../../desktop/chat/chat_list.py" line="+130"/>
        <location line="+82"/>
        <location line="+47"/>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <location line="-128"/>
        <source>Start a new chat (Ctrl+N)</source>
        <translation>开始新对话（Ctrl+N）</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Search chats</source>
        <translation>搜索对话</translation>
    </message>
    <message>
        <location line="+85"/>
        <source>No chat matches “%1”</source>
        <translation>没有与“%1”匹配的对话</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Today</source>
        <translation>今天</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Yesterday</source>
        <translation>昨天</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Last 7 days</source>
        <translation>最近 7 天</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Last 30 days</source>
        <translation>最近 30 天</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Older</source>
        <translation>更早</translation>
    </message>
    <message>
        <location line="+137"/>
        <source>Rename…</source>
        <translation>重命名…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
</context>
<context>
    <name>ChatView</name>
    <message>
        <location filename="../../desktop/chat/chat_view.py" line="+70"/>
        <source>Assistant</source>
        <translation>助手</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Show earlier messages</source>
        <translation>显示更早的消息</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>Start typing below to begin a new chat.</source>
        <translation>在下方输入内容，开始新的对话。</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>You</source>
        <translation>你</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>System prompt</source>
        <translation>系统提示词</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>p. %1</source>
        <translation>第 %1 页</translation>
    </message>
    <message>
        <location line="+113"/>
        <source>writing…</source>
        <translation>正在生成…</translation>
    </message>
</context>
<context>
    <name>CollectionPicker</name>
    <message>
        <location filename="../../desktop/knowledge/widgets.py" line="-140"/>
        <source>The collection whose documents are shown below</source>
        <translation>下方列出的是此资料集中的文档</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Name of the new collection</source>
        <translation>新资料集的名称</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Create</source>
        <translation>创建</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Collection:</source>
        <translation>资料集：</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>default</source>
        <translation>默认</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Documents: %1 · chunks: %2</source>
        <translation>文档：%1 · 片段：%2</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>New collection…</source>
        <translation>新建资料集…</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <location filename="../../desktop/chat/composer.py" line="+91"/>
        <source>Message Fireside — Enter sends, Shift+Enter adds a line</source>
        <translation>给 Fireside 发消息（Enter 发送，Shift+Enter 换行）</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Editing a message: sending makes a new version.</source>
        <translation>正在编辑消息：发送后将生成一个新版本。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Cancel edit</source>
        <translation>取消编辑</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stop the reply (Esc)</source>
        <translation>停止回复（Esc）</translation>
    </message>
</context>
<context>
    <name>DataPage</name>
    <message>
        <location filename="../../desktop/settings/general.py" line="+159"/>
        <location line="+3"/>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Data folder:</source>
        <translation>数据文件夹：</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Your chats, documents and downloaded models are kept here, on this computer only.</source>
        <translation>你的对话、文档和下载的模型都保存在这里，只存在于这台电脑上。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Log file:</source>
        <translation>日志文件：</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>What the model engine reported; useful when a model fails to load.</source>
        <translation>模型引擎的运行记录，模型加载失败时可用来排查原因。</translation>
    </message>
</context>
<context>
    <name>DevicePage</name>
    <message>
        <location filename="../../desktop/settings/device.py" line="+36"/>
        <location line="+31"/>
        <source>Auto</source>
        <translation>自动</translation>
    </message>
    <message>
        <location line="-28"/>
        <source>Auto puts as many layers on the GPU as its free memory holds; a number puts that many there (0: none), fewer if they do not fit.</source>
        <translation>“自动”会把 GPU 空闲显存放得下的层都放到 GPU 上；填写数字则放这么多层（0 表示不放），放不下时会少放一些。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Device:</source>
        <translation>设备：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>GPU layers:</source>
        <translation>GPU 层数：</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>CPU only</source>
        <translation>仅 CPU</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 free of %2</source>
        <translation>%2 中空闲 %1</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1 (not found by the engine)</source>
        <translation>%1（引擎未找到）</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>The engine&apos;s devices are listed here once it has started.</source>
        <translation>引擎启动后，这里会列出它的设备。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>This llama.cpp build has no GPU backend: models run on the CPU.</source>
        <translation>此 llama.cpp 版本没有 GPU 后端：模型在 CPU 上运行。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Models run on the CPU; the GPU is left alone.</source>
        <translation>模型在 CPU 上运行，不使用 GPU。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Auto uses %1.</source>
        <translation>“自动”使用 %1。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The whole model goes to %1.</source>
        <translation>整个模型放在 %1 上。</translation>
    </message>
</context>
<context>
    <name>DocumentList</name>
    <message>
        <location filename="../../desktop/knowledge/widgets.py" line="-184"/>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Pages</source>
        <translation>页数</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Chunks</source>
        <translation>片段</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>Queued</source>
        <translation>排队中</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Waiting for an embedding model</source>
        <translation>等待嵌入模型</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+23"/>
        <source>Reading…</source>
        <translation>正在读取…</translation>
    </message>
    <message>
        <location line="-22"/>
        <location line="+22"/>
        <source>Embedding…</source>
        <translation>正在生成嵌入…</translation>
    </message>
    <message>
        <location line="-21"/>
        <source>Done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Unchanged</source>
        <translation>无变化</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Moved</source>
        <translation>已移动</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Duplicate</source>
        <translation>重复</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+15"/>
        <source>Searchable</source>
        <translation>可搜索</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>recognised from image</source>
        <translation>从图片识别</translation>
    </message>
</context>
<context>
    <name>DocumentViewer</name>
    <message>
        <location filename="../../desktop/knowledge/viewer.py" line="+334"/>
        <source>Open in the system viewer</source>
        <translation>用系统查看器打开</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>%1 — Fireside</source>
        <translation>%1 — Fireside</translation>
    </message>
    <message>
        <location line="+49"/>
        <source>Opening…</source>
        <translation>正在打开…</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>The cited passage is not in this file any more (it changed since it was added); it opens at the cited page.</source>
        <translation>引用的段落已不在此文件中（文件在添加后被修改过）；已打开到引用的页面。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The cited passage is not in this file any more (it changed since it was added).</source>
        <translation>引用的段落已不在此文件中（文件在添加后被修改过）。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The file changed since it was added; the closest passage is highlighted.</source>
        <translation>文件在添加后被修改过；已高亮最接近的段落。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Fireside cannot show this file (%1). Its path, to open it elsewhere:</source>
        <translation>Fireside 无法显示此文件（%1）。文件路径如下，可在其他程序中打开：</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Page %1 of %2</source>
        <translation>第 %1 页，共 %2 页</translation>
    </message>
</context>
<context>
    <name>DownloadProgressView</name>
    <message>
        <location filename="../../desktop/models/download_view.py" line="+41"/>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+54"/>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <location line="-53"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location line="+53"/>
        <source>Retry</source>
        <translation>重试</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>%1 of %2</source>
        <translation>%1 / %2</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Waiting to start…</source>
        <translation>等待开始…</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Resuming from %1…</source>
        <translation>正在从 %1 处继续…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Connection lost, retrying…</source>
        <translation>连接中断，正在重试…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Verifying…</source>
        <translation>正在校验…</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1 · %2 · %3 left</source>
        <translation>%1 · %2 · 剩余 %3</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>resumed from %1</source>
        <translation>从 %1 处继续</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Paused at %1</source>
        <translation>已暂停（%1）</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Stopped at %1</source>
        <translation>已停止（%1）</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Installed as %1</source>
        <translation>已安装为 %1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Cancelled</source>
        <translation>已取消</translation>
    </message>
</context>
<context>
    <name>DownloadsPage</name>
    <message>
        <location filename="../../desktop/models/downloads_page.py" line="+56"/>
        <source>No downloads. Pick a model under Recommended or Search the Hub.</source>
        <translation>没有下载任务。请在“推荐”或“搜索 Hugging Face”中选择模型。</translation>
    </message>
</context>
<context>
    <name>EmbeddingChoice</name>
    <message>
        <location filename="../../desktop/models/embedding_choice.py" line="+44"/>
        <source>Choose an embedding model</source>
        <translation>选择嵌入模型</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>It makes your documents searchable. Use one you have, get one of the catalogue&apos;s below, or use a GGUF file you already have.</source>
        <translation>它让你的文档可以被搜索。可以使用已安装的模型、从下方目录中获取一个，或使用你已有的 GGUF 文件。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Use</source>
        <translation>使用</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Use a file I already have…</source>
        <translation>使用我已有的文件…</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>in use</source>
        <translation>使用中</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>No embedding model is installed yet.</source>
        <translation>尚未安装嵌入模型。</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>Choose an embedding model file</source>
        <translation>选择嵌入模型文件</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>GGUF models (*.gguf)</source>
        <translation>GGUF 模型 (*.gguf)</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>%1 is a chat model, not an embedding model. It was added to your models.</source>
        <translation>%1 是对话模型，不是嵌入模型。它已添加到你的模型中。</translation>
    </message>
</context>
<context>
    <name>EmbeddingModelBar</name>
    <message>
        <location filename="../../desktop/knowledge/widgets.py" line="+262"/>
        <source>Choose an embedding model…</source>
        <translation>选择嵌入模型…</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>For these documents (%1) this computer can run %2 (%3).</source>
        <translation>这些文档是%1的，本机适合使用 %2（%3）。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Get %1…</source>
        <translation>获取 %1…</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>No embedding model is set, so documents cannot be made searchable yet.</source>
        <translation>尚未设置嵌入模型，暂时无法让文档可被搜索。</translation>
    </message>
</context>
<context>
    <name>EmptyChatText</name>
    <message>
        <location filename="../../desktop/window/empty_state.py" line="+79"/>
        <source>No messages yet</source>
        <translation>还没有消息</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Type a question below and press Enter. Your words stay on this computer; drop documents on the right to ask about them.</source>
        <translation>在下方输入问题并按 Enter 发送。你的文字只留在这台电脑上；把文档拖到右侧，就可以就它们提问。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The model is loading</source>
        <translation>模型正在加载</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>You can ask as soon as it is ready; this takes a few seconds.</source>
        <translation>加载完成后即可提问，只需几秒钟。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>No model loaded</source>
        <translation>尚未加载模型</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Choose one in Models → Model manager… (Ctrl+M), or import a GGUF file you already have.</source>
        <translation>在“模型 → 模型管理器…”（Ctrl+M）中选择一个，或导入你已有的 GGUF 文件。</translation>
    </message>
</context>
<context>
    <name>ErrorBar</name>
    <message>
        <location filename="../../desktop/window/error_bar.py" line="+25"/>
        <source>Restart engine</source>
        <translation>重启推理引擎</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Dismiss</source>
        <translation>关闭</translation>
    </message>
</context>
<context>
    <name>ErrorDialog</name>
    <message>
        <location filename="../../desktop/window/error_reporter.py" line="+57"/>
        <source>Fireside: unexpected error</source>
        <translation>Fireside：意外错误</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Something went wrong, and Fireside kept going. Nothing you saved is lost.</source>
        <translation>出了点问题，Fireside 仍在继续运行。已保存的内容没有丢失。</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Copy details</source>
        <translation>复制详细信息</translation>
    </message>
</context>
<context>
    <name>FileTable</name>
    <message>
        <location filename="../../desktop/models/file_table.py" line="+48"/>
        <source>Quantization</source>
        <translation>量化</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Memory</source>
        <translation>内存</translation>
    </message>
    <message>
        <location line="+33"/>
        <location line="+88"/>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <location line="-79"/>
        <location line="+8"/>
        <location line="+21"/>
        <source>Unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <location line="-29"/>
        <source>Not known offline</source>
        <translation>离线时无法得知</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>Fireside could not read this model&apos;s size and memory needs.</source>
        <translation>Fireside 无法读取此模型的大小和内存需求。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Fits</source>
        <translation>充足</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Tight</source>
        <translation>紧张</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Won&apos;t fit</source>
        <translation>不足</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Needs about %1 of memory at context %2; %3 free of %4.</source>
        <translation>上下文为 %2 时约需 %1 内存；当前可用 %3（共 %4）。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Close other programs before you use it.</source>
        <translation>使用前请先关闭其他程序。</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>Downloading %1%</source>
        <translation>正在下载 %1%</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Installed</source>
        <translation>已安装</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
</context>
<context>
    <name>HubPage</name>
    <message>
        <location filename="../../desktop/settings/general.py" line="-140"/>
        <source>Remove Token</source>
        <translation>删除令牌</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Hub address:</source>
        <translation>Hub 地址：</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Where models are downloaded from. Use a mirror (for example https://hf-mirror.com) if huggingface.co cannot be reached.</source>
        <translation>模型从这里下载。如果无法访问 huggingface.co，可以改用镜像站（例如 https://hf-mirror.com）。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Access token:</source>
        <translation>访问令牌：</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Only needed for gated models, such as Llama. It is sent only to the hub.</source>
        <translation>仅下载受限模型（如 Llama）时需要，且只会发送给 Hub。</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>A token is in use until Fireside quits: no system keyring is available here to keep it.</source>
        <translation>令牌会一直使用到 Fireside 退出：此系统没有可用的钥匙串来保存它。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>No system keyring is available here, so a token is kept only until Fireside quits.</source>
        <translation>此系统没有可用的钥匙串，令牌只会保留到 Fireside 退出为止。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>A token is saved in the system keyring (%1).</source>
        <translation>令牌已保存在系统钥匙串中（%1）。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>No token saved. A token is kept in the system keyring (%1), never in the settings file.</source>
        <translation>尚未保存令牌。令牌会保存在系统钥匙串（%1）中，绝不会写入设置文件。</translation>
    </message>
</context>
<context>
    <name>IngestProgress</name>
    <message>
        <location filename="../../desktop/knowledge/widgets.py" line="+22"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stop; finished documents are kept</source>
        <translation>停止；已处理完的文档会保留</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Go on where the ingestion stopped</source>
        <translation>从导入中断的地方继续</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>Looking at the files…</source>
        <translation>正在检查文件…</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>Stopped. Finished documents are kept; the rest go on with the next add or with Resume.</source>
        <translation>已停止。已处理完的文档会保留；其余文档将在下次添加或点击“继续”时接着处理。</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Waiting for an embedding model: the documents are added once one is chosen.</source>
        <translation>正在等待嵌入模型：选择一个嵌入模型后即会添加这些文档。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Documents: %1 of %2</source>
        <translation>文档：%1 / %2</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>ETA under a minute</source>
        <translation>预计剩余不到 1 分钟</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>ETA %1 min</source>
        <translation>预计剩余 %1 分钟</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ETA %1 h</source>
        <translation>预计剩余 %1 小时</translation>
    </message>
</context>
<context>
    <name>Ingestions</name>
    <message>
        <location filename="../../desktop/knowledge/ingestions.py" line="+294"/>
        <source>page %1 of %2</source>
        <translation>第 %1 页，共 %2 页</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>chapter %1 of %2</source>
        <translation>第 %1 章，共 %2 章</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>paragraph %1 of %2</source>
        <translation>第 %1 段，共 %2 段</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Chunks: %1 of %2</source>
        <translation>片段：%1 / %2</translation>
    </message>
    <message>
        <location line="+94"/>
        <source>same as %1</source>
        <translation>与 %1 相同</translation>
    </message>
</context>
<context>
    <name>InstalledPage</name>
    <message>
        <location filename="../../desktop/models/installed.py" line="+48"/>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Quantization</source>
        <translation>量化</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+58"/>
        <source>Default</source>
        <translation>默认</translation>
    </message>
    <message>
        <location line="-58"/>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Use</source>
        <translation>使用</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Make this the default model of its kind and load it</source>
        <translation>设为同类模型的默认模型并加载</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Delete…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Import a GGUF file…</source>
        <translation>导入 GGUF 文件…</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>Chat</source>
        <translation>对话</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Reranker</source>
        <translation>重排序</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Embedding</source>
        <translation>嵌入</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Chat · base model</source>
        <translation>对话 · 基础模型</translation>
    </message>
    <message>
        <location line="+82"/>
        <source>Delete %1? Its file (%2) will be removed from this computer.</source>
        <translation>要删除 %1 吗？它的文件（%2）将从这台电脑上删除。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Remove %1 from the list? Its file (%2) stays where it is; Fireside never deletes your own files.</source>
        <translation>要将 %1 从列表中移除吗？它的文件（%2）会保留在原处；Fireside 绝不会删除你自己的文件。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Delete model</source>
        <translation>删除模型</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Deleted %1; %2 freed.</source>
        <translation>已删除 %1，释放了 %2 空间。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Removed %1 from the list.</source>
        <translation>已将 %1 从列表中移除。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Import a GGUF model</source>
        <translation>导入 GGUF 模型</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>GGUF models (*.gguf)</source>
        <translation>GGUF 模型 (*.gguf)</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Imported %1 (%2). The file stays where it is.</source>
        <translation>已导入 %1（%2）。文件保留在原处。</translation>
    </message>
</context>
<context>
    <name>KnowledgePanel</name>
    <message>
        <location filename="../../desktop/knowledge/panel.py" line="+130"/>
        <source>Knowledge</source>
        <translation>知识库</translation>
    </message>
    <message>
        <location line="-2"/>
        <source>Fold or unfold the knowledge panel</source>
        <translation>折叠或展开知识库面板</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>Drop files or folders here to make them searchable</source>
        <translation>将文件或文件夹拖放到此处，使其可被搜索</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>No documents yet. Drop files or folders here to make them searchable.</source>
        <translation>还没有文档。把文件或文件夹拖到这里，即可搜索其中的内容。</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+4"/>
        <source>Add files…</source>
        <translation>添加文件…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Add folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Remove the selected document from the collection</source>
        <translation>从资料集中移除所选文档</translation>
    </message>
    <message>
        <location line="+180"/>
        <location line="+13"/>
        <source>Add documents</source>
        <translation>添加文档</translation>
    </message>
    <message>
        <location line="-12"/>
        <source>Documents (%1);;All files (*)</source>
        <translation>文档 (%1);;所有文件 (*)</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Add a folder</source>
        <translation>添加文件夹</translation>
    </message>
    <message>
        <location line="+98"/>
        <source>Remove from collection…</source>
        <translation>从资料集中移除…</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Remove “%1” from the collection “%2”? The file itself stays where it is.</source>
        <translation>要将“%1”从资料集“%2”中移除吗？文件本身会保留在原处。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Remove document</source>
        <translation>移除文档</translation>
    </message>
</context>
<context>
    <name>LanguageNotice</name>
    <message>
        <location filename="../../desktop/knowledge/language_notice.py" line="+103"/>
        <source>default</source>
        <translation>默认</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The embedding model %1 does not understand %2, the language of documents in “%3”: search there relies on keywords. No multilingual model in the catalogue fits this computer&apos;s memory.</source>
        <translation>嵌入模型 %1 不懂%2，而知识库“%3”的文档是%2的：这里的检索只能依靠关键词。目录中没有适合本机内存的多语言模型。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The embedding model %1 does not understand %2, the language of documents in “%3”: search there relies on keywords. Better: %4 (%5).</source>
        <translation>嵌入模型 %1 不懂%2，而知识库“%3”的文档是%2的：这里的检索只能依靠关键词。建议改用 %4（%5）。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Get %1…</source>
        <translation>获取 %1…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open the model manager on this embedding model</source>
        <translation>在模型管理器中打开这个嵌入模型</translation>
    </message>
</context>
<context>
    <name>MainMenus</name>
    <message>
        <location filename="../../desktop/window/menus.py" line="+52"/>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;New chat</source>
        <translation>新建对话(&amp;N)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Import chat…</source>
        <translation>导入对话(&amp;I)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Export chat…</source>
        <translation>导出对话(&amp;E)…</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Add &amp;documents…</source>
        <translation>添加文档(&amp;D)…</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Stop the reply</source>
        <translation>停止回复(&amp;S)</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>&amp;Copy last reply</source>
        <translation>复制最后一条回复(&amp;C)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Rename chat…</source>
        <translation>重命名对话(&amp;R)…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Delete chat</source>
        <translation>删除对话(&amp;D)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Undo delete chat</source>
        <translation>撤销删除对话(&amp;U)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&amp;Find in chats</source>
        <translation>在对话中查找(&amp;F)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Chats</source>
        <translation>对话列表(&amp;C)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Knowledge panel</source>
        <translation>知识库面板(&amp;K)</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>&amp;Models</source>
        <translation>模型(&amp;M)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Model manager…</source>
        <translation>模型管理器(&amp;M)…</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Import a GGUF file…</source>
        <translation>导入 GGUF 文件(&amp;I)…</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Restart engine</source>
        <translation>重启推理引擎(&amp;R)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;Settings</source>
        <translation>设置(&amp;S)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)…</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open &amp;data folder</source>
        <translation>打开数据文件夹(&amp;D)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open engine &amp;log</source>
        <translation>打开推理引擎日志(&amp;L)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;About Fireside</source>
        <translation>关于 Fireside(&amp;A)</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../desktop/window/main_window.py" line="+306"/>
        <location line="+27"/>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <location line="+172"/>
        <source>Answered without your documents: %1</source>
        <translation>本次回答未使用你的文档：%1</translation>
    </message>
    <message>
        <location line="+35"/>
        <source>This chat&apos;s documents changed</source>
        <translation>此对话使用的文档已更改</translation>
    </message>
</context>
<context>
    <name>MessageWidget</name>
    <message>
        <location filename="../../desktop/chat/message_widget.py" line="+152"/>
        <source>Previous version</source>
        <translation>上一个版本</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Next version</source>
        <translation>下一个版本</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+136"/>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <location line="-136"/>
        <source>Copy this message</source>
        <translation>复制此消息</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Edit</source>
        <translation>编辑</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Edit and send again (a new version)</source>
        <translation>编辑后重新发送（生成新版本）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Regenerate</source>
        <translation>重新生成</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Write another reply (this one stays)</source>
        <translation>再生成一条回复（保留当前回复）</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Sources</source>
        <translation>来源</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Every passage retrieved for this reply, with its scores</source>
        <translation>为此回复检索到的所有段落及其得分</translation>
    </message>
    <message>
        <location line="+105"/>
        <source>Assistant</source>
        <translation>助手</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1 · not the loaded model</source>
        <translation>%1 · 不是当前加载的模型</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Copy the code</source>
        <translation>复制代码</translation>
    </message>
    <message>
        <location line="+68"/>
        <source>stopped before the end</source>
        <translation>生成未完成即已停止</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>the model no longer sees this (the chat outgrew its context)</source>
        <translation>模型已看不到这条消息（对话已超出上下文长度）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>no source holds this answer: check it before relying on it</source>
        <translation>没有资料能印证这个回答，使用前请先核实</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Code copied</source>
        <translation>代码已复制</translation>
    </message>
    <message>
        <location line="-140"/>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
</context>
<context>
    <name>Messages</name>
    <message>
        <location filename="../../desktop/window/messages.py" line="+32"/>
        <source>Could not read or write %1: %2</source>
        <translation>无法读写 %1：%2</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>A base model has no chat template: it continues your text rather than answering as an assistant.</source>
        <translation>基础模型没有对话模板：它会接着你的文字往下写，而不是像助手那样回答。</translation>
    </message>
</context>
<context>
    <name>ModelManager</name>
    <message>
        <location filename="../../desktop/models/file_table.py" line="+22"/>
        <source>%1 (%2 parts)</source>
        <translation>%1（%2 个分卷）</translation>
    </message>
</context>
<context>
    <name>ModelManagerDialog</name>
    <message>
        <location filename="../../desktop/models/manager.py" line="+65"/>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Recommended</source>
        <translation>推荐</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Search the Hub</source>
        <translation>搜索 Hugging Face</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+85"/>
        <source>Downloads</source>
        <translation>下载</translation>
    </message>
    <message>
        <location line="-84"/>
        <source>Installed</source>
        <translation>已安装</translation>
    </message>
    <message>
        <location line="+78"/>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Downloads (%1)</source>
        <translation>下载（%1）</translation>
    </message>
</context>
<context>
    <name>ModelPresenter</name>
    <message>
        <location filename="../../desktop/window/model_presenter.py" line="+74"/>
        <source>Import a GGUF model</source>
        <translation>导入 GGUF 模型</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>GGUF models (*.gguf)</source>
        <translation>GGUF 模型 (*.gguf)</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>The local server switched the model to %1 for a request</source>
        <translation>本机服务器为一个请求切换到了 %1</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Assistant</source>
        <translation>助手</translation>
    </message>
</context>
<context>
    <name>ModelsPage</name>
    <message>
        <location filename="../../desktop/settings/engine.py" line="+49"/>
        <source>Reading the installed models…</source>
        <translation>正在读取已安装的模型…</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Automatic (%1)</source>
        <translation>自动（%1）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Automatic uses one thread per physical core (%1 on this computer), which is usually fastest.</source>
        <translation>“自动”会为每个物理核心分配一个线程（这台电脑有 %1 个），通常速度最快。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source> tokens</source>
        <translation> 个词元</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Chat model:</source>
        <translation>对话模型：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Embedding model:</source>
        <translation>嵌入模型：</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The embedding model indexes your documents for the knowledge panel.</source>
        <translation>嵌入模型用于为知识库中的文档建立索引。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>New chats use the collections I chose last (“Use in this chat”)</source>
        <translation>新对话沿用我上次选择的资料集（“在此对话中使用”）</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Recognise text in scanned pages and images (OCR)</source>
        <translation>识别扫描页和图片中的文字（OCR）</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Recognition runs on this computer, a few seconds per page. Turned off, images and PDF pages without text are not indexed.</source>
        <translation>识别在本机进行，每页需要几秒钟。关闭后，图片和没有文字的 PDF 页面不会被索引。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Context size:</source>
        <translation>上下文长度：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Threads:</source>
        <translation>线程数：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Batch size:</source>
        <translation>批处理大小：</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Tokens read at once when the model reads a prompt: larger is faster and uses more memory.</source>
        <translation>模型读取提示词时一次处理的词元数：越大越快，但占用内存越多。</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>%1 tokens</source>
        <translation>%1 个词元</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>Could not read the installed models: %1</source>
        <translation>无法读取已安装的模型：%1</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>No chat model chosen</source>
        <translation>未选择对话模型</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>None</source>
        <translation>无</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>%1 (not installed)</source>
        <translation>%1（未安装）</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>base model</source>
        <translation>基础模型</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>How much of the conversation the model sees at once. More uses more memory.</source>
        <translation>模型一次能看到的对话长度。越长占用内存越多。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>%1 was trained with a context of %2 tokens; a larger one may make its replies worse.</source>
        <translation>%1 训练时的上下文长度为 %2 个词元，设得更大可能会降低回复质量。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1 was trained with a context of %2 tokens.</source>
        <translation>%1 训练时的上下文长度为 %2 个词元。</translation>
    </message>
</context>
<context>
    <name>PicksBar</name>
    <message>
        <location filename="../../desktop/chat/picks_bar.py" line="+34"/>
        <source>Read whole for the next question:</source>
        <translation>下一个问题将完整阅读：</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Add to this chat</source>
        <translation>添加到此对话</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Add these files to the documents this chat uses</source>
        <translation>把这些文件加入此对话使用的文档</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Dismiss</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>%1 (%2): click to leave it out of the next question</source>
        <translation>%1（%2）：点击后下一个问题不再阅读它</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Not in this chat&apos;s documents: %1</source>
        <translation>不在此对话的文档中：%1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Not in this chat&apos;s documents (not a kind of file Fireside reads): %1</source>
        <translation>不在此对话的文档中（Fireside 无法读取这类文件）：%1</translation>
    </message>
</context>
<context>
    <name>PlainTranscriptOffer</name>
    <message>
        <location filename="../../desktop/chat/transcript_offer.py" line="+38"/>
        <source>Use a plain &amp;transcript for this model</source>
        <translation>为此模型使用纯文本对话记录(&amp;T)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Write this model&apos;s chats as plain “User:” and “Assistant:” lines, not with its chat template</source>
        <translation>以“User:”和“Assistant:”开头的纯文本行记录此模型的聊天，不使用它的聊天模板</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>Chat template refused</source>
        <translation>聊天模板已被拒绝</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The chat template of %1 cannot be used.</source>
        <translation>无法使用 %1 的聊天模板。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Fireside can write this model&apos;s chats as a plain transcript instead: your messages and its replies as lines that start with “User:” and “Assistant:”. Most models still answer that way, though often less well than with their own template. You can turn it off again in the Models menu.</source>
        <translation>Fireside 可以改用纯文本对话记录来写此模型的聊天：你的消息和它的回复各成一行，分别以“User:”和“Assistant:”开头。大多数模型这样仍能回答，但效果往往不如使用它自己的模板。你可以在“模型”菜单中再次关闭此选项。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Use the plain transcript</source>
        <translation>使用纯文本对话记录</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Not now</source>
        <translation>暂不</translation>
    </message>
</context>
<context>
    <name>PresetsPage</name>
    <message>
        <location filename="../../desktop/settings/presets.py" line="+42"/>
        <source>What the model is told before every chat…</source>
        <translation>每次对话开始前告诉模型的话…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Add</source>
        <translation>添加</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Rename</source>
        <translation>重命名</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>New chats start with:</source>
        <translation>新对话默认使用：</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>A chat keeps the system prompt it was started with.</source>
        <translation>每个对话会一直沿用创建时的系统提示词。</translation>
    </message>
    <message>
        <location line="+42"/>
        <source>No system prompt</source>
        <translation>不使用系统提示词</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>New preset</source>
        <translation>新预设</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>A preset needs a name.</source>
        <translation>预设需要一个名称。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>There is already a preset named “%1”.</source>
        <translation>已经有名为“%1”的预设了。</translation>
    </message>
</context>
<context>
    <name>RecommendedPage</name>
    <message>
        <location filename="../../desktop/models/recommended.py" line="+86"/>
        <source>Chat models</source>
        <translation>对话模型</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Embedding models</source>
        <translation>嵌入模型</translation>
    </message>
    <message>
        <location line="+62"/>
        <source>Chat model</source>
        <translation>对话模型</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Embedding model</source>
        <translation>嵌入模型</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 · %2 parameters · context %3 · licence %4 · %5</source>
        <translation>%1 · %2 参数 · 上下文 %3 · 许可证 %4 · %5</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Checking sizes and memory fit on the Hub…</source>
        <translation>正在从 Hugging Face 查询文件大小并评估内存需求…</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>%1 · recommended</source>
        <translation>%1 · 推荐</translation>
    </message>
</context>
<context>
    <name>RowActions</name>
    <message>
        <location filename="../../desktop/chat/chat_list.py" line="-315"/>
        <source>Rename</source>
        <translation>重命名</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Delete (Undo brings it back)</source>
        <translation>删除（可撤销）</translation>
    </message>
</context>
<context>
    <name>SamplingPage</name>
    <message>
        <location filename="../../desktop/settings/engine.py" line="+36"/>
        <source>Higher gives more varied replies, lower more predictable ones; 0 always picks the most likely word.</source>
        <translation>越高回复越多样，越低越稳定；设为 0 时总是选择可能性最大的词。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Picks only among the most likely words that together reach this share.</source>
        <translation>只在累计概率达到该比例的最可能的词中选择。</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+3"/>
        <location line="+5"/>
        <source>Off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location line="-7"/>
        <source>Picks only among this many most likely words (0: off).</source>
        <translation>只在可能性最大的前若干个词中选择（0 表示关闭）。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Leaves out words less likely than this share of the likeliest one.</source>
        <translation>舍弃概率低于最可能词的该比例的词。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Makes the model less likely to repeat itself.</source>
        <translation>让模型更少重复自己说过的话。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source> tokens</source>
        <translation> 个词元</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>A reply stops when it reaches this length.</source>
        <translation>回复达到这个长度时停止。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Restore Defaults</source>
        <translation>恢复默认值</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Temperature:</source>
        <translation>温度：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Top-p:</source>
        <translation>Top-p：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Top-k:</source>
        <translation>Top-k：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Min-p:</source>
        <translation>Min-p：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Repeat penalty:</source>
        <translation>重复惩罚：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Longest reply:</source>
        <translation>最长回复：</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>These apply to every chat from its next reply.</source>
        <translation>这些设置从下一条回复起对所有对话生效。</translation>
    </message>
</context>
<context>
    <name>SearchPage</name>
    <message>
        <location filename="../../desktop/models/search.py" line="+51"/>
        <source>Search GGUF models, e.g. qwen 7b</source>
        <translation>搜索 GGUF 模型，例如 qwen 7b</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <location line="+44"/>
        <source>Searching…</source>
        <translation>正在搜索…</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>%1 downloads · %2 likes</source>
        <translation>%1 次下载 · %2 次点赞</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>needs an access token</source>
        <translation>需要访问令牌</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Models found: %1</source>
        <translation>找到的模型：%1</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>No GGUF models found for “%1”</source>
        <translation>未找到与“%1”相关的 GGUF 模型</translation>
    </message>
    <message>
        <location line="+36"/>
        <source>Listing files and checking memory fit…</source>
        <translation>正在列出文件并评估内存需求…</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>This repository has no GGUF model files.</source>
        <translation>此仓库中没有 GGUF 模型文件。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>An embedding model: it searches your documents.</source>
        <translation>这是一个嵌入模型：用于搜索你的文档。</translation>
    </message>
</context>
<context>
    <name>ServerPage</name>
    <message>
        <location filename="../../desktop/settings/server.py" line="+51"/>
        <source>Run the local server</source>
        <translation>运行本机服务器</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>any free port</source>
        <translation>任一空闲端口</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Show</source>
        <translation>显示</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Require the key from programs on this computer too</source>
        <translation>本机上的程序也必须提供密钥</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Answer only with the loaded model</source>
        <translation>只用已加载的模型回答</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Endpoint</source>
        <translation>接口</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Tokens</source>
        <translation>词元</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Duration</source>
        <translation>用时</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>Port:</source>
        <translation>端口：</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Address:</source>
        <translation>地址：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>127.0.0.1 is this computer only. Any other address lets other computers on your network use your models; it needs the API key and your confirmation.</source>
        <translation>127.0.0.1 表示只有这台电脑。其他地址会让你网络中的其他电脑也能使用你的模型，需要 API 密钥并经你确认。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>API key:</source>
        <translation>API 密钥：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Allowed web pages:</source>
        <translation>允许的网页：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Origins of web pages that may read answers, separated by spaces. Empty: no web page in a browser can.</source>
        <translation>可以读取回答的网页来源，用空格分隔。留空：浏览器中的任何网页都不能读取。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Otherwise a request for another installed model loads it, and your chat uses it too. Your own chat always goes before waiting requests.</source>
        <translation>否则，请求其他已安装的模型时会加载该模型，你的对话也会改用它。你自己的对话总是先于排队的请求。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Recent requests (what was asked is never kept):</source>
        <translation>最近的请求（从不保存请求和回答的内容）：</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>Enter the address the server listens on.</source>
        <translation>请输入服务器监听的地址。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>An allowed web page is named by its origin, such as http://localhost:3000, not &apos;%1&apos;.</source>
        <translation>允许的网页要写成来源，例如 http://localhost:3000，而不是“%1”。</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>Not started: listening on %1 was not confirmed.</source>
        <translation>未启动：没有确认在 %1 上监听。</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>The settings could not be saved.</source>
        <translation>无法保存设置。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Listen beyond this computer?</source>
        <translation>要让其他电脑也能访问吗？</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>On %1, other computers that can reach this one can use your models and documents with the API key. Listen there?</source>
        <translation>在 %1 上监听时，能连到这台电脑的其他电脑可以凭 API 密钥使用你的模型和文档。要在那里监听吗？</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Listening at %1</source>
        <translation>正在 %1 监听</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Off</source>
        <translation>已关闭</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Made when you show or copy it, or when the server needs it</source>
        <translation>在你显示或复制它时，或服务器需要时生成</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../../desktop/settings/dialog.py" line="+77"/>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Sampling</source>
        <translation>生成参数</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>System Prompts</source>
        <translation>系统提示词</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Appearance &amp; Language</source>
        <translation>外观与语言</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Model Hub</source>
        <translation>模型仓库</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Data</source>
        <translation>数据</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Local server</source>
        <translation>本机服务器</translation>
    </message>
    <message>
        <location line="+86"/>
        <source>The longest reply (%1 tokens) must be shorter than the context size (%2 tokens).</source>
        <translation>最长回复（%1 个词元）必须小于上下文长度（%2 个词元）。</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>The settings could not be saved: %1</source>
        <translation>无法保存设置：%1</translation>
    </message>
</context>
<context>
    <name>SourcesDialog</name>
    <message>
        <location filename="../../desktop/knowledge/sources.py" line="+52"/>
        <source>Sources of this reply</source>
        <translation>此回复的来源</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>%1 passages were retrieved for this reply; it cites %2 of them (in bold). Keyword: how well the words match (BM25). Vector: how close the meaning is (cosine similarity, up to 1). Combined: the rank both give together.</source>
        <translation>为此回复检索到 %1 个段落，回复引用了其中 %2 个（粗体）。关键词：词语的匹配程度（BM25）。向量：含义的接近程度（余弦相似度，最高为 1）。综合：两者共同给出的排名得分。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The documents were read whole for this reply. %1 passages gave notes (the Passage column shows each note); the reply cites %2 of them (in bold).</source>
        <translation>为这条回复完整阅读了文档。%1 个段落记下了笔记（“段落”一栏显示每条笔记）；回复引用了其中 %2 个（粗体）。</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Cited</source>
        <translation>已引用</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Document</source>
        <translation>文档</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Keyword</source>
        <translation>关键词</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Vector</source>
        <translation>向量</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Combined</source>
        <translation>综合</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Passage</source>
        <translation>段落</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Rerank</source>
        <translation>重排序</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>%1, page %2</source>
        <translation>%1，第 %2 页</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show this passage in its document</source>
        <translation>在文档中显示此段落</translation>
    </message>
</context>
<context>
    <name>StatusLine</name>
    <message>
        <location filename="../../desktop/window/status_line.py" line="+28"/>
        <location line="+40"/>
        <source>No model loaded</source>
        <translation>未加载模型</translation>
    </message>
    <message>
        <location line="-34"/>
        <location line="+84"/>
        <source>context empty</source>
        <translation>上下文为空</translation>
    </message>
    <message>
        <location line="-68"/>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>No model yet</source>
        <translation>尚无模型</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Loading %1…</source>
        <translation>正在加载 %1…</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Restarting the engine…</source>
        <translation>正在重启推理引擎…</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The engine stopped</source>
        <translation>推理引擎已停止</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1 · %2 · context %3</source>
        <translation>%1 · %2 · 上下文 %3</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1, all layers</source>
        <translation>%1，全部层</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1, %2 of %3 layers</source>
        <translation>%1，%3 层中的 %2 层</translation>
    </message>
    <message>
        <location line="-11"/>
        <source>%1 layers on the GPU did not fit; loaded with %2</source>
        <translation>GPU 放不下 %1 层，已改为 %2 层加载</translation>
    </message>
    <message>
        <location line="-3"/>
        <source>base model</source>
        <translation>基础模型</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>%1 tokens/s</source>
        <translation>%1 词元/秒</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Reading %1 of %2 documents…</source>
        <translation>正在阅读第 %1 篇文档，共 %2 篇…</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>%1 / %2 tokens</source>
        <translation>%1 / %2 词元</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>How much of the model&apos;s context this chat fills</source>
        <translation>此对话已占用的模型上下文</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Chat deleted · Undo</source>
        <translation>对话已删除 · 撤销</translation>
    </message>
</context>
<context>
    <name>WaitForDataFolder</name>
    <message>
        <location filename="../../desktop/window/single_instance.py" line="+99"/>
        <source>Another Fireside program is using your data: %1. Fireside will open as soon as it has finished.</source>
        <translation>另一个 Fireside 程序正在使用你的数据：%1。它结束后 Fireside 会立即打开。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
</context>
<context>
    <name>WelcomeWidget</name>
    <message>
        <location filename="../../desktop/models/welcome.py" line="+142"/>
        <source>Welcome to Fireside</source>
        <translation>欢迎使用 Fireside</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Chat with an AI model that runs entirely on this computer. Download a model once; after that everything works offline, and nothing you type leaves this computer.</source>
        <translation>与完全在这台电脑上运行的 AI 模型对话。只需下载一次模型，之后一切都能离线使用，你输入的任何内容都不会离开这台电脑。</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>I already have a GGUF file…</source>
        <translation>我已有 GGUF 文件…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Browse all models…</source>
        <translation>浏览全部模型…</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Check which version suits this computer (asks the Hugging Face Hub)</source>
        <translation>检查哪个版本适合这台电脑（会询问 Hugging Face Hub）</translation>
    </message>
    <message>
        <location line="+81"/>
        <source>Checking which version suits this computer…</source>
        <translation>正在检查哪个版本最适合这台电脑…</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>Download %1 (%2)</source>
        <translation>下载 %1（%2）</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Download %1</source>
        <translation>下载 %1</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>We suggest %1: %2</source>
        <translation>推荐使用 %1：%2</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Its download is about %1 (%2).</source>
        <translation>下载大小约为 %1（%2）。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Fireside could not check its size on the Hub: %1</source>
        <translation>Fireside 无法从 Hugging Face 查询它的大小：%1</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>We suggest %1 (%2, %3): %4</source>
        <translation>推荐使用 %1（%2，%3）：%4</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>It needs about %1 of memory and this computer has %2 free, so it runs comfortably.</source>
        <translation>它约需 %1 内存，这台电脑当前有 %2 可用，可以流畅运行。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>It needs about %1 of memory and this computer has %2 free: it will run, but close other programs first.</source>
        <translation>它约需 %1 内存，这台电脑当前有 %2 可用：可以运行，但请先关闭其他程序。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Even this small model needs about %1 of memory, and this computer has %2 free; it may not run. You can still try it, or import a smaller GGUF file.</source>
        <translation>即便是这个小模型也约需 %1 内存，而这台电脑当前只有 %2 可用，可能无法运行。你仍可以试一试，或者导入一个更小的 GGUF 文件。</translation>
    </message>
    <message>
        <location line="+51"/>
        <source>Choose a GGUF model file</source>
        <translation>选择 GGUF 模型文件</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>GGUF models (*.gguf)</source>
        <translation>GGUF 模型 (*.gguf)</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>%1 is an embedding model: it helps search your documents but cannot chat. It was added to your models; choose a chat model to start.</source>
        <translation>%1 是嵌入模型：它能帮助搜索你的文档，但不能用于对话。它已添加到你的模型中；请选择一个对话模型开始使用。</translation>
    </message>
</context>
<context>
    <name>WindowDialogs</name>
    <message>
        <location filename="../../desktop/window/dialogs.py" line="+131"/>
        <source>Fireside opens only documents in your knowledge base; this source is not one of them: %1</source>
        <translation>Fireside 只打开你知识库中的文档；此来源不在其中：%1</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The document is no longer at %1</source>
        <translation>文档已不在 %1</translation>
    </message>
</context>
<context>
    <name>window</name>
    <message>
        <location filename="../../desktop/window/app.py" line="+167"/>
        <source>Fireside closed unexpectedly last time. What it left for a bug report is in %1.</source>
        <translation>Fireside 上次意外关闭。可用于报告问题的信息在 %1。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Your settings file could not be read; it was kept as %1 and defaults are used.</source>
        <translation>无法读取你的设置文件；原文件已保留为 %1，现使用默认设置。</translation>
    </message>
</context>
</TS>
