"""The document and its undo commands without a window: the selection is a layer's
identity, and undo / redo bring back layers, identities and selection exactly."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QUndoStack

from studio.app.commands import EditLayer, InsertLayer, MoveLayer, RemoveLayer, ReplaceArchitecture
from studio.app.document import NetworkDocument
from studio.io import load_preset


@pytest.fixture
def document() -> NetworkDocument:
    return NetworkDocument(load_preset("lenet5"))


def types(document: NetworkDocument) -> list[str]:
    return [layer["type"] for layer in document.layers]


def state(document: NetworkDocument) -> tuple:
    return document.architecture, document.layer_ids, document.selected_id


def test_the_selection_stays_on_its_layer_when_others_come_and_go(document, qapp):
    stack = QUndoStack()
    document.select(6)  # flatten
    flatten = document.selected_id
    stack.push(InsertLayer(document, 0, {"type": "relu"}))
    assert document.selected == 0  # the new layer is selected…
    stack.undo()
    assert (document.selected_id, document.selected) == (flatten, 6)  # …and undo gives it back
    document.select(2)
    stack.push(MoveLayer(document, 0, 4))
    assert types(document)[4] == "conv2d" and document.selected == 4
    stack.undo()
    assert document.selected == 2 and types(document)[0] == "conv2d"


def test_delete_selects_the_next_layer_and_undo_brings_back_the_same_layer(document, qapp):
    stack = QUndoStack()
    document.select(1)
    relu = document.selected_id
    before = state(document)
    stack.push(RemoveLayer(document, 1))
    assert types(document)[1] == "maxpool2d" and document.selected == 1
    assert relu not in document.layer_ids
    stack.undo()
    assert state(document) == before
    stack.redo()
    stack.push(RemoveLayer(document, len(document.layers) - 1))  # the last: select the one before
    assert document.selected == len(document.layers) - 1


def test_a_reverted_preset_keeps_the_identities_it_had(document, qapp):
    stack = QUndoStack()
    document.select(3)
    before = state(document)
    stack.push(ReplaceArchitecture(document, load_preset("tiny"), "Load preset tiny"))
    assert document.selected is None
    after = state(document)
    stack.undo()
    assert state(document) == before
    stack.redo()
    assert state(document) == after


def test_undoing_an_edit_selects_the_layer_it_changes(document, qapp):
    stack = QUndoStack()
    document.select(7)
    stack.push(EditLayer(document, 7, {"type": "dense", "units": 64}, "units"))
    document.select(0)
    stack.undo()
    assert document.layers[7]["units"] == 120 and document.selected == 7


@pytest.mark.parametrize(("start", "step", "expected"), [
    (None, 1, 0), (None, -1, 11), (0, -1, 0), (11, 1, 11), (4, 1, 5), (4, -1, 3)])
def test_up_and_down_walk_the_layers_and_stop_at_the_ends(document, start, step, expected):
    document.select(start)
    document.select_next(step)
    assert document.selected == expected


def test_listeners_hear_of_every_selection_change_after_the_layers_changed(document, qapp):
    heard = []
    document.changed.connect(lambda: heard.append(("changed", document.selected)))
    document.selection_changed.connect(lambda index: heard.append(("selected", index)))
    document.select(5)
    document.insert_layer(0, {"type": "relu"})
    document.select(6)  # the layer selected before, now one further down
    assert heard == [("selected", 5), ("changed", 0), ("selected", 0), ("selected", 6)]
