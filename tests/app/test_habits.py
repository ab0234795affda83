"""What a desktop program remembers and explains: the export folder, the watch speed, Help."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from studio import __version__
from studio.app import create_main_window


def test_the_export_dialog_starts_in_the_folder_of_the_last_export(window, tmp_path,
                                                                   monkeypatch):
    offered = []

    def ask(_parent, _title, start, _filters):
        offered.append(start)
        return str(tmp_path / "exports" / "net.json"), ""

    (tmp_path / "exports").mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", ask)
    monkeypatch.setattr(window, "export_done", lambda *_: None)
    monkeypatch.chdir(tmp_path)  # as `make run` leaves it: in the source checkout
    window.export_dialog()
    window.export_dialog()
    assert (tmp_path / "exports" / "net.json").is_file()
    first = Path(offered[0]).parent
    assert first != tmp_path and first in (Path.home(), Path(QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.DocumentsLocation)))
    assert offered[1] == str(tmp_path / "exports" / "model.onnx")


def test_save_as_starts_in_documents_then_where_the_last_project_went(window, tmp_path,
                                                                        monkeypatch):
    offered = []
    target = tmp_path / "projects" / "mine.cnnproj"
    target.parent.mkdir()

    def ask(_parent, _title, start, _filters):
        offered.append(Path(start).parent)
        return str(target), ""

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", ask)
    assert window.save_as() and target.exists()
    assert window.save_as()
    assert offered[0] != tmp_path and offered[1] == target.parent


def test_the_watch_speed_is_remembered_for_the_next_session(window, qtbot):
    slider = window.pace.slider
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_Home)  # the slowest: one step a second
    assert window.pace.speed == 1 and window.training.pace == 1
    later = create_main_window([])
    qtbot.addWidget(later)
    try:
        assert later.pace.speed == 1 and "1 step/s" in later.pace.label.text()
        assert later.training.pace == 1  # the runs of the new session go at that speed too
    finally:
        later.training.shutdown()


def open_help(window, qtbot, entry: str, name: str) -> QMessageBox:
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    next(a for a in menu.actions() if a.text().replace("&", "") == entry).trigger()
    box = next(w for w in QApplication.topLevelWidgets()
               if isinstance(w, QMessageBox) and w.objectName() == name)
    qtbot.waitUntil(box.isVisible, timeout=2000)
    text = box.text()
    box.close()
    return text


def test_help_says_how_to_start_every_shortcut_and_the_version(window, qtbot):
    shortcuts = open_help(window, qtbot, "Keyboard shortcuts", "keyboardShortcuts")
    for entry, keys in (("Continue the last run", "Ctrl+F5"), ("Step one batch", "F7"),
                        ("Export", "Ctrl+E"), ("Fit network", "Ctrl+0")):
        assert entry in shortcuts and keys in shortcuts, entry
    started = open_help(window, qtbot, "Getting started", "gettingStarted")
    assert "drag" in started and "Train" in started and "Continue" in started
    about = open_help(window, qtbot, "About CNN Studio", "aboutCnnStudio")
    assert __version__ in about
