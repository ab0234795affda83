"""The network canvas: one block per layer, from the input image to the class scores.

The scene follows the document: every change rebuilds the few blocks from the
engine's analysis (shapes, problems); nothing here computes a shape.
"""

from __future__ import annotations

import json
import math

from PySide6.QtCore import QMimeData, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QDrag, QFont, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
)

from studio.engine import BAD, GOOD, WARNING, LayerHealth, LayerInfo

from .colours import COLOURS
from .document import NetworkDocument
from .palette import MIME_NEW_LAYER

MIME_MOVE_LAYER = "application/x-cnn-studio-move"
BLOCK_WIDTH, ROW_HEIGHT, GAP = 300.0, 54.0, 14.0
INVALID = QColor("#d62728")
HEALTH_COLOURS = {GOOD: QColor("#2ca02c"), WARNING: QColor("#ffb000"), BAD: QColor("#d62728")}


def shape_text(shape: tuple[int, ...] | None) -> str:
    return "×".join(map(str, shape)) if shape else "?"


def describe(info: LayerInfo) -> str:
    """'conv 6@5×5 same', 'maxpool 2×2 /2', 'dense 120'…"""
    c = info.config
    if info.type == "conv2d":
        stride = f" /{c['stride']}" if c.get("stride", 1) != 1 else ""
        return f"conv {c.get('filters')}@{c.get('kernel')}×{c.get('kernel')} " \
               f"{c.get('padding')}{stride}"
    if info.type in ("maxpool2d", "avgpool2d"):
        return f"{info.type[:3]}pool {c.get('size')}×{c.get('size')} /{c.get('stride')}"
    if info.type == "dense":
        return f"dense {c.get('units')}"
    if info.type == "dropout":
        return f"dropout {c.get('rate')}"
    return info.type


class LayerBlock(QGraphicsRectItem):
    """One layer: its type and settings, its output shape, a bar hinting at the tensor size."""

    def __init__(self, index: int, title: str, subtitle: str, colour: QColor, width: float,
                 problem: str | None):
        super().__init__(0, 0, BLOCK_WIDTH, ROW_HEIGHT)
        self.index = index
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, index >= 0)
        self.setBrush(QBrush(colour.lighter(165)))
        self.setPen(QPen(INVALID if problem else colour.darker(130), 3 if problem else 1.5))
        bar = QGraphicsRectItem(0, ROW_HEIGHT - 8, max(6.0, width), 8, self)
        bar.setBrush(QBrush(colour))
        bar.setPen(QPen(Qt.PenStyle.NoPen))
        bold = QFont()
        bold.setBold(True)
        heading = QGraphicsSimpleTextItem(("⚠ " if problem else "") + title, self)
        heading.setFont(bold)
        heading.setPos(10, 6)
        detail = QGraphicsSimpleTextItem(subtitle, self)
        detail.setPos(10, 26)
        if problem:
            heading.setBrush(QBrush(INVALID))
            self.setToolTip(problem)
        self.badge = HealthBadge(self)
        self.badge.setPos(BLOCK_WIDTH - 24, 6)
        self.health: LayerHealth | None = None

    def show_health(self, health: LayerHealth | None) -> None:
        """Colour the badge by the layer's health and explain it on hover."""
        self.health = health
        self.badge.setVisible(health is not None)
        if health is not None:
            self.badge.setBrush(QBrush(HEALTH_COLOURS[health.level]))
            tip = health.message + (f"\nClick the badge to {health.suggestion.text}."
                                    if health.suggestion else "")
            self.badge.setToolTip(tip)


class HealthBadge(QGraphicsObject):
    """The small green / amber / red dot on a block with weights, while it trains.

    A QObject named `layerHealth` and a child of its scene, so that `findChildren`
    finds every badge (tests, automation)."""

    def __init__(self, parent: QGraphicsItem):
        super().__init__(parent)
        self.setObjectName("layerHealth")
        self.brush = QBrush()
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.hide()

    def setBrush(self, brush: QBrush) -> None:
        self.brush = brush
        self.update()

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemSceneHasChanged:
            self.setParent(self.scene())
        return super().itemChange(change, value)

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, 16, 16)

    def paint(self, painter: QPainter, _option, _widget=None) -> None:
        painter.setPen(QPen(QColor("#333333"), 1))
        painter.setBrush(self.brush)
        painter.drawEllipse(self.boundingRect().adjusted(0.5, 0.5, -0.5, -0.5))


class NetworkCanvas(QGraphicsView):
    def __init__(self, document: NetworkDocument, parent=None):
        super().__init__(parent)
        self.setObjectName("networkCanvas")
        self.document = document
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setAcceptDrops(True)
        self.setDragMode(QGraphicsView.DragMode.NoDrag)
        self.blocks: list[LayerBlock] = []
        self._press: QPointF | None = None
        self._syncing = False
        document.changed.connect(self._on_document_change)
        document.selection_changed.connect(self._on_selection_change)
        self.scene().selectionChanged.connect(self.change_selection)
        self._on_document_change()

    # signals out: the window turns these into undo commands
    insert_requested = Signal(int, dict)
    move_requested = Signal(int, int)
    health_clicked = Signal(object)  # the LayerHealth of the badge clicked

    def show_health(self, health: list[LayerHealth]) -> None:
        by_layer = {h.layer: h for h in health}
        for block in self.blocks:
            block.show_health(by_layer.get(block.index))

    # model → view -------------------------------------------------------------------
    def _on_document_change(self) -> None:
        self._syncing = True
        scene = self.scene()
        scene.clear()
        analysis = self.document.analysis
        sizes = [math.log10(max(info.activations, 1)) for info in analysis.layers]
        widest = max([math.log10(max(math.prod(analysis.input_shape or (1,)), 1)), *sizes, 1])
        input_shape = analysis.input_shape
        top = LayerBlock(-1, "input image", shape_text(input_shape), QColor("#555555"),
                         BLOCK_WIDTH * math.log10(max(math.prod(input_shape or (1,)), 1)) / widest,
                         None)
        scene.addItem(top)
        self.blocks = []
        for info in analysis.layers:
            problems = analysis.problems_for(info.index)
            block = LayerBlock(info.index, f"{info.index}  {describe(info)}",
                               f"→ {shape_text(info.output_shape)}    {info.parameters:,} params"
                               if info.output_shape else "→ ?  (unknown until the marked layer "
                                                         "is fixed)",
                               QColor(COLOURS.get(info.type, "#888888")),
                               BLOCK_WIDTH * sizes[info.index] / widest,
                               "\n".join(str(p) for p in problems) or None)
            block.setPos(0, (info.index + 1) * (ROW_HEIGHT + GAP))
            scene.addItem(block)
            self.blocks.append(block)
        end = len(analysis.layers) + 1
        final = analysis.output_shape if analysis.ok else None
        scores = QGraphicsSimpleTextItem(f"class scores {shape_text(final)}" if final else
                                         "fix the marked layers to reach the class scores")
        scores.setBrush(self.palette().color(QPalette.ColorRole.Text))  # light or dark theme
        scores.setPos(10, end * (ROW_HEIGHT + GAP))
        scene.addItem(scores)
        scene.setSceneRect(QRectF(-20, -20, BLOCK_WIDTH + 40, (end + 1) * (ROW_HEIGHT + GAP)))
        self._syncing = False
        self._on_selection_change(self.document.selected)

    def _on_selection_change(self, index: int | None) -> None:
        self._syncing = True
        for block in self.blocks:
            block.setSelected(block.index == index)
        if index is not None and index < len(self.blocks):
            self.ensureVisible(self.blocks[index])
        self._syncing = False

    # view → model -------------------------------------------------------------------
    def change_selection(self) -> None:
        if self._syncing:
            return
        selected = [item for item in self.scene().selectedItems() if isinstance(item, LayerBlock)]
        self.document.select(selected[0].index if selected else None)

    def index_at(self, y: float) -> int:
        """Where a drop at scene height y inserts: between the blocks around it."""
        row = round((y - ROW_HEIGHT / 2) / (ROW_HEIGHT + GAP))
        return max(0, min(len(self.document.layers), row))

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(MIME_NEW_LAYER) or event.mimeData().hasFormat(
                MIME_MOVE_LAYER):
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        self.drop(event.mimeData(), self.mapToScene(event.position().toPoint()).y())
        event.acceptProposedAction()

    def drop(self, mime: QMimeData, scene_y: float) -> None:
        index = self.index_at(scene_y)
        if mime.hasFormat(MIME_NEW_LAYER):
            self.insert_requested.emit(index, json.loads(bytes(mime.data(MIME_NEW_LAYER))))
        elif mime.hasFormat(MIME_MOVE_LAYER):
            source = int(bytes(mime.data(MIME_MOVE_LAYER)))
            target = index if index <= source else index - 1
            if target != source:
                self.move_requested.emit(source, target)

    def mousePressEvent(self, event) -> None:
        item = self.itemAt(event.position().toPoint())
        if isinstance(item, HealthBadge):
            self.health_clicked.emit(item.parentItem().health)
            return
        self._press = event.position()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        selected = self.document.selected
        if (self._press is not None and selected is not None
                and event.buttons() & Qt.MouseButton.LeftButton
                and (event.position() - self._press).manhattanLength() > 12):
            self._press = None
            drag = QDrag(self)
            mime = QMimeData()
            mime.setData(MIME_MOVE_LAYER, str(selected).encode())
            drag.setMimeData(mime)
            drag.exec(Qt.DropAction.MoveAction)
            return
        super().mouseMoveEvent(event)

    def wheelEvent(self, event) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            factor = 1.15 if event.angleDelta().y() > 0 else 1 / 1.15
            self.scale(factor, factor)
        else:
            super().wheelEvent(event)

    def fit(self) -> None:
        self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
