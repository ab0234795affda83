"""Where the gradient flows: dL/dK of a conv layer, the saliency dL/dX, gradient norms over time."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout

from studio.engine import Snapshot

from .colours import series_colour
from .curves_panel import keep_left_label_whole, show_grid
from .filters_panel import kernel_tiles
from .image_grid import ImageGrid
from .panel import Panel, plain_axes
from .plot_key import PlotKey, beside

MAX_TILES = 64
DECADE_LABEL_PIXELS = 24  # the height a label like 10⁻⁵ needs to stay clear of the next


class DecadeAxis(pg.AxisItem):
    """A log axis labelled at powers of ten (every second or third one when that many
    would not fit), and at 2 and 5 times them only when fewer than two powers are in
    view: pyqtgraph labels every 2…9 and they ran together."""

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        decades = range(int(np.ceil(minVal)), int(np.floor(maxVal)) + 1)
        stride = min(max(1, math.ceil(len(decades) * DECADE_LABEL_PIXELS / max(size, 1))),
                     max(len(decades), 1))  # a tiny axis still labels one decade
        ticks = [(1.0, [float(v) for v in decades if v % stride == 0])]
        if len(decades) < 2:
            between = [v + np.log10(m) for v in range(int(np.floor(minVal)), int(np.ceil(maxVal)))
                       for m in (2, 5)]
            ticks.append((None, [v for v in between if minVal < v < maxVal]))
        return ticks


class GradientsPanel(Panel):
    def __init__(self, parent=None):
        super().__init__("gradientsPanel", "Left: dL/dK, how the last batch wants to change each "
                         "kernel of the selected conv layer. Middle: dL/dX, which input pixels "
                         "would change the loss most (a saliency map). Right: each layer's "
                         "gradient size over time — curves sinking towards zero mean vanishing "
                         "gradients, curves shooting up mean exploding ones.", parent)
        row = QHBoxLayout()
        left, middle = QVBoxLayout(), QVBoxLayout()
        self.kernel_title = QLabel("dL/dK")
        self.kernels = ImageGrid(diverging=True, colour_bar=True)
        left.addWidget(self.kernel_title)
        left.addWidget(self.kernels, 1)
        self.saliency = ImageGrid(diverging=True, columns=1, colour_bar=True)
        middle.addWidget(QLabel("dL/dX (saliency)"))
        middle.addWidget(self.saliency, 1)
        self.norms = pg.PlotWidget(axisItems={"left": DecadeAxis("left")})
        plain_axes(self.norms)
        self.norms.setObjectName("gradientNormPlot")  # PlotWidget ignores objectName=
        self.norms.setLogMode(y=True)
        self.norms.setLabel("bottom", "batch")
        self.norms.setLabel("left", "‖dL/dW‖")
        keep_left_label_whole(self.norms)
        show_grid(self.norms)
        self.key = PlotKey("gradientNormKey")  # beside the curves, never over them
        row.addLayout(left, 2)
        row.addLayout(middle, 2)  # room for the map beside its colour bar
        row.addLayout(beside(self.norms, self.key), 2)
        self.body.addLayout(row, 1)
        self.curves: dict[int, pg.PlotDataItem] = {}
        self.history: dict[int, list[tuple[int, float]]] = {}
        self._recorded: set[int] = set()
        self.kernel_gradients: np.ndarray | None = None  # dL/dK (F, C, f, f) on show

    def exported_data(self) -> tuple[np.ndarray, list[str]] | None:
        return None if self.kernel_gradients is None else (self.kernel_gradients, [])

    def reset(self) -> None:
        self.norms.clear()
        self.key.set_entries([])
        self.curves, self.history, self._recorded = {}, {}, set()

    def show_snapshot(self, snapshot: Snapshot, selected: int | None) -> None:
        if snapshot.kernel_gradients:
            layer = (selected if selected in snapshot.kernel_gradients
                     else min(snapshot.kernel_gradients))
            self.kernel_gradients = snapshot.kernel_gradients[layer]
            tiles, titles = kernel_tiles(snapshot.kernel_gradients[layer])
            self.kernel_title.setText(f"dL/dK of layer {layer} (conv2d)")
            self.kernels.show_images(tiles[:MAX_TILES], titles[:MAX_TILES])
        self.saliency.show_images(snapshot.input_gradient[:1])
        self._draw_norms()

    def record_norms(self, snapshot: Snapshot) -> None:
        """Keep the norms of every snapshot; they are drawn when the panel is shown (a
        hidden log-scale plot's update still costs the GUI thread time)."""
        if snapshot.step in self._recorded:
            return
        self._recorded.add(snapshot.step)
        for index, norm in snapshot.gradient_norms.items():
            self.history.setdefault(index, []).append((snapshot.step, max(norm, 1e-12)))

    def _draw_norms(self) -> None:
        for index, history in self.history.items():
            if index not in self.curves:
                colour = series_colour(len(self.curves))
                self.curves[index] = self.norms.plot(pen=pg.mkPen(colour, width=2),
                                                     name=f"layer {index}")
                self.key.set_entries([(f"layer {i}", series_colour(n), "━")
                                      for n, i in enumerate(self.curves)])
            steps, values = np.array(history).T
            self.curves[index].setData(steps, values)
