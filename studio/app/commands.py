"""One QUndoCommand per kind of edit; each changes only the document.

Undo puts back the layers with their identities and the selection as it was just
before the edit, so undo and redo never leave the selection on another layer.
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtGui import QUndoCommand

from .document import NetworkDocument


def _label(layer: dict[str, Any]) -> str:
    return layer.get("type", "layer")


class DocumentCommand(QUndoCommand):
    """An edit of `document` (`apply`), its reversal (`revert`), and the selection before it."""

    def __init__(self, document: NetworkDocument, text: str):
        super().__init__(text)
        self.document = document
        self.selected_before: int | None = None

    def redo(self) -> None:
        self.selected_before = self.document.selected_id
        self.apply()

    def undo(self) -> None:
        self.revert()
        self.document.select_id(self.selected_before)

    def apply(self) -> None:
        raise NotImplementedError

    def revert(self) -> None:
        raise NotImplementedError


class InsertLayer(DocumentCommand):
    def __init__(self, document: NetworkDocument, index: int, layer: dict[str, Any],
                 text: str = "Insert"):
        super().__init__(document, f"{text} {_label(layer)}")
        self.index, self.layer = index, copy.deepcopy(layer)
        self.layer_id: int | None = None  # given on the first redo, kept for every later one

    def apply(self) -> None:
        self.layer_id = self.document.insert_layer(self.index, self.layer, self.layer_id)

    def revert(self) -> None:
        self.document.remove_layer(self.index)


class RemoveLayer(DocumentCommand):
    def __init__(self, document: NetworkDocument, index: int):
        self.index = index
        self.layer, self.layer_id = document.layer(index), document.layer_ids[index]
        super().__init__(document, f"Delete {_label(self.layer)}")

    def apply(self) -> None:
        self.document.remove_layer(self.index)

    def revert(self) -> None:
        self.document.insert_layer(self.index, self.layer, self.layer_id)


class MoveLayer(DocumentCommand):
    def __init__(self, document: NetworkDocument, source: int, target: int):
        super().__init__(document, f"Move {_label(document.layer(source))}")
        self.source, self.target = source, target

    def apply(self) -> None:
        self.document.move_layer(self.source, self.target)

    def revert(self) -> None:
        self.document.move_layer(self.target, self.source)


class EditLayer(DocumentCommand):
    """Change one layer's settings; consecutive edits of one setting merge into one step."""

    ID = 1001

    def __init__(self, document: NetworkDocument, index: int, layer: dict[str, Any], key: str):
        super().__init__(document, f"Change {_label(layer)} {key}")
        self.index, self.key = index, key
        self.before, self.after = document.layer(index), copy.deepcopy(layer)

    def id(self) -> int:
        return self.ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, EditLayer) or (other.index, other.key) != (self.index, self.key):
            return False
        self.after = other.after
        return True

    def apply(self) -> None:
        self.document.replace_layer(self.index, self.after)

    def revert(self) -> None:
        self.document.replace_layer(self.index, self.before)


class ReplaceArchitecture(DocumentCommand):
    def __init__(self, document: NetworkDocument, architecture: dict[str, Any], text: str):
        super().__init__(document, text)
        self.before, self.after = document.architecture, copy.deepcopy(architecture)
        self.ids_before = document.layer_ids
        self.ids_after: tuple[int, ...] | None = None  # given on the first redo

    def apply(self) -> None:
        self.ids_after = self.document.set_architecture(self.after, self.ids_after)

    def revert(self) -> None:
        self.document.set_architecture(self.before, self.ids_before)
