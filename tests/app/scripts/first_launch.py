"""Run by tests/installed_app.py with the installed wheel and an empty Numba cache (as a
first launch is): the window's event loop must keep ticking while every kernel compiles in
the background."""

import json
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

import studio
from studio.app import create_main_window

window = create_main_window([])
window.confirm_discard = lambda: True
window.show()
app = QApplication.instance()
first = window.statusBar().currentMessage()
gaps, last = [], [time.perf_counter()]


def tick():
    now = time.perf_counter()
    gaps.append(now - last[0])
    last[0] = now


timer = QTimer()
timer.timeout.connect(tick)
timer.start(10)
messages = []
window.warmup.done.connect(
    lambda _: (messages.append(window.statusBar().currentMessage()),
               QTimer.singleShot(300, app.quit)))
app.exec()
gaps.sort()
print(json.dumps({"studio": studio.__file__, "first": first, "done": messages,
                  "max_gap_ms": 1000 * gaps[-1], "p99_gap_ms": 1000 * gaps[int(0.99 * len(gaps))]}))
window.close()
