"""Loss per batch (raw and smoothed) and accuracy per epoch, drawn live with pyqtgraph."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QTimer

from studio.engine import EpochEnd

from .colours import LOSS, MARKER, TEST, TRAIN, faint
from .panel import Panel, plain_axes
from .plot_key import PlotKey, beside

SMOOTHING = 0.95  # exponential moving average weight of the smoothed loss
CURVE_REDRAW_MS = 400  # the shortest time between two redraws of a curve


def show_grid(plot: pg.PlotWidget) -> None:
    """Grid lines at the major and minor ticks, not pyqtgraph's third level, whose lines
    took half of each repaint of the loss and accuracy plots (docs/performance.md, 'Cost
    of the live panels') and which carries no labels."""
    plot.showGrid(x=True, y=True, alpha=0.3)
    for side in ("bottom", "left"):
        plot.getAxis(side).setStyle(maxTickLevel=1)


def keep_left_label_whole(plot: pg.PlotWidget) -> None:
    """Never let the plot shrink below the height its rotated left-axis label needs
    (at 1024×700 a label was cut: "cross-entropy los"): the label's length plus what the
    plot spends beside its left axis, measured again whenever the axis is laid out (the
    bottom axis grows once it has tick labels)."""
    axis = plot.getAxis("left")

    def fit() -> None:
        around = plot.height() - axis.geometry().height() if axis.geometry().height() else 40
        needed = int(axis.label.boundingRect().width() + around + 4)
        if plot.minimumHeight() < needed:
            plot.setMinimumHeight(needed)

    axis.geometryChanged.connect(fit)
    fit()


def epoch_label_step(epochs: int) -> int:
    """Every how many epochs the accuracy plot labels its axis: 1, 2 or 5 times a power of
    ten, for at most 12 labels (a label per epoch ran together from about 20 epochs)."""
    magnitude = 1
    while True:
        for step in (magnitude, 2 * magnitude, 5 * magnitude):
            if epochs <= 12 * step:
                return step
        magnitude *= 10


class Throttle(QObject):
    """Runs `draw` at once when asked, then at most once per CURVE_REDRAW_MS: requests made
    meanwhile are merged into one when the interval ends.

    The curves get new points at every epoch end, ten times a second for a small dataset,
    and every redraw is time the GUI thread takes from training.
    """

    def __init__(self, draw, parent: QObject):
        super().__init__(parent)
        self.draw, self.pending = draw, False
        self.cooldown = QTimer(self, singleShot=True, interval=CURVE_REDRAW_MS)
        self.cooldown.timeout.connect(self._catch_up)

    def request(self) -> None:
        if self.cooldown.isActive():
            self.pending = True
        else:
            self._run()

    def cancel(self) -> None:
        self.cooldown.stop()
        self.pending = False

    def _catch_up(self) -> None:
        if self.pending:
            self._run()

    def _run(self) -> None:
        self.pending = False
        self.draw()
        self.cooldown.start()


def smoothed(values: np.ndarray, weight: float = SMOOTHING) -> np.ndarray:
    """Bias-corrected exponential moving average (as TensorBoard draws it).

    a_t = w·a_(t−1) + (1 − w)·x_t, in closed form a block at a time,
    a_(s+k) = w^(k+1)·a_(s−1) + (1 − w)·w^k·Σ_(j≤k) w^(−j)·x_(s+j), with blocks short enough
    that w^(−k) stays under 10^6 (so no precision is lost): numpy, without the second it
    takes to import scipy.signal for its one filter.
    """
    x = np.asarray(values, dtype=np.float64)
    if weight <= 0.0 or len(x) == 0:
        return x.copy()
    block = max(1, int(6 / -np.log10(weight)))
    k = np.arange(block)
    grow, decay = weight ** -k.astype(np.float64), weight ** (k + 1.0)
    average, state = np.empty_like(x), 0.0
    for start in range(0, len(x), block):
        chunk = x[start:start + block]
        n = len(chunk)
        sums = np.cumsum(chunk * grow[:n]) * (1 - weight) * weight ** k[:n]
        average[start:start + n] = decay[:n] * state + sums
        state = average[start + n - 1]
    return average / (1 - weight ** np.arange(1, len(x) + 1))


class LossPanel(Panel):
    def __init__(self, parent=None):
        super().__init__("lossPanel", "Cross-entropy loss after every batch (faint = raw, bold "
                         "= smoothed): it should fall quickly, then level off.", parent)
        self.plot = pg.PlotWidget()
        plain_axes(self.plot)
        self.plot.setObjectName("lossPlot")  # PlotWidget ignores objectName=
        self.plot.setLabel("bottom", "batch")
        self.plot.setLabel("left", "loss")
        show_grid(self.plot)
        keep_left_label_whole(self.plot)
        self.plot.setDownsampling(auto=True, mode="peak")  # thousands of batches stay cheap
        self.plot.setClipToView(True)
        self.raw = self.plot.plot(pen=pg.mkPen(faint(LOSS, 110)))
        self.smooth = self.plot.plot(pen=pg.mkPen(LOSS, width=2))
        self.body.addWidget(self.plot, 1)
        self.marker = pg.InfiniteLine(angle=90, pen=pg.mkPen(MARKER, width=2))
        self.marker.hide()
        self.plot.addItem(self.marker, ignoreBounds=True)
        self.steps: list[np.ndarray] = []
        self.losses: list[np.ndarray] = []
        self.top = 0.0
        self.span = 0  # the batches the x axis spans
        self.redraw = Throttle(self._draw, self)

    def reset(self, total_steps: int = 1) -> None:
        """Empty curves on fixed axes for the whole run: redrawing the axes is the costliest
        part of a frame, and every frame taken from the GUI thread is taken from training."""
        self.steps, self.losses = [], []
        self.redraw.cancel()
        self.raw.setData([], [])
        self.smooth.setData([], [])
        self.top = 0.0
        self.plot.disableAutoRange()
        self.span = 0
        self.cover(total_steps)

    def cover(self, total_steps: int) -> None:
        """Widen the x axis to `total_steps` batches (a continued run adds its own to the
        curve's); the axis is set again only when it changes."""
        if total_steps != self.span:
            self.span = total_steps
            self.plot.setXRange(0, total_steps, padding=0.02)

    def last_step(self) -> int:
        """The step of the last point drawn (0 when there is none)."""
        return int(self.steps[-1][-1]) if self.steps and len(self.steps[-1]) else 0

    def add(self, history: np.ndarray) -> None:
        """history: (3, k) rows step, loss, accuracy."""
        self.steps.append(history[0])
        self.losses.append(history[1])
        self.redraw.request()

    def _draw(self) -> None:
        steps, losses = self.data()
        if losses.max() > self.top:  # the y range only ever grows, in coarse steps
            self.top = float(np.ceil(losses.max() * 1.2 * 2) / 2)
            self.plot.setYRange(0, self.top, padding=0)
        self.raw.setData(steps, losses)
        self.smooth.setData(steps, smoothed(losses))

    def mark_step(self, step: int | None) -> None:
        """A vertical line at the step the timeline replays (None: no line)."""
        self.marker.setVisible(step is not None)
        if step is not None:
            self.marker.setValue(step)

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.steps:
            return np.zeros(0), np.zeros(0)
        return np.concatenate(self.steps), np.concatenate(self.losses)

    def exported_data(self) -> tuple[np.ndarray, list[str]] | None:
        steps, losses = self.data()
        if not len(steps):
            return None
        return (np.column_stack([steps, losses, smoothed(losses)]),
                ["batch", "loss", "smoothed loss"])


class AccuracyPanel(Panel):
    def __init__(self, parent=None):
        super().__init__("accuracyPanel", "Accuracy per epoch, on training and test images: "
                         "a widening gap means overfitting.", parent)
        self.caption.setToolTip("Training accuracy is averaged over the epoch's batches while "
                                "the weights are still improving; test accuracy is measured "
                                "at the epoch's end. So early on training can sit below test.")
        self.plot = pg.PlotWidget()
        plain_axes(self.plot)
        self.plot.setObjectName("accuracyPlot")  # PlotWidget ignores objectName=
        self.plot.setLabel("bottom", "epoch")
        self.plot.setLabel("left", "accuracy", units="%")
        show_grid(self.plot)
        keep_left_label_whole(self.plot)
        self.train = self.plot.plot(pen=pg.mkPen(TRAIN, width=2), symbol="o",
                                    symbolBrush=TRAIN, name="training")
        self.test = self.plot.plot(pen=pg.mkPen(TEST, width=2), symbol="s",
                                   symbolBrush=TEST, name="test")
        self.key = PlotKey("accuracyKey")  # beside the points, never over them
        self.key.set_entries([("training", TRAIN, "●"), ("test", TEST, "■")])
        self.body.addLayout(beside(self.plot, self.key), 1)
        self.epochs: list[EpochEnd] = []
        self.bottom = 100.0
        self.span = 0  # the epochs the x axis spans
        self.redraw = Throttle(self._draw, self)

    def reset(self, epochs: int = 1) -> None:
        """Empty curves on fixed axes for the whole run, as the loss panel's: relaying out an
        axis after every epoch cost the GUI thread (and so training) more than drawing the
        points."""
        self.epochs = []
        self.redraw.cancel()
        self.train.setData([], [])
        self.test.setData([], [])
        self.bottom = 100.0
        self.plot.disableAutoRange()
        self.plot.setYRange(89, 102, padding=0)
        self.span = 0
        self.cover(epochs)

    def cover(self, epochs: int) -> None:
        """Widen the x axis to `epochs` (a continued run's come after those shown)."""
        if epochs != self.span:
            self.span = epochs
            step = epoch_label_step(epochs)
            self.plot.getAxis("bottom").setTickSpacing(major=step, minor=step)
            self.plot.setXRange(0.5, epochs + 0.5, padding=0.02)

    def epochs_shown(self) -> int:
        """How many epochs the curves count so far (the last one's number)."""
        return self.epochs[-1].epoch + 1 if self.epochs else 0

    def add(self, epoch: EpochEnd) -> None:
        self.epochs.append(epoch)
        self.redraw.request()

    def _draw(self) -> None:
        lowest = min(min(100 * e.train_accuracy,
                         100 * e.test.accuracy if e.test is not None else 100.0)
                     for e in self.epochs)
        if lowest < self.bottom:  # the y range only ever grows, in steps of 10 %
            self.bottom = float(np.floor(lowest / 10) * 10)
            self.plot.setYRange(self.bottom - 1, 102, padding=0)  # 100 % keeps its label
        x = [e.epoch + 1 for e in self.epochs]
        self.train.setData(x, [100 * e.train_accuracy for e in self.epochs])
        tested = [e for e in self.epochs if e.test is not None]
        self.test.setData([e.epoch + 1 for e in tested], [100 * e.test.accuracy for e in tested])

    def exported_data(self) -> tuple[np.ndarray, list[str]] | None:
        if not self.epochs:
            return None
        return (np.array([[e.epoch + 1, 100 * e.train_accuracy,
                           100 * e.test.accuracy if e.test is not None else np.nan]
                          for e in self.epochs]),
                ["epoch", "training accuracy %", "test accuracy %"])
