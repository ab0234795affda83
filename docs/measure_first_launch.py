"""Seconds from a first launch to LeNet-5's first training batch, Train pressed at once.

Run with an empty kernel cache and a fresh home, offscreen, given the MNIST folder:

    NUMBA_CACHE_DIR=$(mktemp -d) HOME=$(mktemp -d) QT_QPA_PLATFORM=offscreen \\
        .venv/bin/python docs/measure_first_launch.py ../shared/data/mnist

Prints, in seconds since the interpreter started this script: Train pressed, the first
batch (on the textbook loops while the fast kernels compile), and the first batch on
the fast kernels with its step number. The run is stopped there.
"""

import json
import sys
import time

STARTED = time.perf_counter()

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from studio.app import create_main_window  # noqa: E402

window = create_main_window(["--data", sys.argv[1]])
window.confirm_discard = lambda: True
window.show()
app = QApplication.instance()
marks: dict[str, float] = {}


def since_start() -> float:
    return round(time.perf_counter() - STARTED, 2)


def on_progress(event, _history) -> None:
    marks.setdefault("first batch", since_start())
    if not event.compiling and "first fast batch" not in marks:
        marks["first fast batch"], marks["its step"] = since_start(), event.step
        window.stop_training()
        QTimer.singleShot(2000, app.quit)


def train() -> None:
    marks["Train pressed"] = since_start()
    window.train_button.click()


window.training.progress.connect(on_progress)
QTimer.singleShot(0, train)
app.exec()
print(json.dumps(marks))
