"""A label for text that changes while training runs, at a fixed size that only grows.

Every QLabel.setText asks the layouts above it to recompute, and when that
request reaches a QTabWidget, the tab widget repaints itself and everything
in it — the whole window, twice a second, for a number in a corner (most of
the GUI thread's time while training, and so time taken from training). Qt
does not pass the request on from a widget of fixed size; this label keeps
a fixed size and grows it only when a text needs more room.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel


class SteadyLabel(QLabel):
    def __init__(self, text: str = "", parent=None):
        super().__init__(text, parent)
        self._fit()

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()

    def _fit(self) -> None:
        hint = self.sizeHint()
        if hint.width() > self.minimumWidth() or hint.height() != self.minimumHeight():
            self.setFixedSize(max(hint.width(), self.minimumWidth()), hint.height())
