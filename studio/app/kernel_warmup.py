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
    rest: its textbook loops, then its fast kernels (`first_ready`), then every other path
    (`ready`); `done(seconds)` arrives on the GUI thread when every kernel is ready. The
    engine (Numba, SciPy's BLAS) is imported on that thread too, not while the window opens.

    A run started meanwhile trains on the textbook loops until its fast kernels are ready
    (`fast_kernels_for`), so a first launch's first batch waits seconds, not minutes."""

    done = Signal(float)

    def __init__(self, first: dict | None = None, batch: int = 64,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.first, self.batch = first, batch
        self.first_ready = threading.Event()
        self.ready = threading.Event()
        # a daemon thread: quitting during a first-launch compile must not wait for it
        self.thread = threading.Thread(target=self._run, name="kernel warm-up", daemon=True)

    def start(self) -> None:
        if self.thread.ident is None:  # not started yet
            self.thread.start()

    def fast_kernels_for(self, architecture: dict) -> threading.Event:
        """Set once the fast kernels a run of `architecture` needs are compiled."""
        return self.first_ready if architecture == self.first else self.ready

    def _run(self) -> None:
        from studio.data import synthetic_digits
        from studio.engine import compile_kernels

        started = time.perf_counter()
        compile_kernels(self.first, self.batch, only_first=True, engine="textbook")
        compile_kernels(self.first, self.batch, only_first=True)
        self.first_ready.set()
        compile_kernels(self.first, self.batch)
        synthetic_digits(1)  # the offline dataset's renderer is a kernel too
        self.ready.set()
        with suppress(RuntimeError):  # the window closed while the kernels compiled
            self.done.emit(time.perf_counter() - started)
