"""Real input for the builder canvas: the drag events Qt delivers during a drag and drop,
mouse clicks on blocks, and what a person would expect a drop to do, read off the screen."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from studio.app.canvas import MIME_MOVE_LAYER, NetworkCanvas

COPY = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
LEFT = Qt.MouseButton.LeftButton
NO_KEYS = Qt.KeyboardModifier.NoModifier


def move_mime(index: int) -> QMimeData:
    """What the canvas puts on a drag of the block of layer `index`."""
    mime = QMimeData()
    mime.setData(MIME_MOVE_LAYER, str(index).encode())
    return mime


def hover(canvas: NetworkCanvas, mime: QMimeData, point: QPoint) -> None:
    """Carry a drag into the canvas viewport and hold it at `point`, as Qt reports it."""
    viewport = canvas.viewport()
    QApplication.sendEvent(viewport, QDragEnterEvent(point, COPY, mime, LEFT, NO_KEYS))
    QApplication.sendEvent(viewport, QDragMoveEvent(point, COPY, mime, LEFT, NO_KEYS))


def release(canvas: NetworkCanvas, mime: QMimeData, point: QPoint) -> None:
    QApplication.sendEvent(canvas.viewport(), QDropEvent(QPointF(point), COPY, mime, LEFT,
                                                         NO_KEYS))


def leave(canvas: NetworkCanvas) -> None:
    QApplication.sendEvent(canvas.viewport(), QDragLeaveEvent())


def drag_and_drop(canvas: NetworkCanvas, mime: QMimeData, point: QPoint) -> None:
    hover(canvas, mime, point)
    release(canvas, mime, point)


def block_point(canvas: NetworkCanvas, index: int, dy: float) -> QPoint:
    """A viewport point `dy` scene pixels below the top of layer `index`'s block (negative:
    above it), scrolled into view first as a person would."""
    rect = canvas.blocks[index].sceneBoundingRect()
    canvas.ensureVisible(rect, 0, 60)
    return canvas.mapFromScene(QPointF(rect.center().x(), rect.top() + dy))


def expected_landing(canvas: NetworkCanvas, point: QPoint) -> int:
    """Where a person expects a drop at `point`: before the first block whose middle is
    below the pointer (a pointer exactly on a middle is not above it), worked out from the
    blocks as drawn."""
    y = canvas.mapToScene(point).y()
    return sum(block.sceneBoundingRect().center().y() <= y for block in canvas.blocks)


def click_block(canvas: NetworkCanvas, index: int) -> None:
    QTest.mouseClick(canvas.viewport(), LEFT, NO_KEYS, block_point(canvas, index, 20))


def double_click_palette(window, layer_type: str) -> None:
    palette = window.palette
    item = palette.layer_items()[layer_type]
    palette.scrollToItem(item)
    where = (palette.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
             palette.visualItemRect(item).center())
    # what a mouse sends: a click, then the second press that the system calls a double-click
    QTest.mouseClick(*where)
    QTest.mouseDClick(*where)
