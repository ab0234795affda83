"""Random edit sequences on the real window: no sequence of drops, moves, deletes,
pastes, undo / redo, selection changes and edits leaves it inconsistent.

The machine drives the window with the input a person gives it (drag events at random
points, mouse clicks, keys, the inspector's own editors) and checks after every step
that no exception reached `sys.excepthook`, that the inspector shows the selected
layer's type and values, that the costs table, summary, problems list and canvas show
`analyse()` of the document, and that undo / redo give back the layers, their
identities and the selection exactly.
"""

from __future__ import annotations

import sys
from typing import ClassVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox

from studio.app.canvas import BLOCK_WIDTH
from studio.app.palette import GROUPS, palette_mime
from studio.app.summary_table import cost_rows, count_text
from studio.engine import LAYER_KEYS, analyse

from .canvas_input import (
    click_block,
    double_click_palette,
    expected_landing,
    hover,
    move_mime,
    release,
)

PALETTE_TYPES = [t for types in GROUPS.values() for t in types]
CTRL = Qt.KeyboardModifier.ControlModifier
PADDINGS = ["valid", "same", "0", "1", "2"]


def shown_value(editor):
    if isinstance(editor, QComboBox):
        return editor.currentText()
    return editor.value()


def expected_shown(editor, value):
    """What an editor must show for a stored value (numbers rounded as it rounds them)."""
    if isinstance(editor, QComboBox):
        return str(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return editor.minimum()
    if isinstance(editor, QDoubleSpinBox):
        return round(float(value), editor.decimals())
    return int(value)


class BuilderMachine(RuleBasedStateMachine):
    window = None  # the real window, given by the test
    errors: ClassVar[list] = []  # what reached sys.excepthook

    def __init__(self):
        super().__init__()
        window = self.window
        window.new_network()
        window.load_preset("tiny")
        window.undo_stack.clear()
        window.clipboard = None  # each example starts from the same window
        self.errors.clear()  # so that one failure is not blamed on every later example
        self.document, self.canvas = window.document, window.canvas
        self.commands: dict[int, list] = {}  # undo-stack index → [state before, state after]

    # helpers --------------------------------------------------------------------------
    def state(self) -> tuple:
        document = self.document
        return document.architecture["layers"], document.layer_ids, document.selected_id

    def record(self, before: tuple, index_before: int) -> None:
        """Note what the command just pushed (or merged into the top one) did."""
        index = self.window.undo_stack.index()
        if index == index_before + 1:
            self.commands = {i: c for i, c in self.commands.items() if i < index}
            self.commands[index] = [before, self.state()]
        elif index == index_before and index in self.commands and self.state()[0] != before[0]:
            self.commands[index][1] = self.state()  # an edit merged into the one before
        else:
            assert self.state()[:2] == before[:2], "the layers changed without an undo step"

    def viewport_point(self, fraction: float, scroll: float) -> QPoint:
        bar = self.canvas.verticalScrollBar()
        bar.setValue(round(scroll * bar.maximum()))
        viewport = self.canvas.viewport()
        return QPoint(viewport.width() // 2, min(viewport.height() - 1,
                                                 int(fraction * viewport.height())))

    def key(self, key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
        self.canvas.setFocus()
        QTest.keyClick(self.canvas, key, modifiers)

    # rules ---------------------------------------------------------------------------
    @rule(layer_type=st.sampled_from(PALETTE_TYPES), fraction=st.floats(0, 1),
          scroll=st.floats(0, 1))
    def drop_from_the_palette(self, layer_type, fraction, scroll):
        point = self.viewport_point(fraction, scroll)
        before, index_before = self.state(), self.window.undo_stack.index()
        hover(self.canvas, palette_mime(layer_type), point)  # may scroll, near an edge
        landing = expected_landing(self.canvas, point)
        assert self.canvas.drop_index == landing
        release(self.canvas, palette_mime(layer_type), point)
        self.record(before, index_before)
        assert self.document.layers[landing]["type"] == layer_type
        assert self.document.selected == landing
        assert self.document.selected_id not in before[1]

    @precondition(lambda self: self.document.layers)
    @rule(data=st.data(), fraction=st.floats(0, 1), scroll=st.floats(0, 1))
    def move_a_block(self, data, fraction, scroll):
        source = data.draw(st.integers(0, len(self.document.layers) - 1), label="source")
        point = self.viewport_point(fraction, scroll)
        before, index_before = self.state(), self.window.undo_stack.index()
        hover(self.canvas, move_mime(source), point)
        landing = expected_landing(self.canvas, point)
        assert self.canvas.drop_index == landing
        release(self.canvas, move_mime(source), point)
        self.record(before, index_before)
        ids = list(before[1])
        moved = ids.pop(source)
        target = landing if landing <= source else landing - 1
        ids.insert(target, moved)
        assert self.document.layer_ids == tuple(ids)
        if target != source:
            assert self.document.selected_id == moved

    @precondition(lambda self: self.document.layers)
    @rule(data=st.data())
    def click_a_block(self, data):
        index = data.draw(st.integers(0, len(self.document.layers) - 1), label="block")
        click_block(self.canvas, index)
        assert self.document.selected == index

    @rule()
    def click_empty_space(self):
        self.canvas.ensureVisible(0, 0, 1, 1)
        QTest.mouseClick(self.canvas.viewport(), Qt.MouseButton.LeftButton,
                         Qt.KeyboardModifier.NoModifier,
                         self.canvas.mapFromScene(QPointF(BLOCK_WIDTH + 15, 10)))
        assert self.document.selected is None

    @rule(key=st.sampled_from([Qt.Key.Key_Up, Qt.Key.Key_Down]))
    def walk_with_the_arrow_keys(self, key):
        ids, selected = self.document.layer_ids, self.document.selected
        self.key(key)
        step = 1 if key == Qt.Key.Key_Down else -1
        if ids:
            start = (-1 if step > 0 else len(ids)) if selected is None else selected
            assert self.document.selected == max(0, min(len(ids) - 1, start + step))

    @rule(layer_type=st.sampled_from(PALETTE_TYPES))
    def double_click_the_palette(self, layer_type):
        at = self.document.insertion_index()
        before, index_before = self.state(), self.window.undo_stack.index()
        double_click_palette(self.window, layer_type)
        self.record(before, index_before)
        assert self.document.layers[at]["type"] == layer_type and self.document.selected == at

    @rule(shortcut=st.sampled_from([(Qt.Key.Key_Delete, Qt.KeyboardModifier.NoModifier),
                                    (Qt.Key.Key_D, CTRL), (Qt.Key.Key_C, CTRL),
                                    (Qt.Key.Key_V, CTRL)]))
    def edit_with_keys(self, shortcut):
        before, index_before = self.state(), self.window.undo_stack.index()
        self.key(*shortcut)
        self.record(before, index_before)

    @rule()
    def undo(self):
        index = self.window.undo_stack.index()
        self.key(Qt.Key.Key_Z, CTRL)
        if index in self.commands:
            assert self.window.undo_stack.index() == index - 1
            assert self.state() == self.commands[index][0]

    @rule()
    def redo(self):
        index = self.window.undo_stack.index() + 1
        selected = self.document.selected_id
        self.key(Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)
        if index in self.commands:
            before, after = self.commands[index]
            self.commands[index][0] = (*before[:2], selected)  # undo returns to this selection
            assert self.window.undo_stack.index() == index
            assert self.state() == after

    @precondition(lambda self: self.document.selected is not None)
    @rule(data=st.data())
    def edit_a_field(self, data):
        editors = self.window.inspector.editors
        if not editors:
            return
        key = data.draw(st.sampled_from(sorted(editors)), label="key")
        editor = editors[key]
        if isinstance(editor, QComboBox):
            shown = data.draw(st.sampled_from(PADDINGS), label="padding")
            value = int(shown) if shown.isdigit() else shown
        elif isinstance(editor, QDoubleSpinBox):
            value = shown = round(data.draw(st.floats(editor.minimum(), editor.maximum()),
                                            label="value"), editor.decimals())
        else:
            value = shown = data.draw(st.integers(editor.minimum(),
                                                  min(editor.maximum(), editor.minimum() + 40)),
                                      label="value")
        unchanged = shown_value(editor) == shown
        before, index_before = self.state(), self.window.undo_stack.index()
        if isinstance(editor, QComboBox):
            editor.setCurrentText(shown)
        else:
            editor.setValue(shown)
        self.record(before, index_before)
        if not unchanged:
            assert self.document.layers[self.document.selected][key] == value
        assert self.document.layer_ids == before[1] and self.document.selected_id == before[2]

    # invariants ---------------------------------------------------------------------
    @invariant()
    def nothing_reached_the_excepthook(self):
        assert not self.errors, self.errors[0]

    @invariant()
    def the_inspector_shows_the_selected_layer(self):
        inspector, index = self.window.inspector, self.document.selected
        if index is None:
            assert "No layer selected" in inspector.title.text() and not inspector.editors
            return
        layer = self.document.layers[index]
        assert inspector.title.text() == f"<b>Layer {index}: {layer['type']}</b>"
        assert set(inspector.editors) == set(LAYER_KEYS[layer["type"]])
        config = self.document.analysis.layers[index].config
        for key, editor in inspector.editors.items():
            assert shown_value(editor) == expected_shown(editor, config.get(key, layer.get(key)))

    @invariant()
    def the_costs_summary_problems_and_canvas_show_the_analysis(self):
        window = self.window
        fresh = analyse(self.document.architecture, self.document.num_classes)
        table = [tuple(window.table.item(r, c).text() for c in range(window.table.columnCount()))
                 for r in range(window.table.rowCount())]
        assert table == cost_rows(fresh, window.training_panel.settings["batch_size"])
        assert window.summary.text().startswith(
            f"{count_text(len(fresh.layers), 'layer')} · "
            f"{count_text(fresh.total_parameters, 'parameter')}")
        assert [window.problems.item(i).text() for i in range(window.problems.count())] == [
            f"⚠ {p}" for p in fresh.problems] + [f"ⓘ {w}" for w in fresh.warnings]
        assert window.train_button.isEnabled() == fresh.ok
        blocks = self.canvas.blocks
        assert [b.index for b in blocks] == list(range(len(fresh.layers)))
        assert [b.isSelected() for b in blocks] == [i == self.document.selected
                                                    for i in range(len(blocks))]


def test_no_sequence_of_edits_leaves_the_window_inconsistent(window, monkeypatch):
    errors: list = []
    monkeypatch.setattr(sys, "excepthook", lambda *info: errors.append(info))
    window.activateWindow()
    BuilderMachine.window, BuilderMachine.errors = window, errors
    try:
        run_state_machine_as_test(BuilderMachine, settings=settings(
            max_examples=12, stateful_step_count=25, deadline=None, derandomize=True,
            suppress_health_check=list(HealthCheck), database=None))
    finally:
        BuilderMachine.window = None
    assert not window.errors
