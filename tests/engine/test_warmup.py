"""The network about to be trained compiles before anything else: its textbook loops, which
a first launch's run trains on at once and which need no kernel beyond them, then its fast
kernels, then every other path."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from studio.engine import warmup
from studio.engine.conv.plan import WINOGRAD_MIN_IMAGES
from studio.io import load_preset

#: The warm-up's own networks' steps, after the first network's.
EVERY_PATH = [(stage, name, WINOGRAD_MIN_IMAGES) for name in ("warm-up", "warm-up in phases")
              for stage in ("_first_batch", "_later_batches")]


@pytest.fixture
def stepped(monkeypatch):
    calls = []
    for stage in ("_first_batch", "_later_batches"):
        monkeypatch.setattr(warmup, stage, lambda network, batch, stage=stage: calls.append(
            (stage, network.architecture["name"], batch)))
    return calls


def test_the_first_network_is_stepped_before_every_other_kernel(stepped):
    warmup.compile_kernels(load_preset("lenet5"), batch=64)
    assert stepped == [("_first_batch", "LeNet-5", 64), ("_later_batches", "LeNet-5", 64),
                       *EVERY_PATH]


def test_only_first_stops_after_the_first_networks_batches(stepped):
    warmup.compile_kernels(load_preset("lenet5"), batch=64, only_first=True)
    assert stepped == [("_first_batch", "LeNet-5", 64), ("_later_batches", "LeNet-5", 64)]


def test_an_invalid_network_on_the_canvas_only_skips_its_own_steps(stepped):
    broken = {**load_preset("lenet5"), "layers": [{"type": "conv2d", "filters": 6, "kernel": 99}]}
    warmup.compile_kernels(broken)
    assert stepped == EVERY_PATH


KERNELS_LOADED = """
import gc, json, sys, threading
import numpy as np
from numba.core.dispatcher import Dispatcher
from studio.engine import BatchEnd, Network, TrainConfig, Trainer, compile_kernels
from studio.io import load_preset

if sys.argv[1] == "warm-up":
    compile_kernels(load_preset("lenet5"), 64, only_first=True, engine="textbook")
elif sys.argv[1] == "every kernel":
    compile_kernels()
else:  # a first launch's first batch: it takes a snapshot, as every run's first batch does
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (128, 28, 28), np.uint8), np.arange(128) % 10
    trainer = Trainer(Network(load_preset("lenet5")), images, labels, images, labels,
                      TrainConfig(epochs=1, batch_size=64), fast_kernels=threading.Event())
    next(e for e in trainer.events() if isinstance(e, BatchEnd))
print(json.dumps(sorted(f"{d.py_func.__module__}.{d.py_func.__qualname__}{sig}"
                        for d in gc.get_objects() if isinstance(d, Dispatcher)
                        for sig in d.overloads)))
"""


def _kernels_loaded(how: str) -> list[str]:
    """Every kernel signature a fresh process has compiled or loaded from Numba's cache."""
    result = subprocess.run([sys.executable, "-c", KERNELS_LOADED, how], capture_output=True,
                            text=True, timeout=600, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_textbook_stage_loads_exactly_the_kernels_a_first_launchs_first_batch_calls():
    """What a first launch compiles before its first batch: nothing more, nothing less."""
    trained = _kernels_loaded("first batch")
    assert any("conv2d_input_gradient" in kernel for kernel in trained)  # it sees kernels
    assert _kernels_loaded("warm-up") == trained


def test_the_whole_warm_up_loads_every_conv_path():
    """Run on two images, its Winograd layer went to im2col (`WINOGRAD_MIN_IMAGES`), and
    a later run of a Winograd network compiled Winograd in its first batch."""
    loaded = " ".join(_kernels_loaded("every kernel"))
    for module in ("winograd", "shifted_rows", "im2col", "pooled_scatter", "pooled_phases",
                   "pool_kernels"):
        assert f"studio.engine.conv.{module}." in loaded or f"studio.engine.{module}." in loaded, \
            module


def test_the_warm_up_networks_plan_every_conv_path_forward_and_backward():
    """What a first launch compiles in the background is planned to take every path a
    network can take (the test above checks the kernels it loads)."""
    from studio.engine import BACKWARD_PATHS, FORWARD_PATHS, ConvPlan, Network

    plans = [plan for architecture in (warmup._EVERY_KERNEL, warmup._IN_PHASES)
             for plan in Network(architecture).plans if isinstance(plan, ConvPlan)]
    assert {p.forward for p in plans} | {p.kept_forward for p in plans} == set(FORWARD_PATHS)
    assert {p.backward for p in plans} | {p.plain_backward for p in plans} \
        | {p.pooled_backward for p in plans} == set(BACKWARD_PATHS)
