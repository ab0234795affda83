"""Autosave every minute; after a crash the next start offers the work back."""

from __future__ import annotations

from studio.app import create_main_window
from studio.app.autosave import autosave_path


def test_unsaved_work_is_autosaved_and_offered_back_after_a_crash(window, qtbot, monkeypatch):
    window.load_preset("tiny")
    window.training_panel.epochs.setValue(9)
    window.session.autosaver.save_now()  # what the one-minute timer does
    assert autosave_path().is_file()
    from studio.app.main_window import MainWindow

    monkeypatch.setattr(MainWindow, "offer_recovery", lambda self: True)
    recovered = create_main_window([])  # as if the first window had crashed
    qtbot.addWidget(recovered)
    assert recovered.document.architecture["name"] == "Tiny CNN"
    assert recovered.training_panel.settings["epochs"] == 9
    assert recovered.windowTitle().endswith("*")


def test_nothing_unsaved_writes_nothing_and_a_clean_exit_removes_the_copy(window, qtbot):
    window.session.autosaver.save_now()
    assert not autosave_path().exists()
    window.load_preset("mlp")
    window.session.autosaver.save_now()
    assert autosave_path().exists()
    window.close()
    assert not autosave_path().exists()


def test_declined_recovery_opens_the_default_network(window, qtbot, monkeypatch):
    window.load_preset("mlp")
    window.session.autosaver.save_now()
    from studio.app.main_window import MainWindow

    monkeypatch.setattr(MainWindow, "offer_recovery", lambda self: False)
    fresh = create_main_window([])
    qtbot.addWidget(fresh)
    assert fresh.document.architecture["name"] == "LeNet-5"
