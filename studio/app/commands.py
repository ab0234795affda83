"""One QUndoCommand per kind of edit; each changes only the document."""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtGui import QUndoCommand

from .document import NetworkDocument


def _label(layer: dict[str, Any]) -> str:
    return layer.get("type", "layer")


class InsertLayer(QUndoCommand):
    def __init__(self, document: NetworkDocument, index: int, layer: dict[str, Any],
                 text: str = "Insert"):
        super().__init__(f"{text} {_label(layer)}")
        self.document, self.index, self.layer = document, index, copy.deepcopy(layer)

    def redo(self) -> None:
        self.document.insert_layer(self.index, self.layer)

    def undo(self) -> None:
        self.document.remove_layer(self.index)


class RemoveLayer(QUndoCommand):
    def __init__(self, document: NetworkDocument, index: int):
        self.document, self.index = document, index
        self.layer = document.layer(index)
        super().__init__(f"Delete {_label(self.layer)}")

    def redo(self) -> None:
        self.document.remove_layer(self.index)

    def undo(self) -> None:
        self.document.insert_layer(self.index, self.layer)


class MoveLayer(QUndoCommand):
    def __init__(self, document: NetworkDocument, source: int, target: int):
        super().__init__(f"Move {_label(document.layer(source))}")
        self.document, self.source, self.target = document, source, target

    def redo(self) -> None:
        self.document.move_layer(self.source, self.target)

    def undo(self) -> None:
        self.document.move_layer(self.target, self.source)


class EditLayer(QUndoCommand):
    """Change one layer's settings; consecutive edits of one setting merge into one step."""

    ID = 1001

    def __init__(self, document: NetworkDocument, index: int, layer: dict[str, Any], key: str):
        self.document, self.index, self.key = document, index, key
        self.before, self.after = document.layer(index), copy.deepcopy(layer)
        super().__init__(f"Change {_label(layer)} {key}")

    def id(self) -> int:
        return self.ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, EditLayer) or (other.index, other.key) != (self.index, self.key):
            return False
        self.after = other.after
        return True

    def redo(self) -> None:
        self.document.replace_layer(self.index, self.after)

    def undo(self) -> None:
        self.document.replace_layer(self.index, self.before)


class ReplaceArchitecture(QUndoCommand):
    def __init__(self, document: NetworkDocument, architecture: dict[str, Any], text: str):
        super().__init__(text)
        self.document = document
        self.before, self.after = document.architecture, copy.deepcopy(architecture)

    def redo(self) -> None:
        self.document.set_architecture(self.after)

    def undo(self) -> None:
        self.document.set_architecture(self.before)
