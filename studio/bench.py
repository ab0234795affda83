"""`python -m studio bench`: images/s of the engine, and of PyTorch CPU or onnxruntime in
the same run.

All run on the same number of threads (Numba's thread count; torch and onnxruntime are
set to it), on the same batches, after a warm-up. Ratios are what to compare;
absolute figures vary from run to run on a shared machine. Headless: it reaches the
engine through `studio.engine` only, imports torch and onnxruntime only when asked to
compare, and never the app (the `--gui` bench is `studio.app.bench_window`).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numba
import numpy as np
from numba import njit

from studio.engine import (
    ConvPlan,
    Network,
    analyse,
    as_input,
    blas_kernels,
    make_optimizer,
    single_threaded_blas,
    softmax_cross_entropy,
)
from studio.io import load_preset, to_onnx, to_torch_sequential

NETWORKS = {"LeNet-5": "lenet5", "wide 32-64": "wide"}
TRAINING_BATCHES = (16, 32, 64, 128, 256)
INFERENCE_BATCH = 1000
ROUNDS = 3  # engine and PyTorch alternate, best round of each: a shared machine's noise hits both
ONNX_BATCHES = (1, 64, 1000)
SGEMM_PEAK_SIZES = (256, 512)  # square sgemm sizes whose best rate is the peak
#: real MNIST beside the project (`../shared/data/mnist`), when it is there
SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


class BenchError(ValueError):
    """A comparison that cannot be made (a missing runtime, logits that disagree)."""


@dataclass
class Steps:
    """One framework's training step, inference pass and single-image pass for a network."""

    train: Callable[[], None]
    infer: Callable[[], None]
    single: Callable[[], None]


def _batch(batch: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.integers(0, 256, (batch, 1, 28, 28)).astype(np.float32) / 255
    return x, rng.integers(0, 10, batch)


def engine_steps(architecture: dict[str, Any], batch: int, engine: str = "fast") -> Steps:
    """The engine's steps, as the trainer runs them (SGD with Nesterov momentum)."""
    network = Network(architecture, engine=engine)
    optimizer = make_optimizer("sgd", network.parameters, network.gradients)
    rng = np.random.default_rng(0)
    x, y = _batch(batch, rng)
    x_big, _ = _batch(INFERENCE_BATCH, rng)

    def train() -> None:  # layer outputs are kept only in the steps health is checked
        logits = network.forward(x, training=True, layer_outputs=False)
        _, grad = softmax_cross_entropy(logits, y)
        network.backward(grad)
        optimizer.step(0.01)

    return Steps(train, lambda: network.forward(x_big, layer_outputs=False),  # as evaluate()
                 lambda: network.forward(x[:1]))


def torch_steps(architecture: dict[str, Any], batch: int) -> Steps:
    """The same steps in PyTorch CPU, with the same optimiser."""
    import torch

    model = to_torch_sequential(architecture)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    loss_fn = torch.nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    x, y = (torch.from_numpy(a) for a in _batch(batch, rng))
    x_big = torch.from_numpy(_batch(INFERENCE_BATCH, rng)[0])

    def train() -> None:
        model.train()
        optimizer.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        optimizer.step()

    def run(images: Any) -> Callable[[], None]:
        def infer() -> None:
            model.eval()
            with torch.inference_mode():
                model(images)
        return infer

    return Steps(train, run(x_big), run(x[:1]))


def _seconds_per_call(run: Callable[[], None], seconds: float) -> float:
    """Mean seconds of `run`, repeated for about `seconds` after one warm-up call."""
    run()
    count, started = 0, time.perf_counter()
    while True:
        run()
        count += 1
        elapsed = time.perf_counter() - started
        if elapsed >= seconds and count >= 3:
            return elapsed / count


def _latency_ms(run: Callable[[], None], calls: int = 300) -> float:
    """Median milliseconds of `run` over `calls` calls: one image is too quick to time in bulk."""
    run()
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return 1e3 * float(np.median(times))


def _best_of_rounds(runs: list[Callable[[], None]], seconds: float, rounds: int = ROUNDS
                    ) -> list[float]:
    """Fastest seconds per call of each run, the runs alternating over `rounds` rounds."""
    best = [np.inf] * len(runs)
    for _ in range(rounds):
        for i, run in enumerate(runs):
            best[i] = min(best[i], _seconds_per_call(run, seconds / rounds))
    return best


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def llvm_target() -> tuple[str, list[str]]:
    """The CPU name LLVM compiles the kernels for (NUMBA_CPU_NAME when set, else the host)
    and its vector features, as Numba hands them to LLVM (NUMBA_CPU_FEATURES likewise)."""
    import llvmlite.binding as llvm

    name = numba.config.CPU_NAME or llvm.get_host_cpu_name()
    features = numba.config.CPU_FEATURES
    if features is None:
        features = llvm.get_host_cpu_features().flatten() if numba.config.CPU_NAME is None \
            else ""  # a named CPU brings its own features, not the host's
    vector = ("avx512f", "avx2", "avx", "fma", "sse4.2", "neon", "asimd", "sve", "sve2")
    enabled = {f[1:] for f in features.split(",") if f.startswith("+")}
    return name, [f for f in vector if f in enabled]


def preferred_vector_bits() -> int:
    """The width LLVM vectorises a float32 loop at for this target, read from the registers
    of a loop compiled here (x86: zmm 512, ymm 256, xmm 128 bits), not guessed from the
    features: LLVM prefers 256-bit vectors on some AVX-512 CPUs. 128 elsewhere (NEON)."""
    from numba import njit as jit  # uncached: it must honour this process's target

    def scale(a):
        for i in range(a.size):
            a[i] *= 2.0

    compiled = jit(scale)
    compiled(np.zeros(64, np.float32))
    assembly = next(iter(compiled.inspect_asm().values())).lower()
    for register, bits in (("zmm", 512), ("ymm", 256), ("xmm", 128)):
        if f"%{register}" in assembly:
            return bits
    return 128


def target_line() -> str:
    """Where the figures come from: the CPU, the target LLVM compiles for, its vectors."""
    name, features = llvm_target()
    chosen = "NUMBA_CPU_NAME" if numba.config.CPU_NAME else "the host"
    listed = " ".join(features) or ("the features that CPU has" if numba.config.CPU_NAME
                                     else "no vector features")
    return (f"LLVM target: {name} ({chosen}; {listed}), "
            f"float32 loops vectorised at {preferred_vector_bits()} bits")


def sgemm_peak(seconds: float = 1.0) -> float:
    """GFLOP/s of one thread's sgemm (BLAS pinned to one thread, called from Numba as the
    kernels call it), the best of square sizes 256 and 512: this machine's arithmetic
    ceiling per core. One size is not enough: on a Zen 1 core OpenBLAS runs 256×256 at a
    quarter of the rate it reaches from 384 on (docs/performance.md, 'The peak')."""
    rates = []
    for size in SGEMM_PEAK_SIZES:
        a = np.random.default_rng(0).random((size, size), dtype=np.float32)
        out = np.empty_like(a)
        with single_threaded_blas():
            per_call = _seconds_per_call(lambda a=a, out=out: _sgemm(a, a, out, 4),
                                         seconds / len(SGEMM_PEAK_SIZES)) / 4
        rates.append(2 * size**3 / per_call / 1e9)
    return max(rates)


@njit(cache=True, nogil=True)
def _sgemm(a, b, out, repeats):
    for _ in range(repeats):
        np.dot(a, b, out)


def conv_paths(architecture: dict[str, Any]) -> dict[int, str]:
    """Each conv layer's paths in a training step, as its plan names them (`summary`)."""
    return {i: plan.summary for i, plan in enumerate(Network(architecture).plans)
            if isinstance(plan, ConvPlan)}


def flops_per_image(architecture: dict[str, Any]) -> tuple[float, float]:
    """(training, inference) floating-point operations per image.

    A multiply-accumulate is 2 FLOPs. Training adds the backward pass: dL/dW costs
    as much as the forward pass, and dL/dX as much again except for the first
    layer, whose input gradient is never computed.
    """
    layers = analyse(architecture).layers
    forward = sum(2 * layer.macs for layer in layers)
    backward = sum(2 * layer.macs * (1 if i == 0 else 2) for i, layer in enumerate(layers))
    return forward + backward, forward


def layer_times(architecture: dict[str, Any], batch: int, repeats: int) -> list[tuple]:
    """(index, type, forward ms, backward ms, forward GFLOP/s, backward GFLOP/s) per layer
    for one training batch, the median of `repeats` steps after one warm-up (robust to the
    odd step a shared machine slows); GFLOP/s is 0 for layers without multiply-accumulates."""
    network = Network(architecture)
    macs = [layer.macs for layer in analyse(architecture).layers]
    x, y = _batch(batch, np.random.default_rng(0))
    forward = np.zeros((repeats + 1, len(network.layers)))
    backward = np.zeros_like(forward)
    network.keep_layer_outputs(False)  # as in most training steps (see `engine_steps`)
    with single_threaded_blas():
        for repeat in range(repeats + 1):
            h = x
            for i, layer in enumerate(network.layers):
                started = time.perf_counter()
                h = layer.forward(h, True)
                forward[repeat, i] = time.perf_counter() - started
            _, grad = softmax_cross_entropy(h, y)
            for i in range(len(network.layers) - 1, -1, -1):
                started = time.perf_counter()
                grad = network.layers[i].backward(grad, i > 0)
                backward[repeat, i] = time.perf_counter() - started
    rows = []
    for i, (layer, f, b) in enumerate(zip(network.layers, np.median(forward[1:], axis=0),
                                          np.median(backward[1:], axis=0))):
        flops = 2 * macs[i] * batch
        rows.append((layer.index, layer.kind, 1e3 * f, 1e3 * b, flops / f / 1e9,
                     flops * (1 if i == 0 else 2) / b / 1e9))
    return rows


#: What `python -m studio train` does before its first batch, in a new process.
_FIRST_BATCH = """
import sys, time
from studio.data import load_dataset
from studio.engine import BatchEnd, Network, TrainConfig, Trainer
from studio.io import load_preset
dataset = load_dataset(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
trainer = Trainer(Network(load_preset("lenet5")), dataset.train_images, dataset.train_labels,
                  config=TrainConfig(epochs=1, snapshot_interval=0))
next(e for e in trainer.events() if isinstance(e, BatchEnd))
print(time.time())
"""


def seconds_to_first_batch(source: str, folder: str | None = None, runs: int = 3) -> float:
    """Median wall time from starting a Python process to its first trained batch of LeNet-5
    (interpreter, imports, dataset, kernels from Numba's cache, one step)."""
    times = []
    for _ in range(runs):
        started = time.time()
        done = subprocess.run([sys.executable, "-c", _FIRST_BATCH, source,
                               *([folder] if folder else [])],
                              capture_output=True, text=True, check=True)
        times.append(float(done.stdout.split()[-1]) - started)
    return float(np.median(times))


def print_header(compared: str) -> None:
    """The machine, the threads and the target every figure below comes from."""
    print(f"machine: {_cpu_name()}, {numba.get_num_threads()} threads (engine: Numba; "
          f"{compared})")
    print(target_line())


def run_bench(vs_torch: bool = False, quick: bool = False, data: str | None = None
              ) -> list[dict]:
    """Print the tables and return the throughput rows."""
    threads = numba.get_num_threads()
    torch_version = ""
    if vs_torch:
        import torch

        torch.set_num_threads(threads)
        torch_version = torch.__version__
    per_core = sgemm_peak(0.3 if quick else 1.0)
    peak = per_core * threads
    print_header(f"PyTorch {torch_version or 'not measured'}")
    forced = os.environ.get("OPENBLAS_CORETYPE")
    print(f"sgemm peak, measured: {per_core:.0f} GFLOP/s per thread, {peak:.0f} GFLOP/s "
          f"for {threads} ({blas_kernels()} kernels"
          + (f"; OPENBLAS_CORETYPE={forced} is set)" if forced else ")"))
    rows = _throughput_table(vs_torch, quick, peak)
    _single_image_line(vs_torch, quick)
    if not quick:
        _start_up_line(data)
    for label, preset in NETWORKS.items():
        _per_layer_table(label, load_preset(preset), peak, 3 if quick else 20)
    textbook_comparison(quick)
    return rows


def _throughput_table(vs_torch: bool, quick: bool, peak: float) -> list[dict]:
    """Images/s of each network, training at each batch size and in inference."""
    seconds = 0.3 if quick else 1.5
    batches = (64,) if quick else TRAINING_BATCHES
    print("images/s, higher is better; best of "
          f"{ROUNDS} alternating rounds; limit = peak ÷ FLOPs per image\n")
    header = f"{'network':<12} {'phase':<10} {'batch':>5} {'engine':>9}"
    if vs_torch:
        header += f" {'pytorch':>9} {'ratio':>7}"
    print(header + f" {'limit':>9} {'of limit':>8}")
    rows = []
    for label, preset in NETWORKS.items():
        architecture = load_preset(preset)
        train_flops, infer_flops = flops_per_image(architecture)
        phases = [("training", b, train_flops) for b in batches]
        phases.append(("inference", INFERENCE_BATCH, infer_flops))
        for phase, batch, flops in phases:
            steps = [engine_steps(architecture, batch)]
            if vs_torch:
                steps.append(torch_steps(architecture, batch))
            runs = [s.train if phase == "training" else s.infer for s in steps]
            with single_threaded_blas():
                rates = [batch / t for t in _best_of_rounds(runs, seconds)]
            limit = peak * 1e9 / flops
            line = f"{label:<12} {phase:<10} {batch:>5} {rates[0]:>9.0f}"
            if vs_torch:
                line += f" {rates[1]:>9.0f} {rates[0] / rates[1]:>6.2f}×"
            print(line + f" {limit:>9.0f} {rates[0] / limit:>7.0%}")
            rows.append({"network": label, "phase": phase, "batch": batch, "engine": rates[0],
                         "pytorch": rates[1] if vs_torch else None, "limit": limit})
    return rows


def _single_image_line(vs_torch: bool, quick: bool) -> None:
    """LeNet-5's latency for one image, as the drawing pad runs it."""
    lenet = load_preset("lenet5")
    singles = [engine_steps(lenet, 1).single]
    if vs_torch:
        singles.append(torch_steps(lenet, 1).single)
    engine_ms, *torch_ms = [_latency_ms(run, 50 if quick else 300) for run in singles]
    print(f"\nLeNet-5, one image (the drawing pad): engine {engine_ms:.3f} ms"
          + (f", PyTorch {torch_ms[0]:.3f} ms" if vs_torch else "") + " (median)")


def _start_up_line(data: str | None) -> None:
    """Seconds from a new process to its first trained batch."""
    seconds_to_first_batch("synthetic", runs=1)  # fills Numba's cache if it is cold
    starts = [("generating the synthetic digits", seconds_to_first_batch("synthetic"))]
    if data:
        starts.append((f"IDX files in {data}", seconds_to_first_batch("folder", data)))
    print("start-up to the first training batch (new process, Numba's cache filled): "
          + "; ".join(f"{seconds:.2f} s {what}" for what, seconds in starts))


def _per_layer_table(label: str, architecture: dict[str, Any], peak: float,
                     repeats: int) -> None:
    """Each layer's share of a training batch of 64, with the paths its plan chose."""
    print(f"\nper-layer time, {label}, one training batch of 64 (median ms; GFLOP/s "
          f"and share of the {peak:.0f} GFLOP/s peak)")
    print(f"{'layer':<16} {'forward':>8} {'backward':>9} {'fwd GFLOP/s':>16} "
          f"{'bwd GFLOP/s':>16}")
    paths = conv_paths(architecture)
    for index, kind, fwd, bwd, fwd_rate, bwd_rate in layer_times(architecture, 64, repeats):
        line = f"{f'{index} {kind}':<16} {fwd:>8.3f} {bwd:>9.3f}"
        if fwd_rate:
            line += (f" {fwd_rate:>7.1f} ({fwd_rate / peak:>4.0%}) "
                     f"{bwd_rate:>7.1f} ({bwd_rate / peak:>4.0%})")
        if index in paths:
            line += "  " + paths[index]
        print(line)
    print("Winograd and pooled scatter skip multiplications: their rates are effective "
          "(direct convolution's FLOPs ÷ time).")


def textbook_comparison(quick: bool = False) -> None:
    """What the fast paths buy: LeNet-5 on the textbook loops and on the fast engine."""
    lenet, seconds = load_preset("lenet5"), 0.3 if quick else 1.0
    print("\nLeNet-5 on the textbook engine (reference.py's loops, no fusion) and the fast "
          "one, images/s:")
    steps = [engine_steps(lenet, 64, engine) for engine in ("textbook", "fast")]
    for phase, batch in (("training", 64), ("inference", INFERENCE_BATCH)):
        runs = [s.train if phase == "training" else s.infer for s in steps]
        with single_threaded_blas():
            textbook, fast = (batch / t for t in _best_of_rounds(  # one pass: seconds
                runs, seconds, rounds=1 if quick else ROUNDS))  # a call on the loops
        print(f"  {phase:<10} batch {batch:>4}: textbook {textbook:>8.0f}, fast {fast:>8.0f} "
              f"({fast / textbook:.0f}× faster)")


def bench_images(count: int, data: str | None = None) -> tuple[np.ndarray, str]:
    """`count` test images as the model takes them (float NCHW in [0, 1]) and where they
    come from: the IDX folder `data`, else real MNIST beside the project, else synthetic."""
    from studio.data import load_idx_folder, synthetic_digits

    folder = Path(data) if data else SHARED_MNIST
    if data or folder.is_dir():
        images = load_idx_folder(folder).test_images[:count]
        return as_input(images), f"MNIST test images from {folder}"
    return as_input(synthetic_digits(count)[0]), "synthetic digits (no MNIST folder found)"


def _onnxruntime() -> Any:
    try:
        import onnxruntime
    except ImportError:
        raise BenchError("--vs-onnxruntime needs onnxruntime: pip install onnxruntime"
                         ) from None
    return onnxruntime


def onnxruntime_session(network: Network, threads: int) -> Any:
    """An onnxruntime session on the engine's own ONNX export, on `threads` intra-op
    threads, one inter-op thread, running the nodes in sequence, its threads idle between
    runs (as the engine's are) rather than spinning."""
    onnxruntime = _onnxruntime()
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    # its idle threads spinning between runs take the core the engine's next run needs
    # (measured: docs/performance.md, 'against onnxruntime')
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(to_onnx(network).SerializeToString(), options,
                                        providers=["CPUExecutionProvider"])


def onnxruntime_comparison(networks: Mapping[str, str] = NETWORKS,
                           batches: Sequence[int] = ONNX_BATCHES, quick: bool = False,
                           data: str | None = None) -> list[dict]:
    """Print and return inference images/s of the engine and of onnxruntime on the engine's
    export, per network and batch; refuses to time a pair whose logits disagree."""
    threads = numba.get_num_threads()
    images, source = bench_images(max(batches), data)
    if len(images) < max(batches):
        raise BenchError(f"{source}: {len(images)} images, but the batch of {max(batches)} "
                         "needs that many — give a folder with more test images")
    seconds = 0.3 if quick else 1.0
    print(f"\ninference against onnxruntime {_onnxruntime().__version__} on the engine's own "
          f"ONNX export ({threads} intra-op threads, 1 inter-op, sequential), {source}; "
          f"images/s, best of {ROUNDS} alternating rounds")
    print(f"{'network':<12} {'batch':>5} {'engine':>9} {'onnxrt':>9} {'ratio':>7}"
          f" {'engine ms':>10} {'onnxrt ms':>10}")
    rows = []
    for label, preset in networks.items():
        network = Network(load_preset(preset))
        session = onnxruntime_session(network, threads)
        for batch in batches:
            x = np.ascontiguousarray(images[:batch])
            ours = network.forward(x, layer_outputs=False).copy()
            theirs = session.run(["logits"], {"input": x})[0]
            if not np.allclose(ours, theirs, rtol=1e-4, atol=1e-4):
                worst = float(np.max(np.abs(ours - theirs)))
                raise BenchError(f"{label} at batch {batch}: the engine's logits and "
                                 f"onnxruntime's differ by up to {worst:.3g} — the export or "
                                 "the engine is wrong; no figure is printed for it")
            runs = [partial(network.forward, x, layer_outputs=False),
                    partial(session.run, ["logits"], {"input": x})]
            with single_threaded_blas():
                ours_s, theirs_s = _best_of_rounds(runs, seconds)
            line = (f"{label:<12} {batch:>5} {batch / ours_s:>9.0f} {batch / theirs_s:>9.0f} "
                    f"{theirs_s / ours_s:>6.2f}×")
            if batch == 1:
                line += f" {1e3 * ours_s:>10.4f} {1e3 * theirs_s:>10.4f}"
            print(line)
            rows.append({"network": label, "batch": batch, "engine": batch / ours_s,
                         "onnxruntime": batch / theirs_s})
    print("ratio = engine ÷ onnxruntime images/s: above 1× the engine is faster")
    return rows
