"""The knowledge panel's word on languages: whether the collection's embedding model
understands its documents, and which model to get first.

An English-only embedding model (all-MiniLM-L6-v2) turns Chinese text into vectors with
little meaning, so Chinese questions are then found by their keywords alone. The core's
:class:`~core.knowledge.language_check.LanguageAdvisor` compares the collection's languages
(detected at ingestion) with the catalogue's for its model; this module says the result in
one line, in the window's language, with a button that opens the model manager on the
catalogue model it suggests (one that serves the documents and fits this computer's memory).
``fireside-cli kb`` says the same with a download command instead of the button.

The first-use suggestion (no embedding model yet, files dropped) goes by the languages of
the dropped files, read on the knowledge lane (:func:`first_choice_job`), never on the GUI
thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from core.i18n import Translator
from core.knowledge.language_check import (
    LanguageAdvisor,
    LanguageMismatch,
    Suggestion,
    language_names,
    languages_of_files,
)
from core.knowledge.languages import main_languages
from core.knowledge.store import DEFAULT_COLLECTION
from core.models.units import human_size
from desktop.window.workers import Job

_PLACE = re.compile(r"%(\d)")


def fill_in(template: str, *values: str) -> str:
    """Qt-style ``%1``…``%9`` filled in one pass, so a value holding "%2" stays as it is."""
    return _PLACE.sub(lambda m: values[int(m[1]) - 1] if int(m[1]) <= len(values) else m[0],
                      template)  # fmt: skip


@dataclass(frozen=True)
class FirstChoice:
    """What the lane found for dropped files: their main languages and the model to get."""

    languages: tuple[str, ...]
    suggestion: Suggestion | None


def first_choice_job(advisor: LanguageAdvisor, paths: Sequence[Path | str]) -> Job:
    """A lane job reading the languages of the first files under ``paths`` (as ``kb add``
    does before suggesting a model) and yielding one :class:`FirstChoice`."""
    given = [Path(p) for p in paths]

    def work() -> Iterator[object]:
        counts = languages_of_files(given)
        languages = tuple(main_languages(counts)) or ("en",)
        yield FirstChoice(languages, advisor.first_choice(languages))

    return Job(work)


class LanguageNotice(QWidget):
    """One line when the shown collection's embedding model does not understand the
    language of its documents, and a button to get the model that would."""

    model_requested = Signal(str)  # the catalogue id of the suggested embedding model

    def __init__(self, translate: Translator, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.translate = translate
        self.mismatch: LanguageMismatch | None = None
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # collection and model names
        self.label.setWordWrap(True)
        self.button = QPushButton()
        self.button.clicked.connect(self._clicked)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.label)
        column.addWidget(self.button, 0, Qt.AlignmentFlag.AlignLeft)
        self.hide()

    @property
    def text(self) -> str:
        return self.label.text() if self.mismatch is not None else ""

    def show_mismatch(self, mismatch: LanguageMismatch | None) -> None:
        """Say the mismatch (None: hide the notice)."""
        self.mismatch = mismatch
        if mismatch is None:
            self.label.clear()
            self.hide()
            return
        languages = language_names(mismatch.missing, self.translate)
        collection = (self.tr("default") if mismatch.collection == DEFAULT_COLLECTION
                      else mismatch.collection)  # fmt: skip
        suggestion = mismatch.suggestion
        if suggestion is None:
            text = fill_in(self.tr(
                "The embedding model %1 does not understand %2, the language of documents in "
                "“%3”: search there relies on keywords. No multilingual model in the "
                "catalogue fits this computer's memory."
            ), mismatch.model, languages, collection)  # fmt: skip
        else:
            text = fill_in(self.tr(
                "The embedding model %1 does not understand %2, the language of documents in "
                "“%3”: search there relies on keywords. Better: %4 (%5)."
            ), mismatch.model, languages, collection, suggestion.entry.name,
                human_size(suggestion.size))  # fmt: skip
            self.button.setText(fill_in(self.tr("Get %1…"), suggestion.entry.name))
            self.button.setToolTip(self.tr("Open the model manager on this embedding model"))
        self.button.setVisible(suggestion is not None)
        self.label.setText(text)
        self.show()

    def _clicked(self) -> None:
        if self.mismatch is not None and self.mismatch.suggestion is not None:
            self.model_requested.emit(self.mismatch.suggestion.entry.id)
