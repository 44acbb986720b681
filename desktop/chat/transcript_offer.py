"""The offer of Fireside's plain transcript for a model whose chat template was refused
(issue 14, item 4).

A template that fails or passes the limits of the template process is refused
(``TemplateError``, said in the error bar) and nothing falls back on its own. This asks the
person, in one dialog in their language, whether to write this model's chats as a plain
transcript instead, and what that costs. Only a yes turns it on: it is kept per model in the
settings (``Conversation.use_plain_transcript``) and the message that could not be sent goes
out again. *Models > Use a plain transcript for this model* shows the choice and takes it back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QMessageBox, QPushButton

from core.engine.errors import TemplateError
from core.settings import Settings
from desktop.window.messages import describe_error

if TYPE_CHECKING:
    from desktop.window.main_window import MainWindow


class PlainTranscriptOffer(QObject):
    """Asks once per refusal; the Models menu's check box keeps and revokes the answer."""

    asked = Signal()  # the dialog is open (tests answer it through ``dialog``)

    def __init__(self, window: MainWindow, menu: QMenu) -> None:
        super().__init__(window)
        self.window = window
        self.dialog: QMessageBox | None = None
        self.use_button: QPushButton | None = None
        self.action = QAction(self.tr("Use a plain &transcript for this model"), window)
        self.action.setCheckable(True)
        self.action.setStatusTip(
            self.tr("Write this model's chats as plain “User:” and “Assistant:” lines, not "
                    "with its chat template")
        )  # fmt: skip
        self.action.triggered.connect(self._chosen)
        menu.addAction(self.action)
        menu.aboutToShow.connect(self.refresh)
        window.conversation.failed.connect(self._failed)
        window.model_ready.connect(self.refresh)
        window.services.on_settings_changed_while(self, PlainTranscriptOffer._settings_changed)
        self.refresh()

    def refresh(self, *_args: object) -> None:
        """The menu's check box says the loaded model's choice (off without a model)."""
        chosen = self.window.conversation.plain_transcript()
        self.action.setEnabled(chosen is not None)
        self.action.setChecked(bool(chosen))

    def _settings_changed(self, _old: Settings, _new: Settings) -> None:
        self.refresh()

    def _chosen(self, on: bool) -> None:
        self.window.conversation.use_plain_transcript(on)
        self.refresh()

    def _failed(self, error: object) -> None:
        """A turn failed: if the template was refused and the person was not asked about
        this refusal yet, ask (the dialog is window-modal and does not block)."""
        model = self.window.model
        if (not isinstance(error, TemplateError) or model is None or self.dialog is not None
                or self.window.conversation.plain_transcript() is not False):  # fmt: skip
            return
        dialog = QMessageBox(self.window)
        dialog.setIcon(QMessageBox.Icon.Question)
        dialog.setWindowTitle(self.tr("Chat template refused"))
        dialog.setTextFormat(Qt.TextFormat.PlainText)  # a model's name is text, never markup
        dialog.setText(self.tr("The chat template of %1 cannot be used.").replace("%1", model.name))
        advice = self.tr("Fireside can write this model's chats as a plain transcript "
                         "instead: your messages and its replies as lines that start with "
                         "“User:” and “Assistant:”. Most models still answer that way, though "
                         "often less well than with their own template. You can turn it off "
                         "again in the Models menu.")  # fmt: skip
        reason = describe_error(error, self.window.services.translate)
        dialog.setInformativeText(f"{reason}\n\n{advice}")
        self.use_button = dialog.addButton(self.tr("Use the plain transcript"),
                                           QMessageBox.ButtonRole.AcceptRole)  # fmt: skip
        dialog.setDefaultButton(dialog.addButton(self.tr("Not now"),
                                                 QMessageBox.ButtonRole.RejectRole))  # fmt: skip
        dialog.finished.connect(self._answered)
        self.dialog = dialog
        dialog.open()
        self.asked.emit()

    def _answered(self, _result: int) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is None:
            return
        agreed = dialog.clickedButton() is self.use_button
        dialog.deleteLater()
        if not agreed:
            return
        self.window.conversation.use_plain_transcript(True)
        self.refresh()
        self.window.error_bar.hide()
        self.window.composer.submit()  # the message given back goes out again, if any
