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
from typing import NamedTuple

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtGui import QColor, QFontMetricsF
from PySide6.QtWidgets import QGraphicsRectItem

TITLE_FONT_SCALE = 0.85  # tile titles: room for the tiles, still easy to read
TITLE_MARGIN = 1  # pixels around a title's text
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


class Cells(NamedTuple):
    """How a mosaic is cut: `columns` cells of height × width image pixels, each a title's
    `title_rows` above its tile, the tile `left` pixels in from the cell's left edge (with
    the title in those pixels when `beside`, and `title_rows` the tile's top margin)."""

    columns: int
    height: int
    width: int
    title_rows: int
    left: int
    beside: bool = False


def mosaic(images: np.ndarray, cells: Cells, fill: float) -> np.ndarray:
    """(N, H, W) tiles → one (rows·cell height, columns·cell width) image; (N, H, W, 3)
    colour tiles → the same with 3 colour channels."""
    count, height, width = images.shape[:3]
    rows = math.ceil(count / cells.columns)
    out = np.full((rows * cells.height, cells.columns * cells.width, *images.shape[3:]), fill,
                  dtype=np.float32)
    for index, image in enumerate(images):
        row, column = divmod(index, cells.columns)
        top = row * cells.height + cells.title_rows
        left = column * cells.width + cells.left
        out[top:top + height, left:left + width] = image
    return out


def best_columns(count: int, cell_h: int, cell_w: int, width: float, height: float) -> int:
    """The number of columns that draws `count` cells of cell_h × cell_w as large as
    possible in a width × height area (the fewest columns among equals)."""
    def scale(columns: int) -> float:
        rows = math.ceil(count / columns)
        return min(width / (columns * cell_w), height / (rows * cell_h))
    return max(range(1, max(count, 1) + 1), key=lambda c: (scale(c), -c))


def titled_cells(count: int, tile_h: int, tile_w: int, gap: int, area: tuple[float, float],
                 text: tuple[float, float], columns: int | None = None,
                 beside: bool = False) -> Cells:
    """Cells that draw `count` tiles as large as they can be with a title of text = (width,
    height) screen pixels above each (or `beside` it, on its left), overlapping neither
    its tile nor its neighbours.

    A title's pixels are image pixels, whose size on screen depends on the scale, which
    depends on them: a few rounds of "the fewest that hold the text at the scale they
    leave" settle it, for each number of columns.
    """
    width, height = area

    def cells(c: int, text_w: int, text_h: int) -> Cells:
        if beside:  # the tile in the middle of its cell's height, level with its title
            cell_h = max(tile_h + gap, text_h)
            return Cells(c, cell_h, text_w + tile_w + gap, (cell_h - tile_h) // 2, text_w, True)
        cell_w = max(tile_w + gap, text_w)
        return Cells(c, tile_h + gap + text_h, cell_w, text_h, (cell_w - tile_w) // 2)

    def scale(shape: Cells) -> float:
        rows = math.ceil(count / shape.columns)
        return min(width / (shape.columns * shape.width), height / (rows * shape.height))

    best: tuple[float, int, Cells] | None = None
    for c in [columns] if columns else range(1, max(count, 1) + 1):
        shape = cells(c, 1, 1)
        for _ in range(6):
            fit = scale(shape)
            shape = cells(c, max(1, math.ceil(text[0] / fit)), max(1, math.ceil(text[1] / fit)))
        option = (scale(shape), -c, shape)
        if best is None or option[:2] > best[:2]:
            best = option
    return best[2]


def bar_ticks(low: float, high: float) -> list[tuple[float, str]]:
    """Three labels for a colour bar: its ends and its middle (0 for a diverging one).
    pyqtgraph's own choice put five or six on a bar 60 pixels high, on top of each other."""
    values = (low, (low + high) / 2, high)
    shape = "{:.0e}" if max(abs(low), abs(high)) < 1e-2 else "{:.3g}"  # fits the bar's axis
    return [(value, "0" if abs(value) <= 1e-9 * (high - low) else shape.format(value))
            for value in values]


def contrasting(colour: QColor) -> QColor:
    """Black or white, whichever reads better on `colour`."""
    return QColor(20, 20, 20) if colour.lightnessF() > 0.55 else QColor(245, 245, 245)


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
        self._fitted: tuple | None = None  # (what it depends on, titled_cells's answer)
        sample = pg.TextItem("0")
        self._title_font = sample.textItem.font()  # a little smaller than the text around
        self._title_font.setPointSizeF(self._title_font.pointSizeF() * TITLE_FONT_SCALE)
        self._title_metrics = QFontMetricsF(self._title_font)
        sample.setFont(self._title_font)
        sample.textItem.document().setDocumentMargin(TITLE_MARGIN)
        self._title_height = sample.textItem.boundingRect().height() + 1  # as drawn
        self._hover: tuple[int, int, int] | None = None
        self.titles: list[pg.TextItem] = []
        self._layout: tuple | None = None
        self.cells = Cells(1, 1, 1, 0, 0)
        self.marker = QGraphicsRectItem(0, 0, 1, 1)
        self.marker.setPen(pg.mkPen((255, 140, 0), width=2, cosmetic=True))
        self.marker.setZValue(10)
        self.marker.hide()
        self.box.addItem(self.marker)
        self.scene().sigMouseClicked.connect(self._on_click)
        self.scene().sigMouseMoved.connect(self._on_move)

    def show_images(self, images: np.ndarray, titles: list[str] | None = None,
                    levels: tuple[float, float] | None = None, beside: bool = False) -> None:
        """`beside`: each title on its tile's left, as in a list, rather than above it."""
        images = np.asarray(images, dtype=np.float32)
        self.images = images
        count, height, width = images.shape[:3]
        colour = images.ndim == 4
        if colour:
            levels = (0.0, 1.0)
        gap = max(1, min(height, width) // 8)
        if titles:
            cells = self._titled_cells(count, height, width, gap, titles, beside)
        else:
            columns = min(self.columns or best_columns(count, height + gap, width + gap,
                                                       *self._area()), count)
            cells = Cells(columns, height + gap, width + gap, 0, 0)
        if levels is None:
            levels = rounded_levels(*(symmetric_levels(images) if self.diverging
                                      else (float(images.min()), float(images.max()))))
        self._shown = (titles, levels, beside)
        if self.bar is not None and (self.bar.isVisible() == colour
                                     or tuple(self.bar.levels()) != tuple(levels)):
            self.bar.setVisible(not colour)
            self.bar.setLevels(levels, update_items=False)
            self.bar.axis.setTicks([bar_ticks(*levels)])  # small bars stay legible
        fill = (levels[0] + levels[1]) / 2 if self.diverging and not colour else levels[0]
        self.item.setImage(mosaic(images, cells, fill), levels=levels, autoLevels=False)
        self.cells = cells
        layout = (images.shape, cells, bool(titles))
        if layout != self._layout:
            self._layout = layout
            self._place_titles(count if titles else 0, self._title_colour(fill, levels, colour))
            self.box.autoRange(padding=0.01)
        for text, title in zip(self.titles, titles or []):
            if text.toPlainText() != title:  # a new text is laid out and repainted
                text.setText(title)

    def _titled_cells(self, count: int, height: int, width: int, gap: int,
                      titles: list[str], beside: bool) -> Cells:
        """`titled_cells` for this grid's area and font, worked out again only when one
        of them (or the tiles) changes: shown every frame, the grid must stay cheap."""
        metrics = self._title_metrics
        text = (max(metrics.horizontalAdvance(t) for t in titles) + 2 * TITLE_MARGIN + 2,
                self._title_height)
        box = self.box.size()  # what the tiles really get, once laid out
        area = ((box.width() * 0.97, box.height() * 0.97) if box.width() > 1  # autoRange pads
                else self._area())
        key = (count, height, width, area, text, self.columns, beside)
        if self._fitted is None or self._fitted[0] != key:
            self._fitted = (key, titled_cells(count, height, width, gap, area, text,
                                              self.columns, beside))
        cells = self._fitted[1]
        return cells._replace(columns=min(cells.columns, count))

    def _title_colour(self, fill: float, levels: tuple[float, float], colour: bool) -> QColor:
        """A title colour that reads on the mosaic's fill around the tiles."""
        if colour:
            return contrasting(QColor(0, 0, 0))
        low, high = levels
        where = (fill - low) / (high - low) if high > low else 0.0
        colours = DIVERGING if self.diverging else SEQUENTIAL
        return contrasting(colours.map(where, mode="qcolor"))

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
            titles, levels, beside = self._shown
            cells = self.cells
            if titles or best_columns(len(self.images), cells.height, cells.width,
                                      *self._area()) != cells.columns:
                self.show_images(self.images, titles, levels, beside)

    def tile_rect(self, tile: int) -> QRectF:
        """Where tile `tile` lies in the mosaic's (image pixel) coordinates."""
        cells = self.cells
        row, column = divmod(tile, cells.columns)
        return QRectF(column * cells.width + cells.left, row * cells.height + cells.title_rows,
                      self.images.shape[2], self.images.shape[1])

    def tile_pixel(self, x: float, y: float) -> tuple[int, int, int] | None:
        """(tile, row, column) under the mosaic coordinates (x, y), if on a tile."""
        if self.images is None or x < 0 or y < 0:
            return None
        cells = self.cells
        count, height, width = self.images.shape[:3]
        cell_row, row = divmod(int(y), cells.height)
        cell_column, column = divmod(int(x), cells.width)
        row, column = row - cells.title_rows, column - cells.left
        tile = cell_row * cells.columns + cell_column
        if cell_column >= cells.columns or tile >= count or not (0 <= row < height
                                                                and 0 <= column < width):
            return None
        return tile, row, column

    def mark(self, tile: int | None, row: int = 0, column: int = 0) -> None:
        """Outline one pixel of one tile (None hides the outline)."""
        if tile is None or self.images is None:
            self.marker.hide()
            return
        corner = self.tile_rect(tile).topLeft()
        self.marker.setRect(corner.x() + column, corner.y() + row, 1, 1)
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
        self._place_titles(0, QColor())
        self.images, self._layout, self._shown = None, None, None

    def _place_titles(self, count: int, colour: QColor) -> None:
        """A title centred above each of the first `count` tiles, in the title rows."""
        for text in self.titles:
            self.box.removeItem(text)
        self.titles = []
        beside = self.cells.beside
        for index in range(count):
            tile = self.tile_rect(index)
            text = pg.TextItem(anchor=(1.0, 0.5) if beside else (0.5, 0.0), color=colour)
            text.setFont(self._title_font)
            text.textItem.document().setDocumentMargin(TITLE_MARGIN)  # Qt's 4 px took room
            text.setPos(*((tile.left(), tile.center().y()) if beside
                          else (tile.center().x(), tile.top() - self.cells.title_rows)))
            self.box.addItem(text)
            self.titles.append(text)
