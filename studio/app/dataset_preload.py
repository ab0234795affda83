"""Loading a reopened project's dataset in the background, so its last run shows as it was left.

The mistakes gallery needs the test images; without them a reopened project
showed an empty Mistakes tab until the next run. Only a dataset already on this
machine is loaded (never a download), on a daemon thread, and a dataset that
cannot be read is left for Train to report.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from PySide6.QtCore import QObject, Signal

from studio.data import DataError, Dataset


class DatasetPreload(QObject):
    loaded = Signal(object, object)  # the source key it was loaded for, the Dataset

    def start(self, source: Any, load: Callable[..., Dataset]) -> None:
        """`load(progress, cancelled)` as the training worker calls it, on a new thread."""
        threading.Thread(target=self._run, args=(source, load), name="dataset preload",
                         daemon=True).start()

    def _run(self, source: Any, load: Callable[..., Dataset]) -> None:
        try:
            dataset = load(None, lambda: False)
        except (DataError, OSError, ValueError):
            return  # Train says what is wrong with it
        with suppress(RuntimeError):  # the window closed meanwhile
            self.loaded.emit(source, dataset)
