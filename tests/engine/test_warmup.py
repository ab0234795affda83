"""The network about to be trained compiles before the kernels it never calls."""

from studio.engine import warmup
from studio.io import load_preset


def test_the_first_network_is_stepped_before_every_other_kernel(monkeypatch):
    stepped = []
    monkeypatch.setattr(warmup, "_step", lambda network, batch: stepped.append(
        (network.architecture["name"], batch)))
    warmup.compile_kernels(load_preset("lenet5"), batch=64)
    assert stepped == [("LeNet-5", 64), ("warm-up", 2)]


def test_an_invalid_network_on_the_canvas_only_skips_its_own_step(monkeypatch):
    stepped = []
    monkeypatch.setattr(warmup, "_step", lambda network, batch: stepped.append(batch))
    broken = {**load_preset("lenet5"), "layers": [{"type": "conv2d", "filters": 6, "kernel": 99}]}
    warmup.compile_kernels(broken)
    assert stepped == [2]
