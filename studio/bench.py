"""`python -m studio bench`: images/s of the engine, and of PyTorch CPU in the same run.

Both run on the same number of threads (Numba's thread count; torch is set to
it), on the same random batches, after a warm-up. Ratios are what to compare;
absolute figures vary from run to run on a shared machine.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numba
import numpy as np

from studio.engine import Network, softmax_cross_entropy
from studio.engine.optimizers import SGD
from studio.engine.threads import single_threaded_blas
from studio.io import load_preset

NETWORKS = {"LeNet-5": "lenet5", "wide 32-64": "wide"}


def _rate(run: Callable[[], None], images: int, seconds: float) -> float:
    """Images per second of `run`, repeated for about `seconds` after one warm-up call."""
    run()
    count, started = 0, time.perf_counter()
    while True:
        run()
        count += 1
        elapsed = time.perf_counter() - started
        if elapsed >= seconds and count >= 3:
            return count * images / elapsed


def _batch(batch: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.integers(0, 256, (batch, 1, 28, 28)).astype(np.float32) / 255
    return x, rng.integers(0, 10, batch)


def engine_rates(architecture: dict[str, Any], batch: int, seconds: float) -> tuple[float, float]:
    """(training, inference at batch 1000) images/s of the engine."""
    network = Network(architecture)
    optimizer = SGD(network.parameters, network.gradients)
    rng = np.random.default_rng(0)
    x, y = _batch(batch, rng)
    x_big, _ = _batch(1000, rng)

    def train_step() -> None:
        logits = network.forward(x, training=True)
        _, grad = softmax_cross_entropy(logits, y)
        network.backward(grad)
        optimizer.step(0.01)

    with single_threaded_blas():
        train = _rate(train_step, batch, seconds)
        infer = _rate(lambda: network.forward(x_big), 1000, seconds)
    return train, infer


def torch_rates(architecture: dict[str, Any], batch: int, seconds: float) -> tuple[float, float]:
    import torch

    from studio.io.torch_sequential import to_torch_sequential

    model = to_torch_sequential(architecture)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    loss_fn = torch.nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    x, y = (torch.from_numpy(a) for a in _batch(batch, rng))
    x_big = torch.from_numpy(_batch(1000, rng)[0])

    def train_step() -> None:
        optimizer.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        optimizer.step()

    def infer() -> None:
        with torch.inference_mode():
            model(x_big)

    model.train()
    train = _rate(train_step, batch, seconds)
    model.eval()
    return train, _rate(infer, 1000, seconds)


def layer_times(architecture: dict[str, Any], batch: int, repeats: int) -> list[tuple]:
    """(index, type, forward ms, backward ms) per layer for one training batch."""
    network = Network(architecture)
    x, y = _batch(batch, np.random.default_rng(0))
    forward = np.zeros(len(network.layers))
    backward = np.zeros(len(network.layers))
    with single_threaded_blas():
        for repeat in range(repeats + 1):
            h = x
            for i, layer in enumerate(network.layers):
                started = time.perf_counter()
                h = layer.forward(h, True)
                forward[i] += (time.perf_counter() - started) * (repeat > 0)
            _, grad = softmax_cross_entropy(h, y)
            for i in range(len(network.layers) - 1, -1, -1):
                started = time.perf_counter()
                grad = network.layers[i].backward(grad, i > 0)
                backward[i] += (time.perf_counter() - started) * (repeat > 0)
    return [(layer.index, layer.kind, 1e3 * f / repeats, 1e3 * b / repeats)
            for layer, f, b in zip(network.layers, forward, backward)]


def run_bench(vs_torch: bool = False, quick: bool = False, batch: int = 64) -> list[dict]:
    """Print the table and return its rows."""
    threads = numba.get_num_threads()
    seconds = 0.5 if quick else 2.0
    torch_version = ""
    if vs_torch:
        import torch

        torch.set_num_threads(threads)
        torch_version = torch.__version__
    print(f"threads: {threads} (engine: Numba; PyTorch {torch_version or 'not measured'})")
    print(f"training at batch {batch}, inference at batch 1000; images/s (higher is better)\n")
    header = f"{'network':<12} {'phase':<10} {'engine':>10}"
    if vs_torch:
        header += f" {'pytorch':>10} {'ratio':>7}"
    print(header)
    rows = []
    for label, preset in NETWORKS.items():
        architecture = load_preset(preset)
        ours = engine_rates(architecture, batch, seconds)
        theirs = torch_rates(architecture, batch, seconds) if vs_torch else (None, None)
        for phase, mine, other in zip(("training", "inference"), ours, theirs):
            line = f"{label:<12} {phase:<10} {mine:>10.0f}"
            if other:
                line += f" {other:>10.0f} {mine / other:>6.2f}×"
            print(line)
            rows.append({"network": label, "phase": phase, "engine": mine, "pytorch": other})
    for label, preset in NETWORKS.items():
        print(f"\nper-layer time, {label}, one training batch of {batch} (ms)")
        print(f"{'layer':<18} {'forward':>8} {'backward':>9}")
        for index, kind, fwd, bwd in layer_times(load_preset(preset), batch, 3 if quick else 20):
            print(f"{f'{index} {kind}':<18} {fwd:>8.3f} {bwd:>9.3f}")
    return rows


def _window_run(epochs: int, probe: bool) -> tuple[float, np.ndarray]:
    """Train in the real window; (images/s, GUI-timer gaps in ms when `probe`)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from studio.app import create_main_window

    window = create_main_window([])
    window.show()
    window.watch.tabs.setCurrentWidget(window.watch.feature_maps)
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
    window.undo_stack.setClean()
    window.close()
    return rates[-1], np.array(gaps[1:]) * 1000


def run_gui_bench(epochs: int = 6) -> dict[str, float]:
    """Headless vs in-window training of LeNet-5 on the synthetic digits, same batches.

    The window runs offscreen showing the feature-maps panel. Throughput is
    measured without the 10 ms probe timer (the probe itself costs the worker
    GIL hand-offs); the gaps are measured in a second run with it.
    """
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from studio.data import synthetic_dataset
    from studio.engine import TrainConfig, Trainer

    def train_headless() -> None:  # on its own thread, as the app's worker does
        dataset = synthetic_dataset()
        trainer = Trainer(Network(load_preset("lenet5")), dataset.train_images,
                          dataset.train_labels, dataset.test_images, dataset.test_labels,
                          TrainConfig(epochs=epochs, snapshot_interval=0))
        rates.append(trainer.run().images_per_second)

    rates: list[float] = []
    thread = threading.Thread(target=train_headless)
    thread.start()
    thread.join()
    headless = rates[0]
    gui, _ = _window_run(epochs, probe=False)
    probed, gaps = _window_run(epochs, probe=True)
    figures = {"headless": headless, "gui": gui, "gui_probed": probed,
               "p50": float(np.median(gaps)), "p99": float(np.percentile(gaps, 99)),
               "max": float(gaps.max())}
    print(f"LeNet-5 on synthetic digits, {epochs} epochs of batch 64, live panels showing")
    print(f"headless training          {headless:>8.0f} images/s")
    print(f"in the window              {gui:>8.0f} images/s  ({gui / headless:.0%} of headless)")
    print(f"in the window, 10 ms probe {probed:>8.0f} images/s  ({probed / headless:.0%})")
    print(f"GUI-thread gaps of the 10 ms probe: median {figures['p50']:.1f} ms, "
          f"p99 {figures['p99']:.1f} ms, max {figures['max']:.1f} ms")
    return figures
