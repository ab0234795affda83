"""Kernel playground: a hand-made filter on a real digit, and what stride does to the gradient.

A conv layer's filter is the same object as the blur or edge detector of image
editing. Here the learner sets one by hand (or from a classic preset), sees its
output with the output-size formula filled in, can put it into a conv layer of
their network (as a starting filter, or fixed while training), and sees how the
stride reappears in the backward pass: dL/dY dilated with s − 1 zeros, then the
same full convolution with the rotated kernel.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from studio.engine import (
    KERNEL_PRESETS,
    apply_kernel,
    input_gradient_by_full_convolution,
    output_size,
)

from .colours import COLOUR_CHANNELS
from .image_grid import ImageGrid
from .panel import Panel

PADDINGS = ("valid", "same", "1", "2")
CELL_WIDTH = 52  # pixels per cell of the kernel's table: room for "-0.125"


def _cell_text(value: float) -> str:
    return f"{value:.4g}"


def stride_lesson(stride: int) -> str:
    """What the backward pass does with this stride, in words."""
    common = ("Backward: each input pixel's gradient is the sum of K's weights over every "
              "output that used it: dL/dY full-convolved with the 180°-rotated kernel.")
    if stride == 1:
        return (f"{common} With stride 1 no output was skipped, so dL/dY is used as it is "
                "(the dilated picture is dL/dY itself); try stride 2 to see what changes.")
    zeros = f"{stride - 1} zero{'s' if stride > 2 else ''}"
    return (f"{common} With stride {stride}, dL/dY is first spread out with {zeros} between "
            "its values — the outputs the stride skipped — and then convolved exactly as for "
            "stride 1. Pixels no window reached get no gradient at all.")


class KernelPlayground(Panel):
    #: conv layer, filter, kernel (k, k), keep fixed while training
    use_kernel = Signal(int, int, object, bool)

    def __init__(self, parent=None):
        super().__init__("kernelPlayground", "Set a kernel by hand or start from a classic "
                         "image filter, and see what it does to a digit. A conv layer learns "
                         "exactly such kernels; put yours into the network to compare.", parent)
        self.images: np.ndarray | None = None  # (N, C, H, W) in [0, 1]
        self._exact = np.zeros((0, 0))  # the kernel last set, before the table rounded it
        self._kernels: list[np.ndarray] = []  # each channel's kernel (the table shows one)
        self._shown_channel = 0
        self.conv_layers: list[tuple[int, int, int, int]] = []  # (index, k, filters, C)
        self._build_controls()
        columns = QHBoxLayout()
        columns.addLayout(self._controls_form())
        columns.addLayout(self._pictures_column(), 1)
        self.body.addLayout(columns, 1)
        self._connect()
        self.load_preset(self.preset.currentText())

    def _build_controls(self) -> None:
        self.preset = QComboBox()
        self.preset.setObjectName("kernelPreset")
        self.preset.addItems(list(KERNEL_PRESETS))
        self.size = QComboBox()
        self.size.addItems(["3×3", "5×5"])
        self.channel = QComboBox()  # a colour image: one kernel per channel, summed
        self.channel.setObjectName("kernelChannel")
        self.channel.addItems(list(COLOUR_CHANNELS))
        self.channel.setToolTip("A colour image has one kernel per channel: Y = Σ_c X_c ⋆ K_c. "
                                "The table shows the kernel of this channel.")
        self.channel_label = QLabel("channel")
        for widget in (self.channel, self.channel_label):
            widget.setVisible(False)
        self.table = QTableWidget(3, 3)
        self.table.setObjectName("kernelTable")
        self.table.horizontalHeader().setDefaultSectionSize(CELL_WIDTH)
        self.table.horizontalHeader().hide()
        self.table.verticalHeader().hide()
        for policy in (self.table.setHorizontalScrollBarPolicy,
                       self.table.setVerticalScrollBarPolicy):
            policy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # sized to show every cell
        self.stride = QSpinBox()
        self.stride.setRange(1, 3)
        self.padding = QComboBox()
        self.padding.addItems(PADDINGS)
        self.sample = QSpinBox()
        self.sample.setPrefix("test image #")
        self.target = QComboBox()  # conv layers with this kernel size
        self.filter = QSpinBox()
        self.filter.setPrefix("filter ")
        self.frozen = QCheckBox("keep it fixed while training")
        self.put = QPushButton("Put into the network")
        self.put.setObjectName("useKernel")

    def _controls_form(self) -> QFormLayout:
        controls = QFormLayout()
        controls.addRow("start from", self.preset)
        shape = QHBoxLayout()  # one row: at 1024×700 the tab has no height to spare
        for label, widget in (("size", self.size), ("stride", self.stride),
                              ("padding", self.padding)):
            shape.addWidget(QLabel(label))
            shape.addWidget(widget)
        controls.addRow(shape)
        channel = QHBoxLayout()
        channel.addWidget(self.channel_label)
        channel.addWidget(self.channel, 1)
        controls.addRow(channel)
        controls.addRow(self.table)
        controls.addRow("image", self.sample)
        into = QHBoxLayout()
        into.addWidget(self.target, 1)
        into.addWidget(self.filter)
        controls.addRow("into", into)
        controls.addRow(self.frozen)
        controls.addRow(self.put)
        return controls

    def _pictures_column(self) -> QVBoxLayout:
        """The output-size formula, the five pictures of the lesson, and its sentence."""
        self.formula = QLabel()
        self.formula.setObjectName("outputSizeFormula")
        self.formula.setWordWrap(True)
        self.grids = {name: ImageGrid(diverging=name != "input", columns=1)
                      for name in ("input", "output", "dL/dY", "dilated", "dL/dX")}
        pictures = QGridLayout()
        captions = {"input": "the digit X", "output": "Y = X ⋆ K",
                    "dL/dY": "dL/dY (all ones)", "dilated": "dilated by s − 1 zeros",
                    "dL/dX": "dL/dX = full conv. with rot180(K)"}
        for column, (name, grid) in enumerate(self.grids.items()):
            row = 0 if column < 2 else 2
            place = column if column < 2 else column - 2
            pictures.addWidget(QLabel(captions[name]), row, place)
            pictures.addWidget(grid, row + 1, place)
        self.lesson = QLabel()
        self.lesson.setObjectName("strideLesson")
        self.lesson.setWordWrap(True)
        right = QVBoxLayout()
        right.addWidget(self.formula)
        right.addLayout(pictures, 1)
        right.addWidget(self.lesson)
        return right

    def _connect(self) -> None:
        self.preset.currentTextChanged.connect(self.load_preset)
        self.size.currentIndexChanged.connect(self._on_size_change)
        self.channel.currentIndexChanged.connect(self._on_channel_change)
        self.table.itemChanged.connect(lambda _: self.refresh())
        for widget in (self.stride, self.sample):
            widget.valueChanged.connect(lambda _: self.refresh())
        self.padding.currentIndexChanged.connect(lambda _: self.refresh())
        self.target.currentIndexChanged.connect(self._on_target_change)
        self.put.clicked.connect(self._on_put)

    # inputs from the page --------------------------------------------------------
    def set_images(self, images: np.ndarray) -> None:
        """Test images (N, H, W) or (N, C, H, W), uint8 or [0, 1]; colour ones (C = 3) get
        one kernel per channel."""
        images = np.asarray(images)
        images = images[:, None] if images.ndim == 3 else images
        self.images = images.astype(np.float32) / (255.0 if images.dtype == np.uint8 else 1.0)
        colour = self.images.shape[1] == len(COLOUR_CHANNELS)
        for widget in (self.channel, self.channel_label):
            widget.setVisible(colour)
        self._kernels = [self.kernel()] * self.images.shape[1]
        self.sample.setRange(0, len(self.images) - 1)
        self._fill_targets()  # conv layers on this many channels
        self.refresh()

    def set_conv_layers(self, layers: list[tuple[int, int, int, int]]) -> None:
        """(index, kernel size, filters, input channels) of the network's conv layers."""
        self.conv_layers = layers
        self._fill_targets()

    # the kernel -------------------------------------------------------------------
    def kernel(self) -> np.ndarray:
        """The table's kernel; a cell still showing a preset's rounded value keeps its exact one."""
        k = self.table.rowCount()
        values = np.zeros((k, k))
        for i in range(k):
            for j in range(k):
                item = self.table.item(i, j)
                text = item.text() if item else ""
                if self._exact.shape == (k, k) and text == _cell_text(self._exact[i, j]):
                    values[i, j] = self._exact[i, j]
                    continue
                try:
                    values[i, j] = float(text)
                except ValueError:
                    values[i, j] = 0.0  # a half-typed number counts as 0 until it parses
        return values

    def kernels(self) -> np.ndarray:
        """(C, k, k): every channel's kernel, the one in the table as it reads now."""
        kernels = list(self._kernels) or [self.kernel()]
        kernels[min(self.channel.currentIndex(), len(kernels) - 1)] = self.kernel()
        return np.stack(kernels)

    def set_kernel(self, kernel: np.ndarray) -> None:
        """The same kernel on every channel (a preset, a new size)."""
        self._kernels = [np.array(kernel, dtype=float)] * max(1, len(self._kernels))
        self._show_kernel(kernel)

    def _show_kernel(self, kernel: np.ndarray) -> None:
        k = kernel.shape[0]
        self.table.blockSignals(True)
        self.size.blockSignals(True)
        self.size.setCurrentIndex(0 if k == 3 else 1)
        self.table.setRowCount(k)
        self.table.setColumnCount(k)
        self._exact = np.array(kernel, dtype=float)
        for i in range(k):
            for j in range(k):
                self.table.setItem(i, j, QTableWidgetItem(_cell_text(kernel[i, j])))
        self.size.blockSignals(False)
        self.table.blockSignals(False)
        self._fit_table()
        self._fill_targets()
        self.refresh()

    def _fit_table(self) -> None:
        """The kernel's table exactly as large as its cells: no scrolling to reach one."""
        k, frame = self.table.rowCount(), 2 * self.table.frameWidth()
        row_height = self.table.verticalHeader().defaultSectionSize()
        self.table.setFixedSize(k * CELL_WIDTH + frame, k * row_height + frame)

    def load_preset(self, name: str) -> None:
        self.set_kernel(KERNEL_PRESETS[name])

    def _on_size_change(self, index: int) -> None:
        k = 3 if index == 0 else 5
        resized = []
        for old in self.kernels():
            kernel = np.zeros((k, k))
            if k > old.shape[0]:
                kernel[1:4, 1:4] = old  # a 3×3 kernel centred in 5×5 does the same
            else:
                kernel[...] = old[1:4, 1:4]
            resized.append(kernel)
        self._kernels = resized
        self._show_kernel(resized[min(self.channel.currentIndex(), len(resized) - 1)])

    def _on_channel_change(self, index: int) -> None:
        """Keep the table's kernel for the channel it was showing; show this channel's."""
        if len(self._kernels) > 1:
            self._kernels[self._shown_channel] = self.kernel()
            self._show_kernel(self._kernels[index])
        self._shown_channel = index

    # what it does -------------------------------------------------------------------
    def refresh(self) -> None:
        if self.images is None:
            return
        image = self.images[self.sample.value()]  # (C, H, W)
        kernels, stride = self.kernels(), self.stride.value()
        channel = min(self.channel.currentIndex(), len(kernels) - 1)
        kernel = kernels[channel]
        padding = self.padding.currentText()
        padding = int(padding) if padding.isdigit() else padding
        try:  # Y = Σ_c X_c ⋆ K_c
            output = sum(apply_kernel(plane, k, stride, padding)
                         for plane, k in zip(image, kernels))
        except ValueError as error:  # e.g. 'same' with stride 2: say why, show nothing stale
            self.formula.setText(str(error))
            for name, grid in self.grids.items():
                if name != "input":
                    grid.clear_images()
            return
        k = kernel.shape[0]
        pad = (k - 1) // 2 if padding == "same" else (0 if padding == "valid" else padding)
        size = image.shape[-1]
        self.formula.setText(
            f"output size W_o = ⌊(W_i + 2p − f)/s⌋ + 1 = ⌊({size} + 2·{pad} − {k})/{stride}⌋ "
            f"+ 1 = {output_size(size, k, stride, pad)}, so Y is "
            f"{output.shape[0]}×{output.shape[1]}")
        ones = np.ones_like(output, dtype=np.float64)
        dilated, grad_x = input_gradient_by_full_convolution(ones, kernel, image.shape[1:],
                                                             stride, padding)
        colour = len(image) == len(COLOUR_CHANNELS)
        self.grids["input"].show_images(image.transpose(1, 2, 0)[None] if colour else image,
                                        levels=(0.0, 1.0))
        for name, array in (("output", output), ("dL/dY", ones), ("dilated", dilated),
                            ("dL/dX", grad_x)):
            self.grids[name].show_images(array[None])
        self.lesson.setText(stride_lesson(stride))

    def exported_data(self) -> tuple[np.ndarray, list[str]] | None:
        """The filtered digit Y = X ⋆ K on show."""
        output = self.grids["output"].images
        return None if output is None else (output[0], [])

    # into the network ------------------------------------------------------------
    def _fill_targets(self) -> None:
        k = self.table.rowCount()
        channels = 1 if self.images is None else self.images.shape[1]
        self.target.blockSignals(True)
        self.target.clear()
        for index, kernel, filters, inputs in self.conv_layers:
            if kernel == k and inputs == channels:
                self.target.addItem(f"layer {index} (conv {filters} filters)", (index, filters))
        self.target.blockSignals(False)
        usable = self.target.count() > 0
        self.put.setEnabled(usable)
        self.put.setToolTip("" if usable else f"the network has no {k}×{k} conv layer on "
                            f"the image's {channels} channel{'s' if channels > 1 else ''}")
        self._on_target_change()

    def _on_target_change(self, _index: int = 0) -> None:
        data = self.target.currentData()
        self.filter.setRange(0, data[1] - 1 if data else 0)

    def _on_put(self) -> None:
        data = self.target.currentData()
        if data is not None:
            kernels = self.kernels()
            self.use_kernel.emit(data[0], self.filter.value(),
                                 kernels[0] if len(kernels) == 1 else kernels,
                                 self.frozen.isChecked())
