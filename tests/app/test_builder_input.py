"""The builder with real input (drag events, mouse clicks, keys) at three window sizes:
the drop line, the issue-17 sequence that used to corrupt the window, the keyboard,
double-click insert, and every palette layer edited field by field."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox

from studio.app.canvas import BLOCK_WIDTH, DROP_LINE, drop_line_y
from studio.app.palette import GROUPS, palette_mime
from studio.app.summary_table import cost_rows, count_text
from studio.engine import LAYER_KEYS, analyse

from .canvas_input import (
    block_point,
    click_block,
    double_click_palette,
    drag_and_drop,
    expected_landing,
    hover,
    leave,
    move_mime,
    release,
)

SIZES = [(1024, 700), (1280, 800), (1920, 1080)]
PALETTE_TYPES = [t for types in GROUPS.values() for t in types]


@pytest.fixture(params=SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def sized(window, qtbot, request):
    window.resize(*request.param)
    window.activateWindow()
    qtbot.waitUntil(lambda: window.canvas.viewport().height() > 100)
    return window


def types(window) -> list[str]:
    return [layer["type"] for layer in window.document.layers]


def drop_at_end(window, layer_type: str) -> None:
    canvas = window.canvas
    point = (block_point(canvas, len(canvas.blocks) - 1, 60) if canvas.blocks
             else canvas.mapFromScene(QPointF(BLOCK_WIDTH / 2, 70)))
    drag_and_drop(canvas, palette_mime(layer_type), point)


def build_from_nothing(window) -> None:
    window.new_network()
    for layer_type in ("conv2d", "relu", "maxpool2d", "flatten", "dense"):
        drop_at_end(window, layer_type)
    assert types(window) == ["conv2d", "relu", "maxpool2d", "flatten", "dense"]


def assert_window_shows_the_document(window) -> None:
    document = window.document
    fresh = analyse(document.architecture, document.num_classes)
    batch = window.training_panel.settings["batch_size"]
    table = [tuple(window.table.item(r, c).text() for c in range(window.table.columnCount()))
             for r in range(window.table.rowCount())]
    assert table == cost_rows(fresh, batch)
    assert window.summary.text().startswith(
        f"{count_text(len(fresh.layers), 'layer')} · "
        f"{count_text(fresh.total_parameters, 'parameter')}")
    assert window.problems.count() == len(fresh.problems) + len(fresh.warnings)
    index = document.selected
    title = window.inspector.title.text()
    if index is None:
        assert "No layer selected" in title
    else:
        assert title == f"<b>Layer {index}: {document.layers[index]['type']}</b>"
        assert set(window.inspector.editors) == set(LAYER_KEYS[document.layers[index]["type"]])


def line_is_drawn(canvas, index: int) -> bool:
    point = canvas.mapFromScene(QPointF(BLOCK_WIDTH / 2, drop_line_y(index)))
    colour = canvas.viewport().grab().toImage().pixelColor(point)
    return colour == DROP_LINE


@pytest.mark.parametrize("dy", [-6, 20, 40])  # the gap above a block, its upper and lower half
def test_the_drop_line_shows_where_the_layer_lands_and_it_lands_there(sized, dy):
    canvas = sized.canvas
    build_from_nothing(sized)
    for index in range(len(canvas.blocks)):
        point = block_point(canvas, index, dy)
        expected = expected_landing(canvas, point)
        assert expected == (index if dy < 27 else index + 1)  # upper half: before the block
        hover(canvas, palette_mime("dropout"), point)
        assert canvas.drop_index == expected
        assert line_is_drawn(canvas, expected)
        release(canvas, palette_mime("dropout"), point)
        assert canvas.drop_index is None and not line_is_drawn(canvas, expected)
        assert types(sized)[expected] == "dropout" and sized.document.selected == expected
        sized.undo_stack.undo()


def test_the_line_goes_away_when_the_drag_leaves(sized):
    canvas = sized.canvas
    point = block_point(canvas, 3, 10)
    hover(canvas, palette_mime("relu"), point)
    assert line_is_drawn(canvas, 3)
    leave(canvas)
    assert canvas.drop_index is None and not line_is_drawn(canvas, 3)


def test_a_drag_at_the_bottom_edge_scrolls_to_the_last_gap(sized):
    canvas = sized.canvas
    sized.load_preset("lenet5")
    for _ in range(4):  # a network longer than any of the three screens
        sized.document.insert_layer(6, {"type": "relu"})
    canvas.verticalScrollBar().setValue(0)
    bottom = QPoint(canvas.viewport().width() // 2, canvas.viewport().height() - 5)
    for _ in range(100):
        hover(canvas, palette_mime("dropout"), bottom)
    assert canvas.verticalScrollBar().value() == canvas.verticalScrollBar().maximum() > 0
    assert canvas.drop_index == len(sized.document.layers) == expected_landing(canvas, bottom)
    release(canvas, palette_mime("dropout"), bottom)
    assert types(sized)[-1] == "dropout"


def test_the_train_and_watch_canvas_takes_no_drops(window):
    canvas = window.watch.canvas
    window.pages.setCurrentWidget(window.watch)
    before = window.document.architecture
    assert not canvas.acceptDrops()
    point = canvas.mapFromScene(QPointF(BLOCK_WIDTH / 2, drop_line_y(2) + 20))
    hover(canvas, palette_mime("relu"), point)
    assert canvas.drop_index is None
    release(canvas, palette_mime("relu"), point)
    assert window.document.architecture == before


def test_moving_a_block_lands_where_the_line_was(sized):
    canvas = sized.canvas
    relu = sized.document.layer_ids[1]
    point = block_point(canvas, 3, 40)  # the lower half of the second conv: after it
    hover(canvas, move_mime(1), point)
    assert canvas.drop_index == 4
    release(canvas, move_mime(1), point)
    assert types(sized)[:4] == ["conv2d", "maxpool2d", "conv2d", "relu"]
    assert sized.document.selected_id == relu and sized.document.selected == 3


def test_the_issue_17_sequence_keeps_every_panel_true(sized, qtbot):
    canvas, document = sized.canvas, sized.document
    build_from_nothing(sized)
    drag_and_drop(canvas, palette_mime("dropout"), block_point(canvas, 1, 40))  # onto relu
    assert types(sized)[2] == "dropout" and document.selected == 2
    dropout = document.selected_id
    # 6 px above the relu: between conv and relu, where the line is drawn
    drag_and_drop(canvas, palette_mime("batchnorm2d"), block_point(canvas, 1, -6))
    assert types(sized) == ["conv2d", "batchnorm2d", "relu", "dropout", "maxpool2d", "flatten",
                            "dense"]
    assert document.selected == 1
    assert sized.inspector.title.text() == "<b>Layer 1: batchnorm2d</b>"
    assert_window_shows_the_document(sized)
    click_block(canvas, 3)
    assert document.selected_id == dropout
    assert sized.inspector.title.text() == "<b>Layer 3: dropout</b>"
    sized.inspector.editors["rate"].setValue(0.4)
    assert document.layers[3]["rate"] == 0.4 and document.layers[2] == {"type": "relu"}
    click_block(canvas, 1)
    sized.inspector.editors["momentum"].setValue(0.2)
    assert document.layers[1]["momentum"] == 0.2
    assert document.analysis.ok and sized.train_button.isEnabled()
    click_block(canvas, 3)
    qtbot.waitUntil(canvas.hasFocus)
    QTest.keyClick(canvas, Qt.Key.Key_Delete)
    assert types(sized)[3] == "maxpool2d" and document.selected == 3
    assert_window_shows_the_document(sized)
    QTest.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert document.selected_id == dropout and document.selected == 3
    assert_window_shows_the_document(sized)
    assert not sized.errors


def test_up_and_down_keys_walk_the_canvas_and_delete_removes(sized, qtbot):
    canvas, document = sized.canvas, sized.document
    click_block(canvas, 0)
    assert canvas.hasFocus() and document.selected == 0
    for key, expected in ((Qt.Key.Key_Down, 1), (Qt.Key.Key_Down, 2), (Qt.Key.Key_Up, 1),
                          (Qt.Key.Key_Up, 0), (Qt.Key.Key_Up, 0)):
        QTest.keyClick(canvas, key)
        assert document.selected == expected
        assert canvas.blocks[expected].isSelected()
        assert sized.inspector.title.text().startswith(f"<b>Layer {expected}:")
    for _ in range(20):
        QTest.keyClick(canvas, Qt.Key.Key_Down)
    assert document.selected == len(document.layers) - 1
    QTest.keyClick(canvas, Qt.Key.Key_Delete)
    assert len(document.layers) == 11 and document.selected == 10
    assert_window_shows_the_document(sized)


@pytest.mark.parametrize("key", ["kernel", "padding"])
def test_undo_and_redo_keys_reach_the_document_while_a_field_has_focus(window, qtbot, key):
    """The field's own text undo would disagree with Edit → Undo, which names the edit."""
    click_block(window.canvas, 0)
    editor = window.inspector.editors[key]
    target = editor.lineEdit() if isinstance(editor, QComboBox) else editor
    target.setFocus()
    qtbot.waitUntil(target.hasFocus)
    before = dict(window.document.layers[0])
    QTest.keyClick(target, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(target, "3" if key == "kernel" else "1")
    assert window.document.layers[0] != before
    stack = window.undo_stack
    edits, at = stack.count(), stack.index()
    QTest.keyClick(target, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.document.layers[0] == before
    # the document's Undo ran: not the field's own, which would push a new edit back
    assert stack.count() == edits and stack.index() == at - 1
    assert window.inspector.editors[key].hasFocus() or target.hasFocus()
    QTest.keyClick(target, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert window.document.layers[0] != before


def test_double_click_inserts_after_the_selected_layer_or_appends(sized):
    canvas, document = sized.canvas, sized.document
    click_block(canvas, 2)
    double_click_palette(sized, "dropout")
    assert types(sized)[2:5] == ["maxpool2d", "dropout", "conv2d"] and document.selected == 3
    double_click_palette(sized, "relu")  # after the new one: a sequence builds in order
    assert types(sized)[3:5] == ["dropout", "relu"] and document.selected == 4
    canvas.ensureVisible(0, 0, 1, 1)
    QTest.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier,
                     canvas.mapFromScene(QPointF(BLOCK_WIDTH + 15, 10)))  # empty space
    assert document.selected is None
    double_click_palette(sized, "tanh")
    assert types(sized)[-1] == "tanh" and document.selected == len(document.layers) - 1


def another_value(editor):
    """A different value the editor allows, entered as a person would."""
    if isinstance(editor, QComboBox):
        return "valid" if editor.currentText() != "valid" else "1"
    if isinstance(editor, QDoubleSpinBox):
        value = editor.value() + editor.singleStep()
        return value if value <= editor.maximum() else editor.value() - editor.singleStep()
    return editor.value() + 2 if editor.value() + 2 <= editor.maximum() else editor.value() - 2


@pytest.mark.parametrize("layer_type", PALETTE_TYPES)
def test_every_palette_layer_inserts_complete_and_every_field_edits(window, layer_type):
    document = window.document
    anchor = 6 if layer_type == "dense" else 0  # after the flatten, or after the first conv
    click_block(window.canvas, anchor)
    double_click_palette(window, layer_type)
    index = anchor + 1
    assert document.layers[index]["type"] == layer_type and document.selected == index
    assert set(document.layers[index]) - {"type"} == set(LAYER_KEYS[layer_type])
    assert not document.analysis.problems_for(index), document.analysis.problems_for(index)
    assert_window_shows_the_document(window)
    for key, editor in window.inspector.editors.items():
        value = another_value(editor)
        if isinstance(editor, QComboBox):
            editor.setCurrentText(value)
            value = int(value) if value.isdigit() else value
        else:
            editor.setValue(value)
        assert document.layers[index][key] == pytest.approx(value), key
        assert window.undo_stack.undoText() == f"Change {layer_type} {key}"
        schema_problems = [p for p in document.analysis.problems_for(index)
                           if "unknown key" in str(p) or "needs" in str(p)]
        assert not schema_problems
        assert_window_shows_the_document(window)
    assert not window.errors


@pytest.mark.parametrize("action", ["preset", "open"])
def test_presets_and_open_ask_before_discarding_unsaved_work(window, tmp_path, monkeypatch,
                                                              action):
    from studio.io import load_preset, write_architecture

    path = tmp_path / "tiny.json"
    write_architecture(path, load_preset("tiny"))
    window.document.select(0)
    window.inspector.editors["filters"].setValue(9)
    edited = window.document.architecture
    asked = []

    def refuse() -> bool:
        asked.append(action)
        return False

    monkeypatch.setattr(window, "confirm_discard", refuse)
    (window.load_preset("tiny") if action == "preset" else window.open_file(path))
    assert asked and window.document.architecture == edited
    monkeypatch.setattr(window, "confirm_discard", lambda: True)
    (window.load_preset("tiny") if action == "preset" else window.open_file(path))
    assert window.document.architecture == load_preset("tiny")


@pytest.fixture
def started_drags(monkeypatch):
    """The mime data of every drag the mouse starts; the system's drag loop is not run."""
    from PySide6.QtGui import QDrag

    drags = []

    def record(drag, *actions):
        drags.append(drag.mimeData())
        return Qt.DropAction.IgnoreAction

    monkeypatch.setattr(QDrag, "exec", record)
    return drags


def press_and_pull(widget, start, distance: int = 40) -> None:
    QTest.mousePress(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for step in range(1, 5):
        QTest.mouseMove(widget, start + QPoint(0, step * distance // 4))
    QTest.mouseRelease(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       start + QPoint(0, distance))


def test_pulling_a_palette_layer_starts_the_drag_the_canvas_takes(window, started_drags):
    palette = window.palette
    item = palette.layer_items()["batchnorm2d"]
    palette.scrollToItem(item)
    press_and_pull(palette.viewport(), palette.visualItemRect(item).center())
    assert len(started_drags) == 1
    drag_and_drop(window.canvas, started_drags[0], block_point(window.canvas, 1, -6))
    assert window.document.layers[1] == {"type": "batchnorm2d", "momentum": 0.1, "eps": 1e-5}


def test_pulling_a_block_starts_a_move_of_that_layer(window, started_drags):
    canvas = window.canvas
    relu = window.document.layer_ids[1]
    press_and_pull(canvas.viewport(), block_point(canvas, 1, 20))
    assert len(started_drags) == 1 and window.document.selected == 1
    drag_and_drop(canvas, started_drags[0], block_point(canvas, 3, 40))
    assert window.document.layer_ids[3] == relu and window.document.selected_id == relu
