"""`python -m studio bench`: images/s of the engine, and of PyTorch CPU in the same run.

Both run on the same number of threads (Numba's thread count; torch is set to
it), on the same random batches, after a warm-up. Ratios are what to compare;
absolute figures vary from run to run on a shared machine.
"""

from __future__ import annotations

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
