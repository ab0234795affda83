from __future__ import annotations

import gc

import numba
import pytest

from studio.app import create_main_window


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # autosave goes here
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    from studio.app.main_window import MainWindow

    # no modal dialog may ever wait for a person in a test
    monkeypatch.setattr(MainWindow, "confirm_discard", lambda self: True)
    monkeypatch.setattr(MainWindow, "offer_recovery", lambda self: False)
    win = create_main_window([])
    errors: list[str] = []
    monkeypatch.setattr(win, "show_error", errors.append)
    win.errors = errors
    qtbot.addWidget(win)
    win.show()
    yield win
    win.training.shutdown()
    gc.collect()  # windows of earlier tests die here, on the GUI thread
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)  # the window made this thread serial
