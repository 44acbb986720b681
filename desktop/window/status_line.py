"""The window's status line: which model is loaded (or why none is), the last reply's
tokens/s, the context gauge, and the *Undo* offer after a chat is deleted.

It owns those widgets and says each state in words; the window decides when. Notes that
come and go (``showMessage``) stay the window's.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar

from core.engine.protocol import ModelInfo
from core.models.units import human_count
from desktop.chat.conversation import Conversation
from desktop.window.live_figures import LiveFigures
from desktop.window.messages import base_model_hint


class StatusLine(QObject):
    """The permanent parts of the status bar, each state said in the person's language."""

    undo_requested = Signal()

    def __init__(self, bar: QStatusBar, parent: QObject | None = None,
                 conversation: Conversation | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.model_label = QLabel(self.tr("No model loaded"))
        self.model_label.setTextFormat(Qt.TextFormat.PlainText)  # a model names itself
        self.model_label.setContentsMargins(6, 0, 0, 0)  # in line with the sidebar's edge
        self.speed_label = QLabel("")
        # The gauge's words sit beside a slim bar, not on it: drawn over the fill, the part
        # of "717 / 2048 tokens" at the fill's edge could not be read.
        self.context_label = QLabel(self.tr("context empty"))
        self.gauge = QProgressBar()
        self.gauge.setObjectName("contextGauge")
        self.gauge.setFixedSize(72, 8)
        self.gauge.setTextVisible(False)
        self.gauge.setRange(0, 1)
        self.gauge.setValue(0)
        self.gauge.setFormat(self.context_label.text())
        # An edge and a groove of the palette's own: Fusion's groove was all but invisible
        # on the dark status bar, so an empty gauge did not read as one.
        self.gauge.setStyleSheet(
            "QProgressBar#contextGauge { border: 1px solid palette(mid); border-radius: 4px;"
            " background: palette(base); }"
            " QProgressBar#contextGauge::chunk { background: palette(highlight);"
            " border-radius: 3px; }"
        )
        self.undo_button = QPushButton(self.tr("Undo"))
        self.undo_button.setFlat(True)
        self.undo_button.hide()
        self.undo_button.clicked.connect(self.undo_requested)
        self._undo_timer = QTimer(self)
        self._undo_timer.setSingleShot(True)
        self._undo_timer.timeout.connect(self.undo_button.hide)
        bar.addWidget(self.model_label, 1)
        bar.addPermanentWidget(self.undo_button)
        bar.addPermanentWidget(self.speed_label)
        bar.addPermanentWidget(self.context_label)
        bar.addPermanentWidget(self.gauge)
        if conversation is not None:
            self.live = LiveFigures(conversation, self)

    # ---- the model ---------------------------------------------------------------------

    def no_model(self) -> None:
        self.model_label.setText(self.tr("No model loaded"))

    def no_model_yet(self) -> None:
        self.model_label.setText(self.tr("No model yet"))

    def loading(self, name: str) -> None:
        self.model_label.setText(self.tr("Loading %1…").replace("%1", name))

    def restarting(self) -> None:
        self.model_label.setText(self.tr("Restarting the engine…"))

    def engine_stopped(self) -> None:
        self.model_label.setText(self.tr("The engine stopped"))

    def model(self, info: ModelInfo) -> None:
        text = (self.tr("%1 · %2 · context %3").replace("%1", info.name)
                .replace("%2", info.quantization or info.architecture)
                .replace("%3", human_count(info.n_ctx)))  # fmt: skip
        text += " · " + self._placement(info)
        base = not info.has_chat_template  # a base model: it continues text
        self.model_label.setText(text + " · " + self.tr("base model") if base else text)
        tips = [base_model_hint()] if base else []
        if info.gpu_layers_tried is not None:  # the engine had to retry with fewer layers
            tips.append(self.tr("%1 layers on the GPU did not fit; loaded with %2")
                        .replace("%1", str(info.gpu_layers_tried))
                        .replace("%2", str(info.gpu_layers)))  # fmt: skip
        self.model_label.setToolTip("\n".join(tips))

    def _placement(self, info: ModelInfo) -> str:
        """Where the model runs: "CPU", "Vulkan0, all layers" or "Vulkan0, 20 of 28 layers"."""
        if info.gpu_layers <= 0:
            return self.tr("CPU")
        if info.gpu_layers >= info.n_layers:
            return self.tr("%1, all layers").replace("%1", info.device)
        return (self.tr("%1, %2 of %3 layers").replace("%1", info.device)
                .replace("%2", str(info.gpu_layers)).replace("%3", str(info.n_layers)))  # fmt: skip

    # ---- the reply and the context -----------------------------------------------------

    def speed(self, tokens_per_second: float) -> None:
        self.speed_label.setText(self.tr("%1 tokens/s").replace("%1", f"{tokens_per_second:.1f}"))

    def reading(self, done: int, total: int) -> None:
        """Whole documents being read for a question, before its answer is written."""
        self.speed_label.setText(self.tr("Reading %1 of %2 documents…")
                                 .replace("%1", str(done)).replace("%2", str(total)))  # fmt: skip

    def context_empty(self, n_ctx: int) -> None:
        self.gauge.setRange(0, max(1, n_ctx))
        self.gauge.setValue(0)
        self._say_context(self.tr("context empty"))

    def context(self, used: int, n_ctx: int) -> None:
        self.gauge.setRange(0, max(1, n_ctx))
        self.gauge.setValue(used)
        self._say_context(self.tr("%1 / %2 tokens").replace("%1", human_count(used))
                          .replace("%2", human_count(n_ctx)))  # fmt: skip
        tip = self.tr("How much of the model's context this chat fills")
        self.gauge.setToolTip(tip)
        self.context_label.setToolTip(tip)

    def _say_context(self, text: str) -> None:
        self.context_label.setText(text)
        self.gauge.setFormat(text)

    # ---- undo --------------------------------------------------------------------------

    def offer_undo(self, seconds: int) -> None:
        """Offer "Chat deleted · Undo" for ``seconds``."""
        self.undo_button.setText(self.tr("Chat deleted · Undo"))
        self.undo_button.show()
        self._undo_timer.start(seconds * 1000)

    def withdraw_undo(self) -> None:
        self.undo_button.hide()
