"""The training loop: one generator of events, consumed by the CLI, the GUI worker and tests.

`Trainer.events()` runs epochs of shuffled mini-batches and yields a `BatchEnd`
after every batch, preceded by a `Snapshot` (small copies for the live panels)
at most every `snapshot_interval` seconds, every so many steps when
`snapshot_steps` asks for a timeline of that many positions, and whenever
`request_snapshot()` asks for the next batch; an `EpochEnd` follows each epoch.
`pause()`, `resume()`, `stop()` and `request_snapshot()` may be called from any
thread; the loop checks them between batches, so they take effect within one
batch (milliseconds).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .evaluation import Evaluation, as_input, evaluate
from .health import LayerHealth, layer_health
from .inspection import look_inside
from .losses import softmax_cross_entropy
from .memory import memory_problem
from .network import ENGINES, Network
from .optimizers import DEFAULT_LEARNING_RATES, OPTIMIZERS, make_optimizer
from .schedules import SCHEDULES, learning_rate
from .threads import single_threaded_blas


@dataclass(frozen=True)
class TrainConfig:
    """Training settings; the defaults train LeNet-5 on MNIST well with no tuning."""

    epochs: int = 5
    batch_size: int = 64
    optimizer: str = "sgd"
    lr: float | None = None  # None: the optimiser's default (sgd 0.05, adam 0.002)
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    schedule: str = "onecycle"
    seed: int = 0
    engine: str = "fast"  # what builds the network computes on: "fast" or "textbook"
    snapshot_interval: float = 0.25  # seconds between snapshots; 0 turns them off
    #: with snapshots on, also one every total_steps // snapshot_steps steps, so that even
    #: a run of a few seconds leaves about this many positions to replay (0: by time only)
    snapshot_steps: int = 0
    #: (conv layer, filter) pairs whose kernel and bias keep their starting values,
    #: e.g. a hand-made edge detector to compare with what training finds
    frozen_filters: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:  # from JSON the pairs arrive as lists
        object.__setattr__(self, "frozen_filters",
                           tuple((int(layer), int(f)) for layer, f in self.frozen_filters))

    @property
    def learning_rate(self) -> float:
        return DEFAULT_LEARNING_RATES[self.optimizer] if self.lr is None else self.lr

    def problems(self, train_size: int) -> list[str]:
        """A sentence for each setting that cannot work."""
        found = []
        if not isinstance(self.epochs, int) or self.epochs < 1:
            found.append(f"epochs must be a whole number of at least 1, not {self.epochs}")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            found.append(f"batch size must be at least 1, not {self.batch_size}")
        elif self.batch_size > train_size:
            found.append(f"batch size {self.batch_size} is larger than the {train_size} "
                         "training images — choose a smaller batch")
        if self.optimizer not in OPTIMIZERS:
            found.append(f"unknown optimiser {self.optimizer!r}; choose {' or '.join(OPTIMIZERS)}")
        elif not (math.isfinite(self.learning_rate) and self.learning_rate > 0):
            found.append(f"learning rate must be a positive number, not {self.learning_rate}")
        if self.schedule not in SCHEDULES:
            found.append(f"unknown schedule {self.schedule!r}; choose one of "
                         f"{', '.join(SCHEDULES)}")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            found.append(f"weight decay must be zero or positive, not {self.weight_decay}")
        if self.engine not in ENGINES:
            found.append(f"unknown engine {self.engine!r}; choose {' or '.join(ENGINES)}")
        if not 0 <= self.momentum < 1:
            found.append(f"momentum must be from 0 up to 1, not {self.momentum}")
        return found

    def frozen_problems(self, network: Network) -> list[str]:
        """A sentence for each frozen filter the network does not have."""
        found = []
        for layer, f in self.frozen_filters:
            target = network.layers[layer] if 0 <= layer < len(network.layers) else None
            if target is None or target.kind != "conv2d":
                found.append(f"layer {layer} is not a conv2d layer, so it has no filter to keep "
                             "fixed")
            elif not 0 <= f < target.config["filters"]:
                found.append(f"layer {layer} (conv2d) has no filter {f}: it has "
                             f"{target.config['filters']}")
        return found


@dataclass(frozen=True)
class BatchEnd:
    epoch: int  # 0-based
    batch: int  # 0-based, within the epoch
    batches: int  # per epoch
    step: int  # 1-based count of batches done
    total_steps: int
    loss: float
    accuracy: float
    images: int  # trained so far in this run
    images_per_second: float
    lr: float
    elapsed: float  # seconds of training, pauses excluded
    #: the fast kernels were still compiling, so the textbook loops ran this batch
    compiling: bool = False

    @property
    def seconds_left(self) -> float:
        """Estimated from the time per batch so far."""
        return self.elapsed / self.step * (self.total_steps - self.step)


@dataclass(frozen=True)
class EpochEnd:
    epoch: int
    train_loss: float
    train_accuracy: float
    test: Evaluation | None
    seconds: float


@dataclass(frozen=True)
class Snapshot:
    """Copies for the live panels, keyed by layer index."""

    step: int
    epoch: int
    kernel_gradients: dict[int, np.ndarray]  # dL/dK of the last batch
    gradient_norms: dict[int, float]  # ‖dL/dW‖ of every layer with weights
    sample_image: np.ndarray  # (C, H, W) in [0, 1]
    sample_label: int
    feature_maps: list[np.ndarray]  # every layer's output for the sample
    input_gradient: np.ndarray  # dL/dX for the sample, (C, H, W)
    architecture: dict[str, Any]  # of the network, with...
    weights: dict[str, np.ndarray]  # ...copies of its state: enough to explain any value
    health: list[LayerHealth]  # of each conv/dense layer, from the last batch

    @property
    def kernels(self) -> dict[int, np.ndarray]:
        """The conv layers' weights (F, C, f, f), by layer index."""
        return {i: self.weights[f"{i}.weight"]
                for i, layer in enumerate(self.architecture["layers"]) if layer["type"] == "conv2d"}


@dataclass
class TrainResult:
    epochs: list[EpochEnd] = field(default_factory=list)
    train_seconds: float = 0.0  # every batch's, pauses and evaluations excluded
    images: int = 0
    stopped: bool = False
    #: the seconds and images of the run's first batch, which loads (or compiles) kernels
    first_batch: tuple[float, int] = (0.0, 0)

    @property
    def images_per_second(self) -> float:
        """The steady rate: the first batch's kernel loading (half a second of a 3-epoch
        MNIST run's two) left out, as the bench's step rate leaves it out."""
        seconds, images = self.train_seconds, self.images
        if images > self.first_batch[1]:
            seconds, images = seconds - self.first_batch[0], images - self.first_batch[1]
        return images / seconds if seconds > 0 else 0.0


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the weights are back to the last good step."""


Event = BatchEnd | EpochEnd | Snapshot


class Trainer:
    """Trains `network` on uint8 images (N, H, W) or (N, C, H, W) with integer labels."""

    def __init__(self, network: Network, train_images: np.ndarray, train_labels: np.ndarray,
                 test_images: np.ndarray | None = None, test_labels: np.ndarray | None = None,
                 config: TrainConfig | None = None, sample_index: int = 0,
                 resume: dict[str, Any] | None = None,
                 fast_kernels: threading.Event | None = None):
        """`resume` is a `checkpoint()` of an earlier run of the same network and data.

        `fast_kernels`, when given and not yet set, says the fast kernels are still
        compiling (a first launch takes a minute or more): until it is set the network
        computes on the textbook loops, which compile in seconds and give the same numbers,
        and it changes over between two batches once it is."""
        self.network = network
        self.config = config or TrainConfig()
        problems = self.config.problems(len(train_images)) + self.config.frozen_problems(network)
        if not problems:
            problems = [p for p in [memory_problem(network.analysis, self.config.batch_size)]
                        if p]
        if problems:
            raise ValueError(problems[0])
        self.train_images, self.train_labels = train_images, train_labels
        self.test_images, self.test_labels = test_images, test_labels
        self.sample_index = sample_index
        self.optimizer = make_optimizer(self.config.optimizer, network.parameters,
                                        network.gradients, momentum=self.config.momentum,
                                        nesterov=self.config.nesterov,
                                        weight_decay=self.config.weight_decay)
        self._running = threading.Event()
        self._running.set()
        self._stop = threading.Event()
        self._snapshot_requested = threading.Event()
        #: the largest update ratio ‖ΔW‖/‖W‖ each layer has had in this run, for the diagnosis
        self._peak_updates: dict[int, float] = {}
        self._rng = np.random.default_rng(self.config.seed)
        self._step = self._epoch = self._batch = 0
        self._order = np.arange(len(train_images))
        self._ordered_epoch = -1
        if resume is not None:
            self._restore(resume)
        self._fast_kernels = None
        if fast_kernels is not None and not fast_kernels.is_set() and network.engine == "fast":
            self._fast_kernels = fast_kernels
            network.use_engine("textbook")
        self._frozen = [(view, view.copy()) for layer, f in self.config.frozen_filters
                        for view in (network.layers[layer].params["weight"][f],
                                     network.layers[layer].params["bias"][f:f + 1])]

    # control, from any thread -------------------------------------------------------
    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()

    def request_snapshot(self) -> None:
        """Take a snapshot of the next batch (slow motion, a single step)."""
        self._snapshot_requested.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    # the loop -----------------------------------------------------------------------
    def run(self, callback: Callable[[Event], None] | None = None) -> TrainResult:
        """Consume `events()`, passing each to `callback`; return the result."""
        events = self.events()
        while True:
            try:
                event = next(events)
            except StopIteration as done:
                return done.value
            if callback is not None:
                callback(event)

    # exact resumption ------------------------------------------------------------------
    def checkpoint(self) -> dict[str, Any]:
        """Everything needed to continue exactly where the loop is now (between batches):
        weights and batch-norm statistics, optimiser state, the shuffling RNG, the current
        epoch's data order and position, and the dropout layers' RNGs."""
        state: dict[str, Any] = {f"optimizer.{k}": v for k, v in self.optimizer.state().items()}
        state.update(step=self._step, epoch=self._epoch, batch=self._batch,
                     order=self._order.copy(), ordered_epoch=self._ordered_epoch,
                     rng=self._rng.bit_generator.state,
                     layer_rngs=[layer.rng.bit_generator.state for layer in self.network.layers
                                 if hasattr(layer, "rng")])
        return state

    def _restore(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state({k.split(".", 1)[1]: v for k, v in state.items()
                                   if k.startswith("optimizer.")})
        self._step, self._epoch, self._batch = (int(state["step"]), int(state["epoch"]),
                                                int(state["batch"]))
        self._order = np.asarray(state["order"])
        if len(self._order) != len(self.train_images):  # the app continues runs too
            raise ValueError(f"the run being continued trained on {len(self._order)} images but "
                             f"this dataset has {len(self.train_images)} — continue it on the "
                             "same data, or start a new run")
        self._ordered_epoch = int(state["ordered_epoch"])
        self._rng.bit_generator.state = state["rng"]
        layers = [layer for layer in self.network.layers if hasattr(layer, "rng")]
        for layer, rng_state in zip(layers, state["layer_rngs"]):
            layer.rng.bit_generator.state = rng_state

    def events(self) -> Iterator[Event]:
        """Train: a `Snapshot` when one is due, a `BatchEnd` per batch, an `EpochEnd` per
        epoch; returns the `TrainResult`. One long generator on purpose: pause, stop and
        resume fall between any two of its batches, and the position it keeps as it goes
        (epoch, batch, step, data order) is what a checkpoint saves, so it reads as one run."""
        config, network = self.config, self.network
        n = len(self.train_images)
        batches = math.ceil(n / config.batch_size)
        total_steps = batches * config.epochs
        rng = self._rng
        result = TrainResult()
        last_good = network.parameters.copy()
        last_snapshot = -math.inf
        every = max(1, total_steps // config.snapshot_steps) if config.snapshot_steps else 0
        step = self._step
        # A diverging run overflows on purpose; it is reported as TrainingDiverged.
        with single_threaded_blas(), np.errstate(over="ignore", invalid="ignore"):
            for epoch in range(self._epoch, config.epochs):
                if self._ordered_epoch != epoch:  # draw each epoch's order exactly once
                    self._order, self._ordered_epoch = rng.permutation(n), epoch
                order = self._order
                self._epoch = epoch
                epoch_loss = epoch_correct = 0.0
                seen = 0
                for batch in range(self._batch, batches):
                    self._batch = batch
                    if not self._running.is_set():
                        self._running.wait()
                    if self._stop.is_set():
                        result.stopped = True
                        return result
                    if self._fast_kernels is not None and self._fast_kernels.is_set():
                        network.use_engine("fast")
                        self._fast_kernels = None
                    started = time.perf_counter()
                    index = order[batch * config.batch_size:(batch + 1) * config.batch_size]
                    x = as_input(self.train_images[index], network.dtype.type)
                    y = self.train_labels[index]
                    final = step + 1 == total_steps  # the finished network is always seen
                    requested = self._snapshot_requested.is_set()
                    self._snapshot_requested.clear()
                    want_snapshot = config.snapshot_interval > 0 and (
                        final or requested or started - last_snapshot >= config.snapshot_interval
                        or (every and step % every == 0))
                    # layer outputs (a fused conv's own map) only for the health check
                    logits = network.forward(x, training=True, layer_outputs=want_snapshot)
                    loss, grad = softmax_cross_entropy(logits, y)
                    if not math.isfinite(loss):
                        network.forward(x, training=True)  # every layer's output, to search
                        network.parameters[...] = last_good
                        where = network.first_non_finite_layer() or "the loss"
                        raise TrainingDiverged(
                            f"training diverged at epoch {epoch + 1}, batch {batch + 1}: "
                            f"{where} produced NaN or infinite values — try a lower learning "
                            f"rate (now {config.learning_rate:g}); the weights are back to the "
                            f"last good step")
                    correct = int((logits.argmax(axis=1) == y).sum())
                    network.backward(grad)
                    last_good[...] = network.parameters
                    lr = learning_rate(config.schedule, config.learning_rate, step, total_steps)
                    if want_snapshot:
                        gradients = self._gradient_copies()
                    self.optimizer.step(lr)
                    for view, value in self._frozen:
                        view[...] = value
                    if want_snapshot:  # before the snapshot's own pass replaces the outputs
                        health = layer_health(network, last_good,
                                              annealed=lr < 0.1 * config.learning_rate,
                                              peak_updates=self._peak_updates)
                        for verdict in health:
                            self._peak_updates[verdict.layer] = max(
                                verdict.update_ratio, self._peak_updates.get(verdict.layer, 0.0))
                    step += 1
                    self._step, self._batch = step, batch + 1
                    seen += len(y)
                    epoch_loss += loss * len(y)
                    epoch_correct += correct
                    result.images += len(y)
                    snapshot = None
                    if want_snapshot:  # its cost counts as training time
                        last_snapshot = started
                        snapshot = self._snapshot(step, epoch, *gradients, health)
                    result.train_seconds += time.perf_counter() - started
                    if result.images == len(y):
                        result.first_batch = (result.train_seconds, result.images)
                    if snapshot is not None:  # first: a consumer waiting after each batch
                        yield snapshot  # has seen that batch's snapshot
                    yield BatchEnd(epoch, batch, batches, step, total_steps, loss,
                                   correct / len(y), result.images, result.images_per_second, lr,
                                   result.train_seconds, self._fast_kernels is not None)
                test = None
                if self.test_images is not None and self.test_labels is not None:
                    test = evaluate(network, self.test_images, self.test_labels)
                self._epoch, self._batch = epoch + 1, 0
                epoch_end = EpochEnd(epoch, epoch_loss / max(seen, 1),
                                     epoch_correct / max(seen, 1), test, result.train_seconds)
                result.epochs.append(epoch_end)
                yield epoch_end
        return result

    # snapshots ------------------------------------------------------------------------
    def _gradient_copies(self) -> tuple[dict[int, np.ndarray], dict[int, float]]:
        kernels, norms = {}, {}
        for layer in self.network.layers:
            if "weight" in layer.grads:
                norms[layer.index] = float(np.linalg.norm(layer.grads["weight"]))
                if layer.kind == "conv2d":
                    kernels[layer.index] = layer.grads["weight"].copy()
        return kernels, norms

    def _snapshot(self, step: int, epoch: int, kernel_gradients: dict[int, np.ndarray],
                  norms: dict[int, float], health: list[LayerHealth]) -> Snapshot:
        network = self.network
        images = self.test_images if self.test_images is not None else self.train_images
        labels = self.test_labels if self.test_labels is not None else self.train_labels
        x = as_input(images[self.sample_index:self.sample_index + 1], network.dtype.type)
        label = int(labels[self.sample_index])
        seen = look_inside(network, x[0], label)
        return Snapshot(step, epoch, kernel_gradients, norms, x[0].copy(), label,
                        seen.feature_maps, seen.input_gradient, network.architecture,
                        {k: v.copy() for k, v in network.state_dict().items()}, health)
