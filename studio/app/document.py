"""The document: the architecture being edited and the selected layer, free of Qt.

The canvas, inspector and summary observe `changed` and `selection_changed`;
undo commands are the only writers (see `commands.py`). Shape inference comes
from the engine, never from here.
"""

from __future__ import annotations

import copy
from typing import Any

from psygnal import Signal

from studio.engine import FORMAT, VERSION, Analysis, analyse

NUM_CLASSES = 10


def empty_architecture(name: str = "Untitled") -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "name": name,
            "input": {"channels": 1, "height": 28, "width": 28}, "layers": []}


class NetworkDocument:
    changed = Signal()
    selection_changed = Signal(object)  # int | None

    def __init__(self, architecture: dict[str, Any] | None = None):
        self._architecture = copy.deepcopy(architecture or empty_architecture())
        self.num_classes = NUM_CLASSES  # of the dataset it will train on
        self._analysis = analyse(self._architecture, self.num_classes)
        self._selected: int | None = None

    # reading --------------------------------------------------------------------
    @property
    def architecture(self) -> dict[str, Any]:
        """A deep copy: callers can never change the document behind its back."""
        return copy.deepcopy(self._architecture)

    @property
    def layers(self) -> list[dict[str, Any]]:
        return self._architecture["layers"]

    @property
    def analysis(self) -> Analysis:
        return self._analysis

    @property
    def selected(self) -> int | None:
        return self._selected

    def layer(self, index: int) -> dict[str, Any]:
        return copy.deepcopy(self.layers[index])

    # writing (for undo commands) ----------------------------------------------------
    def insert_layer(self, index: int, layer: dict[str, Any]) -> None:
        self.layers.insert(index, copy.deepcopy(layer))
        self._refresh()
        self.select(index)

    def remove_layer(self, index: int) -> dict[str, Any]:
        removed = self.layers.pop(index)
        self._refresh()
        self.select(min(index, len(self.layers) - 1) if self.layers else None)
        return removed

    def move_layer(self, source: int, target: int) -> None:
        self.layers.insert(target, self.layers.pop(source))
        self._refresh()
        self.select(target)

    def replace_layer(self, index: int, layer: dict[str, Any]) -> None:
        self.layers[index] = copy.deepcopy(layer)
        self._refresh()

    def set_architecture(self, architecture: dict[str, Any]) -> None:
        self._architecture = copy.deepcopy(architecture)
        self._refresh()
        self.select(None)

    def select(self, index: int | None) -> None:
        if index is not None and not 0 <= index < len(self.layers):
            index = None
        if index != self._selected:
            self._selected = index
            self.selection_changed.emit(index)

    def set_num_classes(self, count: int) -> None:
        """The chosen dataset's class count, which the last layer's outputs must match."""
        if count != self.num_classes:
            self.num_classes = count
            self._refresh()

    def _refresh(self) -> None:
        self._analysis = analyse(self._architecture, self.num_classes)
        self.changed.emit()
