"""The builder window, driven offscreen: drop, reorder, edit, undo, validate, save, open."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from studio.app.canvas import GAP, MIME_MOVE_LAYER, ROW_HEIGHT
from studio.app.palette import palette_mime
from studio.io import load_preset


def drop_y(index: int) -> float:
    """Scene height of the gap before layer `index` (the blocks start one row down)."""
    return index * (ROW_HEIGHT + GAP) + ROW_HEIGHT / 2 + 1


def test_opens_on_lenet5_with_every_named_widget(window):
    for name in ("layerPalette", "networkCanvas", "layerInspector", "trainButton",
                 "pauseButton", "stopButton", "trainingProgress"):
        assert window.findChild(object, name) is not None, name
    assert window.document.architecture["name"] == "LeNet-5"
    assert "61,706 parameters" in window.summary.text()
    assert window.train_button.isEnabled()


def test_palette_drop_inserts_at_the_drop_position(window):
    window.canvas.drop(palette_mime("dropout"), drop_y(7))
    assert [layer["type"] for layer in window.document.layers][6:9] == ["flatten", "dropout",
                                                                          "dense"]
    assert window.document.selected == 7


def test_double_click_appends(window, qtbot):
    item = window.palette.layer_items()["relu"]
    window.palette.itemDoubleClicked.emit(item, 0)
    assert window.document.layers[-1]["type"] == "relu"


def test_reorder_by_drag_then_undo_restores_identical_json(window):
    from PySide6.QtCore import QMimeData

    original = window.document.architecture
    mime = QMimeData()
    mime.setData(MIME_MOVE_LAYER, b"1")
    window.canvas.drop(mime, drop_y(3))  # relu moves after the max-pool
    assert [layer["type"] for layer in window.document.layers][:3] == ["conv2d", "maxpool2d",
                                                                        "relu"]
    window.undo_stack.undo()
    assert window.document.architecture == original
    window.undo_stack.redo()
    assert window.document.architecture != original


def test_delete_duplicate_copy_paste_with_keys(window, qtbot):
    window.document.select(0)
    window.activateWindow()
    window.canvas.setFocus()
    qtbot.waitUntil(window.canvas.hasFocus)
    qtbot.keyClick(window.canvas, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert [layer["type"] for layer in window.document.layers][:2] == ["conv2d", "conv2d"]
    qtbot.keyClick(window.canvas, Qt.Key.Key_Delete)
    assert len(window.document.layers) == 12
    window.copy_selected()
    window.paste()
    assert len(window.document.layers) == 13
    while window.undo_stack.canUndo():
        window.undo_stack.undo()
    assert window.document.architecture == load_preset("lenet5")


def test_delete_in_a_text_field_edits_the_text_not_the_network(window, qtbot):
    window.document.select(0)
    editor = window.inspector.editors["filters"]
    window.activateWindow()
    editor.setFocus()
    qtbot.waitUntil(editor.hasFocus)
    qtbot.keyClick(editor, Qt.Key.Key_Delete)
    assert len(window.document.layers) == 12


def test_invalid_network_disables_train_and_says_why(window):
    window.document.select(0)
    window.inspector.editors["padding"].setCurrentText("valid")
    window.inspector.editors["kernel"].setValue(31)
    assert not window.train_button.isEnabled()
    assert "kernel 31 is larger than its 28×28 input" in window.train_button.toolTip()
    assert window.problems.count() >= 1
    assert window.canvas.blocks[0].toolTip().startswith("layer 0 (conv2d)")
    window.undo_stack.undo()
    assert window.train_button.isEnabled()
    assert window.problems.count() == 0
    assert window.bottom_tabs.tabText(1) == "Problems (0)"


def test_inspector_shows_the_arithmetic_with_numbers(window):
    window.document.select(0)
    text = window.inspector.math.text()
    assert "W_o = ⌊(28 + 2·2 − 5)/1⌋ + 1 = 28" in text
    assert "parameters = (5·5·1 + 1)·6 = 156" in text
    window.inspector.editors["padding"].setCurrentText("valid")
    assert "W_o = ⌊(28 + 2·0 − 5)/1⌋ + 1 = 24" in window.inspector.math.text()
    assert window.undo_stack.undoText() == "Change conv2d padding"


def test_mlp_becomes_a_cnn_with_the_mouse_alone(window):
    window.load_preset("mlp")
    window.canvas.drop(palette_mime("conv2d"), drop_y(0))
    window.canvas.drop(palette_mime("relu"), drop_y(1))
    window.canvas.drop(palette_mime("maxpool2d"), drop_y(2))
    analysis = window.document.analysis
    assert analysis.ok
    assert [info.output_shape for info in analysis.layers[:4]] == [
        (8, 28, 28), (8, 28, 28), (8, 14, 14), (8 * 14 * 14,)]
    assert analysis.layers[4].parameters == (8 * 14 * 14 + 1) * 128


def test_walk_through_mlp_to_cnn_undo_save_reopen(window, tmp_path):
    window.load_preset("mlp")
    for index, layer_type in enumerate(["conv2d", "relu", "maxpool2d"]):
        window.canvas.drop(palette_mime(layer_type), drop_y(index))
    cnn = window.document.architecture
    window.undo_stack.undo()
    assert [layer["type"] for layer in window.document.layers][:2] == ["conv2d", "relu"]
    window.undo_stack.redo()
    assert window.document.architecture == cnn
    path = tmp_path / "cnn.cnnproj"
    assert window.save_to(path)
    window.load_preset("lenet5")
    assert window.open_file(path)
    assert window.document.architecture == cnn
    assert window.document.analysis.ok and window.train_button.isEnabled()


def test_save_then_open_round_trip_and_title_star(window, tmp_path):
    window.document.select(0)
    window.inspector.editors["filters"].setValue(12)
    assert window.windowTitle().endswith("*")
    path = tmp_path / "net.json"
    assert window.save_to(path)
    assert not window.windowTitle().endswith("*")
    saved = json.loads(path.read_text())
    assert saved["layers"][0]["filters"] == 12
    window.load_preset("tiny")
    assert window.open_file(path)
    assert window.document.architecture == saved
    assert str(path) in window.recent_files()


def test_broken_json_gives_a_dialog_and_keeps_the_network(window, tmp_path):
    before = window.document.architecture
    path = tmp_path / "broken.json"
    path.write_text("{ not json")
    assert not window.open_file(path)
    assert window.errors and "not valid JSON" in window.errors[0]
    assert window.document.architecture == before


def test_train_pause_and_stop_on_a_background_thread(window, qtbot):
    from studio.engine import TrainConfig

    window.load_preset("tiny")
    window.start_training(TrainConfig(epochs=20, snapshot_interval=0))
    assert window.training.running
    assert not window.palette.isEnabled()
    qtbot.waitUntil(lambda: window.progress.value() > 0, timeout=20000)
    window.toggle_pause()
    assert window.training.worker.trainer.paused
    window.toggle_pause()
    window.stop_training()
    qtbot.waitUntil(lambda: not window.training.running, timeout=2000)
    assert window.train_button.isEnabled() and window.palette.isEnabled()


def test_a_dataset_that_cannot_load_ends_in_a_dialog_and_the_app_keeps_working(window, qtbot,
                                                                                 tmp_path):
    window.training_panel.set_settings({"dataset": "folder",
                                        "folder": str(tmp_path / "no-such-folder")})
    window.start_training()
    qtbot.waitUntil(lambda: not window.training.running, timeout=5000)
    assert window.errors and "no such folder" in window.errors[-1]
    assert window.train_button.isEnabled() and window.palette.isEnabled()


def test_new_network_starts_empty_and_says_what_is_missing(window):
    window.new_network()
    assert window.document.layers == []
    assert not window.train_button.isEnabled()
    assert "the network has no layers" in window.train_button.toolTip()


def test_project_keeps_training_settings_through_save_and_open(window, tmp_path):
    window.training_panel.epochs.setValue(7)
    window.training_panel.optimizer.setCurrentText("adam")
    assert window.windowTitle().endswith("*")
    path = tmp_path / "p.cnnproj"
    assert window.save_to(path)
    assert not window.windowTitle().endswith("*")
    window.new_network()
    assert window.training_panel.settings["epochs"] == 5
    assert window.open_file(path)
    settings = window.training_panel.settings
    assert (settings["epochs"], settings["optimizer"], settings["lr"]) == (7, "adam", 0.002)
    assert window.training_panel.epochs.value() == 7
    assert window.document.architecture == load_preset("lenet5")


def test_costs_table_lists_every_layer_and_the_total(window):
    table = window.table
    assert table.rowCount() == 13
    assert table.item(0, 1).text() == "conv 6@5×5 same"
    assert table.item(0, 3).text() == "156"
    assert table.item(12, 1).text() == "total" and table.item(12, 3).text() == "61,706"
    window.training_panel.batch_size.setValue(128)
    assert "per batch of 128" in window.summary.text()


def test_file_given_on_the_command_line_opens(window, qtbot, tmp_path):
    from studio.app import create_main_window
    from studio.io import write_architecture

    path = tmp_path / "tiny.json"
    write_architecture(path, load_preset("tiny"))
    win = create_main_window([str(path), "--data", str(tmp_path)])
    qtbot.addWidget(win)
    assert win.document.architecture == load_preset("tiny")
    assert "tiny.json" in win.windowTitle()
    assert win.training_panel.settings["folder"] == str(tmp_path)


def test_the_default_dataset_is_cached_mnist_or_else_synthetic(window, qtbot, monkeypatch):
    from studio.app import create_main_window
    from studio.data import catalogue

    for cached, expected in ((False, "synthetic"), (True, "mnist")):
        monkeypatch.setattr(catalogue, "is_cached", lambda source, c=cached: c)
        win = create_main_window([])
        qtbot.addWidget(win)
        assert win.training_panel.settings["dataset"] == expected
        win.undo_stack.setClean()
