"""Compiling the engine's kernels in the background at start-up, and saying so.

On a first launch Numba needs many seconds to compile every kernel (figures:
docs/performance.md, 'First launch'); without this, that pause would land on the
first Train click or — worse, on the GUI thread — on the first digit drawn. Later
launches load the kernels from Numba's cache in well under a second.
"""

from __future__ import annotations

import threading
import time
from contextlib import suppress

from PySide6.QtCore import QObject, Signal


class KernelWarmup(QObject):
    """Compiles, once started, the kernels of `first` (the network on the canvas) before the
    rest; `done(seconds)` arrives on the GUI thread when every kernel is ready. The engine
    (Numba, SciPy's BLAS) is imported on that thread too, not while the window opens.

    Numba compiles one kernel at a time, so while a run that has just started compiles
    what its first batch needs, the rest waits (`hold` until `release`)."""

    done = Signal(float)

    def __init__(self, first: dict | None = None, batch: int = 64,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.first, self.batch = first, batch
        self.ready = threading.Event()
        self._may_go_on = threading.Event()
        self._may_go_on.set()
        # a daemon thread: quitting during a first-launch compile must not wait for it
        self.thread = threading.Thread(target=self._run, name="kernel warm-up", daemon=True)

    def start(self) -> None:
        if self.thread.ident is None:  # not started yet
            self.thread.start()

    def hold(self) -> None:
        """Compile nothing beyond the first network's first batch until `release`."""
        self._may_go_on.clear()

    def release(self) -> None:
        self._may_go_on.set()

    def _run(self) -> None:
        from studio.data import synthetic_digits
        from studio.engine import compile_kernels

        started = time.perf_counter()
        compile_kernels(self.first, self.batch, first_batch_only=True)
        self._may_go_on.wait()
        compile_kernels(self.first, self.batch)
        synthetic_digits(1)  # the offline dataset's renderer is a kernel too
        self.ready.set()
        with suppress(RuntimeError):  # the window closed while the kernels compiled
            self.done.emit(time.perf_counter() - started)
