"""Before unsaved work goes, the window offers Save, Discard and Cancel."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from studio.app.main_window import ask_save_discard_or_cancel

B = QMessageBox.StandardButton


@pytest.mark.parametrize(("button", "choice"), [(B.Save, "save"), (B.Discard, "discard"),
                                                (B.Cancel, "cancel"), (B.Escape, "cancel")])
def test_each_button_is_its_choice(qtbot, monkeypatch, button, choice):
    asked = []

    def question(parent, title, text, buttons, default):
        asked.append((buttons, default))
        return button

    monkeypatch.setattr(QMessageBox, "question", question)
    assert ask_save_discard_or_cancel(None) == choice
    assert asked == [(B.Save | B.Discard | B.Cancel, B.Save)]
