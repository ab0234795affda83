"""The layer palette: every engine layer type, grouped, draggable onto the canvas."""

from __future__ import annotations

import json

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QColor, QDrag, QIcon, QPixmap
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem

from studio.engine import LAYER_DESCRIPTIONS, LAYER_KEYS

from .colours import COLOURS

MIME_NEW_LAYER = "application/x-cnn-studio-layer"

GROUPS: dict[str, list[str]] = {
    "Convolution": ["conv2d"],
    "Pooling": ["maxpool2d", "avgpool2d"],
    "Activation": ["relu", "leaky_relu", "sigmoid", "tanh"],
    "Reshaping": ["flatten"],
    "Dense": ["dense"],
    "Regularisation": ["dropout", "batchnorm2d"],
}

#: What a freshly dropped layer starts with, where the engine has no default (or a
#: better one for a beginner's first try).
NEW_LAYER_SETTINGS: dict[str, dict] = {
    "conv2d": {"filters": 8, "kernel": 3, "stride": 1, "padding": "same"},
    "maxpool2d": {"size": 2, "stride": 2},
    "avgpool2d": {"size": 2, "stride": 2},
    "leaky_relu": {"slope": 0.01},
    "dense": {"units": 10},
    "dropout": {"rate": 0.25},
}


def new_layer(layer_type: str) -> dict:
    """A layer with every setting written out, so the inspector can edit each one."""
    engine_defaults = {key: value for key, value in LAYER_KEYS[layer_type].items()
                       if isinstance(value, (int, float, str))}  # not "required", not None
    return {"type": layer_type, **engine_defaults, **NEW_LAYER_SETTINGS.get(layer_type, {})}


def layer_icon(layer_type: str) -> QIcon:
    """A small swatch in the layer's canvas colour, so palette and canvas match."""
    pixmap = QPixmap(14, 14)
    pixmap.fill(QColor(COLOURS[layer_type]))
    return QIcon(pixmap)


class LayerPalette(QTreeWidget):
    """Drag a layer to insert it where it is dropped; double-click to add it after the
    selected layer."""

    add_requested = Signal(str)
    explained = Signal(str)  # the one-line explanation of the layer under the mouse

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("layerPalette")
        self.setHeaderHidden(True)
        self.setDragEnabled(True)
        self.setRootIsDecorated(False)
        self.setIndentation(8)
        for group, types in GROUPS.items():
            header = QTreeWidgetItem(self, [group])
            header.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = header.font(0)
            font.setBold(True)
            header.setFont(0, font)
            for layer_type in types:
                item = QTreeWidgetItem(header, [layer_type])
                item.setIcon(0, layer_icon(layer_type))
                item.setData(0, Qt.ItemDataRole.UserRole, layer_type)
                item.setToolTip(0, LAYER_DESCRIPTIONS[layer_type])
                item.setStatusTip(0, LAYER_DESCRIPTIONS[layer_type])
        self.expandAll()
        self.setMinimumWidth(self.sizeHintForColumn(0) + 2 * self.frameWidth() + 4)  # whole names
        self.setMouseTracking(True)
        self.itemDoubleClicked.connect(self._on_double_click)
        self.itemEntered.connect(self._explain)
        self.currentItemChanged.connect(self._explain)

    def _explain(self, item: QTreeWidgetItem | None) -> None:
        layer_type = item.data(0, Qt.ItemDataRole.UserRole) if item else None
        if layer_type:
            self.explained.emit(f"<b>{layer_type}</b>: {LAYER_DESCRIPTIONS[layer_type]}")

    def layer_items(self) -> dict[str, QTreeWidgetItem]:
        items = {}
        for g in range(self.topLevelItemCount()):
            group = self.topLevelItem(g)
            for i in range(group.childCount()):
                items[group.child(i).data(0, Qt.ItemDataRole.UserRole)] = group.child(i)
        return items

    def _on_double_click(self, item: QTreeWidgetItem) -> None:
        layer_type = item.data(0, Qt.ItemDataRole.UserRole)
        if layer_type:
            self.add_requested.emit(layer_type)
            self.clearSelection()  # added: the palette is not left looking like a mode

    def startDrag(self, actions) -> None:
        item = self.currentItem()
        layer_type = item.data(0, Qt.ItemDataRole.UserRole) if item else None
        if not layer_type:
            return
        drag = QDrag(self)
        drag.setMimeData(palette_mime(layer_type))
        drag.exec(Qt.DropAction.CopyAction)
        self.clearSelection()
        self._explain(item)  # the layer dragged, not the last one the pointer crossed


def palette_mime(layer_type: str) -> QMimeData:
    mime = QMimeData()
    mime.setData(MIME_NEW_LAYER, json.dumps(new_layer(layer_type)).encode())
    return mime
