from __future__ import annotations

import numba
import pytest

from studio.app import create_main_window


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    win = create_main_window([])
    errors: list[str] = []
    monkeypatch.setattr(win, "show_error", errors.append)
    monkeypatch.setattr(win, "confirm_discard", lambda: True)
    win.errors = errors
    qtbot.addWidget(win)
    win.show()
    yield win
    win.training.shutdown()
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)  # the window made this thread serial
