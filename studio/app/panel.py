"""A live panel: a caption that says what the person is looking at, above the view."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class Panel(QWidget):
    def __init__(self, object_name: str, caption: str, parent=None):
        super().__init__(parent)
        self.setObjectName(object_name)
        self.caption = QLabel(caption)
        self.caption.setWordWrap(True)
        self.caption.setObjectName("caption")
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(4, 4, 4, 4)
        self.body.addWidget(self.caption)
