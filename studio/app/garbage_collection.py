"""Python's cyclic garbage collection, run on the GUI thread only.

Left automatic, a collection may start on whichever thread allocates (the training
or the kernel warm-up thread) and destroy Qt objects there, which deadlocks. This is
the collector pyqtgraph ships (`pyqtgraph.util.garbage_collector`), written out
because importing it imports all of pyqtgraph, which the window does not need to open.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer


class GuiThreadCollector(QObject):
    """Turns automatic collection off and collects, generation by generation as Python
    would, on a timer of the thread that creates it."""

    def __init__(self, interval_ms: int = 1000, parent: QObject | None = None):
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.collect)
        self.timer.start(interval_ms)

    def collect(self) -> None:
        for generation, (count, threshold) in enumerate(zip(gc.get_count(), self.thresholds)):
            if count <= threshold:
                return
            gc.collect(generation)
