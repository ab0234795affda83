"""`python -m studio bench --gui`: training in the real window against headless training.

The app's half of the bench (the headless one is `studio.bench`): it opens the window, so
it lives with the app.
"""

from __future__ import annotations

import os
import threading
import time

import numpy as np

from studio.engine import Network, TrainConfig, Trainer, compile_kernels
from studio.io import load_preset

# Training runs of about two seconds, headless and in the window: one run's figure moves a
# lot on a shared host (docs/performance.md, 'Cost of the live panels'), so the GUI bench
# keeps the best of more rounds.
GUI_ROUNDS = 5


def _window_run(epochs: int, probe: bool) -> tuple[float, np.ndarray]:
    """Train in the real window; (images/s, GUI-timer gaps in ms when `probe`)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from studio.app import create_main_window

    window = create_main_window([])
    window.confirm_discard = lambda: True  # a throwaway window: never ask to save it
    window.warmup.start()  # (the window starts it once its event loop runs)
    window.warmup.ready.wait()  # as when a person clicks Train: the kernels are loaded
    window.show()
    window.watch.tabs.setCurrentWidget(window.watch.feature_maps_page)
    gaps: list[float] = []
    last = [time.perf_counter()]
    rates: list[float] = []

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    window.training.progress.connect(lambda event, _: rates.append(event.images_per_second))
    window.training.ended.connect(QApplication.instance().quit)
    window.training.failed.connect(QApplication.instance().quit)
    window.training_panel.set_settings({"dataset": "synthetic", "epochs": epochs})
    window.start_training()  # the app's own settings: snapshots at its default rate
    if probe:
        timer.start(10)
    QApplication.instance().exec()
    timer.stop()
    window.close()
    return rates[-1], np.array(gaps[1:]) * 1000


def run_gui_bench(epochs: int = 20) -> dict[str, float]:
    """Headless vs in-window training of LeNet-5 on the synthetic digits, same batches.

    The window runs offscreen showing the feature-maps panel. Throughput is
    measured without the 10 ms probe timer (the probe itself costs the worker
    GIL hand-offs), headless and in the window alternating over GUI_ROUNDS rounds and
    keeping each one's best, as the main bench does; the gaps are measured in a
    last run with the probe.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from studio.data import synthetic_dataset

    def train_headless() -> None:  # on its own thread, as the app's worker does
        compile_kernels()  # loaded before timing, as the window's warm-up does
        dataset = synthetic_dataset()
        trainer = Trainer(Network(load_preset("lenet5")), dataset.train_images,
                          dataset.train_labels, dataset.test_images, dataset.test_labels,
                          TrainConfig(epochs=epochs, snapshot_interval=0))
        rates.append(trainer.run().images_per_second)

    rates: list[float] = []
    windowed = []
    for _ in range(GUI_ROUNDS):  # a shared machine's noise hits both
        thread = threading.Thread(target=train_headless)
        thread.start()
        thread.join()
        windowed.append(_window_run(epochs, probe=False)[0])
    headless, gui = max(rates), max(windowed)
    probed, gaps = _window_run(epochs, probe=True)
    figures = {"headless": headless, "gui": gui, "gui_probed": probed,
               "p50": float(np.median(gaps)), "p99": float(np.percentile(gaps, 99)),
               "max": float(gaps.max())}
    print(f"LeNet-5 on synthetic digits, {epochs} epochs of batch 64, live panels showing; "
          f"best of {GUI_ROUNDS} alternating rounds")
    print(f"headless training          {headless:>8.0f} images/s")
    print(f"in the window              {gui:>8.0f} images/s  ({gui / headless:.0%} of headless)")
    print(f"in the window, 10 ms probe {probed:>8.0f} images/s  ({probed / headless:.0%})")
    print(f"GUI-thread gaps of the 10 ms probe: median {figures['p50']:.1f} ms, "
          f"p99 {figures['p99']:.1f} ms, max {figures['max']:.1f} ms")
    return figures
