"""The network canvas: one block per layer, from the input image to the class scores.

The scene follows the document: every change rebuilds the few blocks from the
engine's analysis (shapes, problems); nothing here computes a shape.
"""

from __future__ import annotations

import json
import math
import textwrap

from PySide6.QtCore import QLineF, QMimeData, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QDrag, QFont, QPainter, QPalette, QPen, QTransform
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
)

from studio.engine import BAD, GOOD, WARNING, LayerHealth, LayerInfo

from .colours import COLOURS, HEALTHY, UNHEALTHY, WATCH
from .document import NetworkDocument
from .palette import MIME_NEW_LAYER

MIME_MOVE_LAYER = "application/x-cnn-studio-move"
BLOCK_WIDTH, ROW_HEIGHT, GAP = 300.0, 54.0, 14.0
INVALID = QColor("#d62728")
HEALTH_COLOURS = {GOOD: QColor(HEALTHY), WARNING: QColor(WATCH), BAD: QColor(UNHEALTHY)}
DROP_LINE = QColor("#0072b2")  # blue, told apart from the red of a problem by every eye
STEP = ROW_HEIGHT + GAP
SCROLL_MARGIN, SCROLL_STEP = 30, 24  # a drag this close to an edge scrolls the canvas
EMPTY_HINT = ("No layers yet: drag them here from the palette on the left,\n"
              "e.g. conv2d, relu, maxpool2d, then flatten and a dense layer of\n"
              "10 units for the class scores — or pick one from the Presets menu.")


def block_top(index: int) -> float:
    """Scene height of the top of layer `index`'s block (the input image is row 0)."""
    return (index + 1) * STEP


def index_at(y: float, count: int) -> int:
    """Where a drop at scene height y lands among `count` layers: before the first block
    whose middle is below y, so dropping on a block's upper half puts it before the block
    and on its lower half after it."""
    return max(0, min(count, math.floor((y - ROW_HEIGHT / 2) / STEP)))


def drop_line_y(index: int) -> float:
    """Scene height of the line drawn where a drop at `index` lands: mid-gap above that
    block."""
    return block_top(index) - GAP / 2


def shape_text(shape: tuple[int, ...] | None) -> str:
    return "×".join(map(str, shape)) if shape else "?"


def values_text(count: int) -> str:
    """What a block's bar measures: '4,704 values per image' (0: not known yet)."""
    return f"{count:,} values per image" if count else "not known until the network is fixed"


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
                 problem: str | None, size: str):
        """`width` is the bar's; `size` says in words what it measures."""
        super().__init__(0, 0, BLOCK_WIDTH, ROW_HEIGHT)
        self.index = index
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, index >= 0)
        self.setBrush(QBrush(colour.lighter(165)))
        self.setPen(QPen(INVALID if problem else colour.darker(130), 3 if problem else 1.5))
        self.bar = QGraphicsRectItem(0, ROW_HEIGHT - 8, max(6.0, width), 8, self)
        self.bar.setBrush(QBrush(colour))
        self.bar.setPen(QPen(Qt.PenStyle.NoPen))
        self.bar.setToolTip(f"The bar's length is the size of this output: {size}, on a log "
                            "scale (the longest bar is the largest output of the network).")
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
    def __init__(self, document: NetworkDocument, parent=None, *, editable: bool = True):
        """`editable=False` for a view that only selects: no drops, no dragging blocks."""
        super().__init__(parent)
        self.setObjectName("networkCanvas")
        self.document = document
        self.editable = editable
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setAcceptDrops(editable)
        if not editable:  # a view beside other panels: it fits its width, scrolls down only
            self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setDragMode(QGraphicsView.DragMode.NoDrag)
        self.blocks: list[LayerBlock] = []
        self.drop_index: int | None = None  # where the layer being dragged would land
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
                         None, values_text(math.prod(input_shape) if input_shape else 0))
        scene.addItem(top)
        self.blocks = []
        marked = False  # a block carries a problem: the end text points to it
        for info in analysis.layers:
            problems = analysis.problems_for(info.index)
            marked = marked or bool(problems)
            block = LayerBlock(info.index, f"{info.index}  {describe(info)}",
                               f"→ {shape_text(info.output_shape)}    {info.parameters:,} params"
                               if info.output_shape else "→ ?  (unknown until the marked layer "
                                                         "is fixed)",
                               QColor(COLOURS.get(info.type, "#888888")),
                               BLOCK_WIDTH * sizes[info.index] / widest,
                               "\n".join(str(p) for p in problems) or None,
                               values_text(info.activations))
            block.setPos(0, block_top(info.index))
            scene.addItem(block)
            self.blocks.append(block)
        end = len(analysis.layers) + 1
        final = analysis.output_shape if analysis.ok else None
        scores = QGraphicsSimpleTextItem(
            f"class scores {shape_text(final)}" if final else
            EMPTY_HINT if not analysis.layers else
            "fix the marked layers to reach the class scores" if marked else
            textwrap.fill(f"to reach the class scores: {analysis.problems[0]}", 60))
        scores.setBrush(self.palette().color(QPalette.ColorRole.Text))  # light or dark theme
        scores.setPos(10, end * STEP)
        scene.addItem(scores)
        scene.setSceneRect(QRectF(-20, -20, BLOCK_WIDTH + 40, (end + 1) * STEP).united(
            scores.sceneBoundingRect().adjusted(0, 0, 20, 0)))  # a hint wider than a block
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
        return index_at(y, len(self.document.layers))

    def keyPressEvent(self, event) -> None:
        step = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1}.get(event.key())
        if step is None or event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            super().keyPressEvent(event)
            return
        self.document.select_next(step)

    def _accepts(self, mime: QMimeData) -> bool:
        return self.editable and (mime.hasFormat(MIME_NEW_LAYER)
                                  or mime.hasFormat(MIME_MOVE_LAYER))

    def dragEnterEvent(self, event) -> None:
        if self._accepts(event.mimeData()):
            event.acceptProposedAction()
            self._show_drop(self.index_at(self.mapToScene(event.position().toPoint()).y()))
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        """Near the top or bottom edge the canvas scrolls, so every gap can be reached."""
        y, bar = event.position().y(), self.verticalScrollBar()
        if y < SCROLL_MARGIN:
            bar.setValue(bar.value() - SCROLL_STEP)
        elif y > self.viewport().height() - SCROLL_MARGIN:
            bar.setValue(bar.value() + SCROLL_STEP)
        self.dragEnterEvent(event)

    def dragLeaveEvent(self, event) -> None:
        self._show_drop(None)

    def dropEvent(self, event) -> None:
        self._show_drop(None)
        if self._accepts(event.mimeData()):
            self.drop(event.mimeData(), self.mapToScene(event.position().toPoint()).y())
            event.acceptProposedAction()

    def _show_drop(self, index: int | None) -> None:
        if index != self.drop_index:
            self.drop_index = index
            self.viewport().update()

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        """The drop line: exactly where the layer being dragged will land."""
        if self.drop_index is None:
            return
        y = drop_line_y(self.drop_index)
        painter.setPen(QPen(DROP_LINE, 4))
        painter.drawLine(QLineF(-12, y, BLOCK_WIDTH + 12, y))
        painter.setBrush(QBrush(DROP_LINE))
        for x in (-12, BLOCK_WIDTH + 12):
            painter.drawEllipse(QPointF(x, y), 5, 5)

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
        if (self.editable and self._press is not None and selected is not None
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

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if not self.editable:
            self.fit_width()

    def fit_width(self) -> None:
        """Scale the blocks so that they are as wide as the view (never enlarged)."""
        scale = min(1.0, self.viewport().width() / self.scene().sceneRect().width())
        self.setTransform(QTransform.fromScale(scale, scale))

    def fit(self) -> None:
        self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
