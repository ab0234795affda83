from __future__ import annotations

from studio.app import create_main_window


def test_main_window_builds_without_an_event_loop(qtbot):
    window = create_main_window([])
    qtbot.addWidget(window)
    assert window.windowTitle().startswith("CNN Studio")
