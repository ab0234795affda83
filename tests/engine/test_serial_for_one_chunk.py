"""One image runs the forward kernels' serial builds: the same code, the same numbers, no
parallel region (whose start-up cost more than a single image's arithmetic)."""

from __future__ import annotations

import numpy as np
import pytest

from studio.engine import Network, activation_kernels, dense_kernels, pool_kernels
from studio.engine.conv import im2col, pooled_phases, shifted_rows, winograd
from studio.io import load_preset

KERNELS = [dense_kernels.dense_forward, im2col.conv2d_forward, winograd.winograd_conv3x3_forward,
           pooled_phases.conv_relu_pool_forward, shifted_rows.conv2d_forward,
           pool_kernels.maxpool2x2_forward, pool_kernels.maxpool2d_forward,
           activation_kernels.relu_forward]


@pytest.mark.parametrize("kernel", KERNELS, ids=lambda k: k.py_func.__name__)
def test_one_chunk_picks_the_serial_build_and_more_the_parallel_one(kernel):
    assert kernel.on(1) is kernel.serial and kernel.on(2) is kernel.parallel
    assert kernel.parallel.targetoptions.get("parallel") and \
        not kernel.serial.targetoptions.get("parallel")


def test_both_builds_compute_the_same_dense_layer():
    rng = np.random.default_rng(0)
    x, weight = rng.random((3, 40), np.float32), rng.normal(size=(7, 40)).astype(np.float32)
    bias = rng.normal(size=7).astype(np.float32)
    serial, parallel = np.empty((3, 7), np.float32), np.empty((3, 7), np.float32)
    dense_kernels.dense_forward.serial(x, weight, bias, serial, True, 1)
    dense_kernels.dense_forward.parallel(x, weight, bias, parallel, True, 1)
    np.testing.assert_array_equal(serial, parallel)
    np.testing.assert_allclose(serial, np.maximum(x @ weight.T + bias, 0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("preset", ["lenet5", "wide"])
def test_a_single_image_starts_no_parallel_region(preset, monkeypatch):
    network = Network(load_preset(preset))
    x = np.random.default_rng(1).random((4, 1, 28, 28), np.float32)
    batched = network.forward(x, layer_outputs=False).copy()

    def refuse(*args):
        raise AssertionError("a parallel kernel ran for a single image")

    for kernel in KERNELS:
        monkeypatch.setattr(kernel, "parallel", refuse)
    for keep in (False, True):  # as evaluation and as the drawing pad run it
        np.testing.assert_allclose(network.forward(x[:1], layer_outputs=keep), batched[:1],
                                   rtol=1e-5, atol=1e-5)
