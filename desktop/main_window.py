"""The first window: open a GGUF model and chat with it, the reply streaming in.

A deliberately small shell (the full window with the chat list, knowledge panel and model
manager comes later); it already follows the rules: every engine call runs through the
job runner off the GUI thread, and an engine failure is a message in the window, not a crash.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QFont,
    QKeySequence,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from core.engine.client import EngineClient, Generation
from core.engine.errors import EngineError
from core.engine.protocol import ChatMessage, LoadOptions, ModelInfo, SamplingParams
from core.i18n import Translator
from core.settings import Settings
from desktop.workers import Job, JobRunner


class MainWindow(QMainWindow):
    # Emitted on the GUI thread, after the window has shown the change.
    model_ready = Signal(object)  # ModelInfo
    piece_shown = Signal(str)
    reply_finished = Signal()
    error_shown = Signal(str)

    def __init__(self, client: EngineClient, settings: Settings, translate: Translator) -> None:
        super().__init__()
        self.client = client
        self.settings = settings
        self.translate = translate
        self.runner = JobRunner(self)
        self.history: list[ChatMessage] = []
        self.generation: Generation | None = None
        self._asked: list[ChatMessage] = []  # the messages of the reply being generated
        self.model: ModelInfo | None = None

        self.setWindowTitle("Fireside")
        self.resize(900, 640)
        self.transcript = QTextBrowser()
        self.transcript.setOpenExternalLinks(False)
        self.transcript.setPlaceholderText(
            self.tr("Open a GGUF model with File → Open model… (Ctrl+O) to start chatting.")
        )
        self.composer = QPlainTextEdit()
        self.composer.setPlaceholderText(self.tr("Type a message and press Ctrl+Enter"))
        self.composer.setMaximumHeight(110)
        self.send_button = QPushButton(self.tr("Send"))
        self.send_button.setShortcut(QKeySequence("Ctrl+Return"))
        self.send_button.clicked.connect(self.send)
        self.stop_button = QPushButton(self.tr("Stop"))
        self.stop_button.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.setEnabled(False)

        buttons = QVBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        row = QHBoxLayout()
        row.addWidget(self.composer)
        row.addLayout(buttons)
        column = QVBoxLayout()
        column.addWidget(self.transcript)
        column.addLayout(row)
        central = QWidget()
        central.setLayout(column)
        self.setCentralWidget(central)

        self.model_label = QLabel(self.tr("No model loaded"))
        self.speed_label = QLabel("")
        self.statusBar().addWidget(self.model_label, 1)
        self.statusBar().addPermanentWidget(self.speed_label)

        file_menu = self.menuBar().addMenu(self.tr("&File"))
        open_action = QAction(self.tr("&Open model…"), self)
        open_action.setShortcut(QKeySequence.StandardKey.Open)
        open_action.triggered.connect(self.choose_model)
        file_menu.addAction(open_action)
        quit_action = QAction(self.tr("&Quit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        self._set_busy(False)

    # ---- model -------------------------------------------------------------------------

    def choose_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Open a GGUF model"), str(Path.home()), self.tr("GGUF models (*.gguf)")
        )
        if path:
            self.load_model(path)

    def load_model(self, path: str) -> Job:
        self.model_label.setText(self.tr("Loading %1…").replace("%1", Path(path).name))
        self._set_busy(True, loading=True)
        options = LoadOptions(
            n_ctx=self.settings.engine.n_ctx, n_threads=self.settings.engine.n_threads or None
        )

        def work() -> Iterator[ModelInfo]:
            yield self.client.load_chat(path, options)

        job = Job(work)
        job.item.connect(self._model_loaded)
        job.failed.connect(self._failed)
        job.done.connect(self._load_done)
        return self.runner.submit(job)

    def _load_done(self) -> None:
        self._set_busy(False)

    def _model_loaded(self, info: object) -> None:
        assert isinstance(info, ModelInfo)
        self.model = info
        self.history = []
        self.transcript.clear()
        self.model_label.setText(f"{info.name} · {info.architecture} · ctx {info.n_ctx}")
        self.model_ready.emit(info)

    # ---- chat --------------------------------------------------------------------------

    def send(self) -> Job | None:
        text = self.composer.toPlainText().strip()
        if not text or self.model is None or self.runner.busy:
            return None
        self.composer.clear()
        self._append_speaker(self.tr("You"))
        self._append(text)
        self._append_speaker("Fireside")
        messages = list(self.history)
        if not messages and self.settings.system_prompt:
            messages.append(ChatMessage("system", self.settings.system_prompt))
        messages.append(ChatMessage("user", text))
        s = self.settings.sampling
        sampling = SamplingParams(
            temperature=s.temperature, top_p=s.top_p, top_k=s.top_k, min_p=s.min_p,
            repeat_penalty=s.repeat_penalty, max_tokens=s.max_tokens,
        )  # fmt: skip
        self._asked = messages
        client = self.client

        def work() -> Iterator[str]:
            self.generation = client.generate(messages, sampling)
            yield from self.generation

        job = Job(work)
        job.item.connect(self._append_piece)
        job.done.connect(self._reply_done)
        job.failed.connect(self._failed)
        self._set_busy(True)
        return self.runner.submit(job)

    def stop(self) -> None:
        if self.generation is not None:
            self.generation.cancel()

    def _append_piece(self, piece: object) -> None:
        self._append(str(piece))
        self.piece_shown.emit(str(piece))

    def _reply_done(self) -> None:
        generation = self.generation
        assert generation is not None
        self.history = [*self._asked, ChatMessage("assistant", generation.text)]
        self.generation = None
        if generation.stats is not None:
            self.speed_label.setText(
                self.tr("%1 tokens/s").replace("%1", f"{generation.stats.decode_tps:.1f}")
            )
        self._set_busy(False)
        self.reply_finished.emit()

    def _failed(self, error: object) -> None:
        self.generation = None
        self._set_busy(False)
        message = error.message(self.translate) if isinstance(error, EngineError) else str(error)
        if self.model is not None and not self.client.alive:
            self.model = None
            self.model_label.setText(self.tr("No model loaded"))
        self.statusBar().showMessage(message, 15000)
        self.error_shown.emit(message)
        QMessageBox.warning(self, "Fireside", message)

    # ---- helpers -----------------------------------------------------------------------

    def _append_speaker(self, name: str) -> None:
        """Start a new paragraph with the speaker's name in bold; text follows in plain."""
        cursor = self.transcript.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        if not self.transcript.document().isEmpty():
            cursor.insertBlock()
            cursor.insertBlock()
        bold = QTextCharFormat()
        bold.setFontWeight(QFont.Weight.Bold)
        cursor.insertText(f"{name}: ", bold)
        self.transcript.setTextCursor(cursor)

    def _append(self, text: str) -> None:
        cursor = self.transcript.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text, QTextCharFormat())  # plain, whatever came before
        self.transcript.setTextCursor(cursor)
        self.transcript.ensureCursorVisible()

    def _set_busy(self, busy: bool, loading: bool = False) -> None:
        self.send_button.setEnabled(not busy and self.model is not None)
        self.stop_button.setEnabled(busy and not loading)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.stop()
        self.runner.shutdown()
        super().closeEvent(event)
