"""A grid of small images drawn as one mosaic: one ImageItem, one ViewBox, fixed levels.

Used for filters, kernel gradients, feature maps and the mistakes gallery. The
tiles are packed into a single array with thin gaps, so a whole grid is one
`ImageItem.setImage` call (cheap to draw, and it fills the space it is given);
titles are TextItems placed over the tiles, created only when the layout changes.
The number of columns is the one that makes the tiles largest in the space the
grid has, chosen again when the grid is resized; a colour bar beside the tiles
gives the values their colours stand for.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGraphicsRectItem

DIVERGING = pg.colormap.get("CET-D1")  # blue – white – red, centred on zero
SEQUENTIAL = pg.colormap.get("viridis")


def symmetric_levels(images: np.ndarray) -> tuple[float, float]:
    """(−m, m) with m = max |value|, so zero is always the middle colour."""
    bound = float(np.max(np.abs(images))) if images.size else 1.0
    bound = bound or 1.0
    return -bound, bound


def rounded_levels(low: float, high: float) -> tuple[float, float]:
    """(low, high) widened to multiples of a tenth of their magnitude's 1-2-5 step:
    the colours of successive frames stay comparable, and the colour bar (whose axis
    is costly to lay out) changes only when the values really do."""
    largest = max(abs(low), abs(high))
    if largest == 0 or not math.isfinite(largest):
        return (low, high) if high > low else (low, low + 1.0)
    magnitude = 10 ** math.floor(math.log10(largest))
    step = next(m * magnitude for m in (1, 2, 5, 10) if largest <= m * magnitude) / 10
    low, high = math.floor(low / step) * step, math.ceil(high / step) * step
    return (low, high) if high > low else (low, low + step)


def mosaic(images: np.ndarray, columns: int, gap: int, title_rows: int, fill: float
           ) -> np.ndarray:
    """(N, H, W) tiles → one (rows·(H + gap + title_rows), columns·(W + gap)) image;
    (N, H, W, 3) colour tiles → the same with 3 colour channels."""
    count, height, width = images.shape[:3]
    rows = math.ceil(count / columns)
    cell_h, cell_w = height + gap + title_rows, width + gap
    out = np.full((rows * cell_h, columns * cell_w, *images.shape[3:]), fill, dtype=np.float32)
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        top, left = row * cell_h + title_rows, column * cell_w
        out[top:top + height, left:left + width] = image
    return out


def best_columns(count: int, cell_h: int, cell_w: int, width: float, height: float) -> int:
    """The number of columns that draws `count` cells of cell_h × cell_w as large as
    possible in a width × height area (the fewest columns among equals)."""
    def scale(columns: int) -> float:
        rows = math.ceil(count / columns)
        return min(width / (columns * cell_w), height / (rows * cell_h))
    return max(range(1, max(count, 1) + 1), key=lambda c: (scale(c), -c))


class ImageGrid(pg.GraphicsLayoutWidget):
    """Shows a stack of 2-D images (N, H, W), or colour ones (N, H, W, 3) in [0, 1], as a
    grid with optional titles and (`colour_bar`) a bar of the values.

    A click on a pixel emits `clicked(tile, row, column)`, the pointer over one
    `hovered(tile, row, column)` (tile −1 when it leaves the tiles); `mark`
    outlines one pixel.
    """

    clicked = Signal(int, int, int)
    hovered = Signal(int, int, int)
    images: np.ndarray | None = None  # the tiles last shown (pyqtgraph resizes in __init__)

    def __init__(self, diverging: bool = True, columns: int | None = None,
                 colour_bar: bool = False, parent=None):
        super().__init__(parent)
        self.diverging = diverging
        self.columns = columns
        self.setBackground(None)
        self.box = self.ci.addViewBox(lockAspect=True, enableMouse=False, invertY=True)
        self.item = pg.ImageItem(axisOrder="row-major")
        colours = DIVERGING if diverging else SEQUENTIAL
        self.item.setColorMap(colours)
        self.box.addItem(self.item)
        self.bar: pg.ColorBarItem | None = None
        if colour_bar:
            self.bar = pg.ColorBarItem(colorMap=colours, interactive=False, width=12,
                                       colorMapMenu=False, pen=None)
            self.ci.addItem(self.bar, row=0, col=1)
            self.bar.hide()  # until there are values to give
        self._shown: tuple | None = None  # titles and levels of the tiles on show
        self._hover: tuple[int, int, int] | None = None
        self.titles: list[pg.TextItem] = []
        self._layout: tuple | None = None
        self._cells = (1, 1, 1, 0)  # columns, cell height, cell width, title rows
        self.marker = QGraphicsRectItem(0, 0, 1, 1)
        self.marker.setPen(pg.mkPen((255, 140, 0), width=2, cosmetic=True))
        self.marker.setZValue(10)
        self.marker.hide()
        self.box.addItem(self.marker)
        self.scene().sigMouseClicked.connect(self._on_click)
        self.scene().sigMouseMoved.connect(self._on_move)

    def show_images(self, images: np.ndarray, titles: list[str] | None = None,
                    levels: tuple[float, float] | None = None) -> None:
        images = np.asarray(images, dtype=np.float32)
        self.images = images
        count, height, width = images.shape[:3]
        colour = images.ndim == 4
        if colour:
            levels = (0.0, 1.0)
        gap = max(1, min(height, width) // 8)
        title_rows = max(3, height // 3) if titles else 0
        area_w, area_h = self._area()
        columns = min(self.columns or best_columns(count, height + gap + title_rows,
                                                   width + gap, area_w, area_h), count)
        if levels is None:
            levels = rounded_levels(*(symmetric_levels(images) if self.diverging
                                      else (float(images.min()), float(images.max()))))
        self._shown = (titles, levels)
        if self.bar is not None and (self.bar.isVisible() == colour
                                     or tuple(self.bar.levels()) != tuple(levels)):
            self.bar.setVisible(not colour)
            self.bar.setLevels(levels, update_items=False)
        fill = (levels[0] + levels[1]) / 2 if self.diverging and not colour else levels[0]
        self.item.setImage(mosaic(images, columns, gap, title_rows, fill), levels=levels,
                           autoLevels=False)
        self._cells = (columns, height + gap + title_rows, width + gap, title_rows)
        layout = (images.shape, columns, bool(titles))
        if layout != self._layout:
            self._layout = layout
            self._place_titles(count, columns, height + gap + title_rows, width + gap,
                               bool(titles))
            self.box.autoRange(padding=0.01)
        for text, title in zip(self.titles, titles or []):
            if text.toPlainText() != title:  # a new text is laid out and repainted
                text.setText(title)

    def _area(self) -> tuple[float, float]:
        """The pixels the tiles may cover: the widget less the colour bar."""
        bar = 60 if self.bar is not None else 0
        return max(self.width() - bar, 1), max(self.height(), 1)

    def tile_size(self) -> float:
        """The width of one tile on screen, in pixels."""
        if self.images is None:
            return 0.0
        return self.images.shape[2] / self.box.viewPixelSize()[0]

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.images is not None and self.columns is None:
            titles, levels = self._shown
            columns, cell_h, cell_w, _ = self._cells
            if best_columns(len(self.images), cell_h, cell_w, *self._area()) != columns:
                self.show_images(self.images, titles, levels)

    def tile_pixel(self, x: float, y: float) -> tuple[int, int, int] | None:
        """(tile, row, column) under the mosaic coordinates (x, y), if on a tile."""
        if self.images is None or x < 0 or y < 0:
            return None
        columns, cell_h, cell_w, title_rows = self._cells
        count, height, width = self.images.shape[:3]
        cell_row, row = divmod(int(y), cell_h)
        cell_column, column = divmod(int(x), cell_w)
        row -= title_rows
        tile = cell_row * columns + cell_column
        if cell_column >= columns or tile >= count or not (0 <= row < height
                                                          and column < width):
            return None
        return tile, row, column

    def mark(self, tile: int | None, row: int = 0, column: int = 0) -> None:
        """Outline one pixel of one tile (None hides the outline)."""
        if tile is None or self.images is None:
            self.marker.hide()
            return
        columns, cell_h, cell_w, title_rows = self._cells
        cell_row, cell_column = divmod(tile, columns)
        self.marker.setRect(cell_column * cell_w + column, cell_row * cell_h + title_rows + row,
                            1, 1)
        self.marker.show()

    def _on_click(self, event) -> None:
        point = self.item.mapFromScene(event.scenePos())
        hit = self.tile_pixel(point.x(), point.y())
        if hit is not None:
            self.clicked.emit(*hit)

    def _on_move(self, position) -> None:
        point = self.item.mapFromScene(position)
        hit = self.tile_pixel(point.x(), point.y())
        if hit != self._hover:
            self._hover = hit
            self.hovered.emit(*(hit or (-1, 0, 0)))

    def clear_images(self) -> None:
        self.item.clear()
        if self.bar is not None:
            self.bar.hide()
        self._place_titles(0, 1, 1, 1, False)
        self.images, self._layout, self._shown = None, None, None

    def _place_titles(self, count: int, columns: int, cell_h: int, cell_w: int,
                      titled: bool) -> None:
        for text in self.titles:
            self.box.removeItem(text)
        self.titles = []
        if not titled:
            return
        for index in range(count):
            row, column = divmod(index, columns)
            text = pg.TextItem(anchor=(0.5, 0.0), color=(90, 90, 90))
            text.setPos(column * cell_w + (cell_w - 1) / 2, row * cell_h - 1)
            self.box.addItem(text)
            self.titles.append(text)
