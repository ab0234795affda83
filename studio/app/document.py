"""The document: the architecture being edited and the selected layer, free of Qt.

Every layer carries an identity (a number that never changes and never returns
to the architecture JSON), and the selection is that identity, not a position:
inserting, deleting or moving other layers never moves the selection to
another layer. The canvas, inspector and summary observe `changed` and
`selection_changed`; undo commands are the only writers (see `commands.py`).
Shape inference comes from the engine, never from here.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

from psygnal import Signal

from studio.engine import FORMAT, VERSION, Analysis, analyse

NUM_CLASSES = 10


def empty_architecture(name: str = "Untitled") -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "name": name,
            "input": {"channels": 1, "height": 28, "width": 28}, "layers": []}


class NetworkDocument:
    #: The layers (and so the analysis) changed; the selection is already consistent.
    changed = Signal()
    #: The selected layer or its position changed: its index, or None.
    selection_changed = Signal(object)

    def __init__(self, architecture: dict[str, Any] | None = None):
        self._architecture = copy.deepcopy(architecture or empty_architecture())
        self._new_ids = itertools.count()
        self._ids = [next(self._new_ids) for _ in self.layers]
        self.num_classes = NUM_CLASSES  # of the dataset it will train on
        self._analysis = analyse(self._architecture, self.num_classes)
        self._selected_id: int | None = None
        self._announced: tuple[int | None, int | None] = (None, None)  # (id, index) last told

    # reading --------------------------------------------------------------------
    @property
    def architecture(self) -> dict[str, Any]:
        """A deep copy: callers can never change the document behind its back."""
        return copy.deepcopy(self._architecture)

    @property
    def layers(self) -> list[dict[str, Any]]:
        return self._architecture["layers"]

    @property
    def layer_ids(self) -> tuple[int, ...]:
        """Each layer's identity, in canvas order."""
        return tuple(self._ids)

    @property
    def analysis(self) -> Analysis:
        return self._analysis

    @property
    def selected(self) -> int | None:
        """The selected layer's index, or None."""
        return None if self._selected_id is None else self._ids.index(self._selected_id)

    @property
    def selected_id(self) -> int | None:
        return self._selected_id

    def layer(self, index: int) -> dict[str, Any]:
        return copy.deepcopy(self.layers[index])

    def insertion_index(self) -> int:
        """Where an added layer goes: after the selected layer, or at the end."""
        index = self.selected
        return len(self.layers) if index is None else index + 1

    # writing (for undo commands) ----------------------------------------------------
    def insert_layer(self, index: int, layer: dict[str, Any], layer_id: int | None = None
                     ) -> int:
        """Insert and select `layer`; give `layer_id` to bring back a removed layer."""
        layer_id = next(self._new_ids) if layer_id is None else layer_id
        self.layers.insert(index, copy.deepcopy(layer))
        self._ids.insert(index, layer_id)
        self._selected_id = layer_id
        self._refresh()
        return layer_id

    def remove_layer(self, index: int) -> tuple[dict[str, Any], int]:
        """Remove a layer and select the one that takes its place (or the one before it);
        returns the layer and its identity, for undo."""
        removed, removed_id = self.layers.pop(index), self._ids.pop(index)
        self._selected_id = self._ids[min(index, len(self._ids) - 1)] if self._ids else None
        self._refresh()
        return removed, removed_id

    def move_layer(self, source: int, target: int) -> None:
        """Move a layer to position `target` (counted without it) and select it."""
        self.layers.insert(target, self.layers.pop(source))
        self._ids.insert(target, self._ids.pop(source))
        self._selected_id = self._ids[target]
        self._refresh()

    def replace_layer(self, index: int, layer: dict[str, Any]) -> None:
        """Change a layer's settings (it keeps its identity) and select it."""
        self.layers[index] = copy.deepcopy(layer)
        self._selected_id = self._ids[index]
        self._refresh()

    def set_architecture(self, architecture: dict[str, Any],
                         layer_ids: tuple[int, ...] | None = None) -> tuple[int, ...]:
        """Replace everything, with nothing selected; `layer_ids` restores earlier
        identities (for undo). Returns the identities now in use."""
        self._architecture = copy.deepcopy(architecture)
        self._ids = (list(layer_ids) if layer_ids is not None
                     else [next(self._new_ids) for _ in self.layers])
        self._selected_id = None
        self._refresh()
        return self.layer_ids

    def select(self, index: int | None) -> None:
        """Select the layer at `index`; None (or an index out of range) clears it."""
        in_range = index is not None and 0 <= index < len(self._ids)
        self.select_id(self._ids[index] if in_range else None)

    def select_id(self, layer_id: int | None) -> None:
        """Select a layer by identity; an identity no longer present clears it."""
        self._selected_id = layer_id if layer_id in self._ids else None
        self._announce_selection()

    def select_next(self, step: int) -> None:
        """Move the selection `step` layers down (up when negative), stopping at the ends;
        with nothing selected, Down starts at the first layer and Up at the last."""
        if not self._ids:
            return
        index = self.selected
        if index is None:
            self.select(0 if step > 0 else len(self._ids) - 1)
        else:
            self.select(max(0, min(len(self._ids) - 1, index + step)))

    def set_num_classes(self, count: int) -> None:
        """The chosen dataset's class count, which the last layer's outputs must match."""
        if count != self.num_classes:
            self.num_classes = count
            self._refresh()

    def _refresh(self) -> None:
        self._analysis = analyse(self._architecture, self.num_classes)
        self.changed.emit()
        self._announce_selection()

    def _announce_selection(self) -> None:
        """Tell listeners when the selected layer or its index is not what they last heard."""
        index = self.selected
        if (self._selected_id, index) != self._announced:
            self._announced = (self._selected_id, index)
            self.selection_changed.emit(index)
