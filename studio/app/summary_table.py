"""Per-layer costs: output shape, parameters, multiply-adds, training memory per batch.

The memory figures are the engine's own (`activation_bytes`, `bytes_needed`), the ones it
checks before training, so the table never promises a network the engine then refuses.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from studio.engine import Analysis, activation_bytes, bytes_needed

from .canvas import describe, shape_text

COLUMNS = ("#", "layer", "output", "parameters", "multiply-adds", "memory / batch")
MEMORY_TIP = ("Training memory per batch: each layer's output, its gradient and the kernels' "
              "scratch; the total adds the parameters, their gradients and the optimiser's "
              "state — the figure checked before training starts")


def count_text(count: int, noun: str) -> str:
    """'1 layer', '12 layers', '61,706 parameters'."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def memory_text(size: int) -> str:
    """`size` bytes in kB or MB."""
    return f"{size / 1e6:.1f} MB" if size >= 1e5 else f"{size / 1e3:.1f} kB"


def cost_rows(analysis: Analysis, batch_size: int) -> list[tuple[str, ...]]:
    """The table's text: one row per layer, then the total."""
    rows = [(str(info.index), describe(info), shape_text(info.output_shape),
             f"{info.parameters:,}", f"{info.macs:,}",
             memory_text(activation_bytes(info.activations, batch_size)))
            for info in analysis.layers]
    rows.append(("", "total", shape_text(analysis.output_shape if analysis.ok else None),
                 f"{analysis.total_parameters:,}", f"{analysis.total_macs:,}",
                 memory_text(bytes_needed(analysis, batch_size))))
    return rows


class SummaryTable(QTableWidget):
    """Rows follow the analysis; memory is what the engine reserves for training."""

    def __init__(self, parent=None):
        super().__init__(0, len(COLUMNS), parent)
        self.setObjectName("layerTable")
        self.setHorizontalHeaderLabels(COLUMNS)
        self.horizontalHeaderItem(COLUMNS.index("memory / batch")).setToolTip(MEMORY_TIP)
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.horizontalHeader()
        # every column as wide as its contents: a stretched layer column left the numbers
        # a screen's width from the names they belong to
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

    def show_analysis(self, analysis: Analysis, batch_size: int) -> None:
        rows = cost_rows(analysis, batch_size)
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c >= 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.setItem(r, c, item)
