"""The conv backward pass from a max-pool's gradient equals the dense one."""

from __future__ import annotations

import numpy as np
import pytest

from studio.engine import pool_kernels
from studio.engine.conv import im2col, pooled_scatter
from studio.engine.conv.plan import use_pooled_scatter


@pytest.mark.parametrize(("channels", "size", "filters", "kernel", "stride", "pad", "pool"),
                         [(6, 14, 16, 5, 1, 0, 2),   # LeNet-5's second conv
                          (32, 14, 8, 3, 1, 1, 2),   # the wide net's second
                          (4, 11, 3, 4, 2, 1, 2),    # strided
                          (8, 9, 5, 3, 1, 2, 3)])    # overlapping 3×3 windows, stride 2
@pytest.mark.parametrize("need_grad_x", [False, True])
def test_pooled_scatter_matches_the_dense_backward_pass(channels, size, filters, kernel, stride,
                                                        pad, pool, need_grad_x):
    rng = np.random.default_rng(channels + kernel)
    x = rng.normal(size=(5, channels, size, size + 1)).astype(np.float32)
    weight = rng.normal(size=(filters, channels, kernel, kernel)).astype(np.float32)
    bias = rng.normal(size=filters).astype(np.float32)
    out_h = (size + 2 * pad - kernel) // stride + 1
    out_w = (size + 1 + 2 * pad - kernel) // stride + 1
    rectified = np.empty((5, filters, out_h, out_w), np.float32)
    im2col.conv2d_forward(x, weight, bias, stride, pad, rectified, True, 2)
    pooled_shape = (5, filters, (out_h - pool) // 2 + 1, (out_w - pool) // 2 + 1)
    pooled, argmax = np.empty(pooled_shape, np.float32), np.empty(pooled_shape, np.int32)
    pool_kernels.maxpool2d_forward(rectified, pool, 2, pooled, argmax)
    assert 0 < (pooled > 0).mean() < 1  # some windows are cut off by the ReLU
    grad_pooled = rng.normal(size=pooled_shape).astype(np.float32)

    results = []
    for backward in (_dense_backward, pooled_scatter.conv2d_backward):
        grads = (np.full_like(x, np.nan), np.full_like(weight, np.nan), np.full_like(bias, np.nan))
        backward(x, weight, grad_pooled, pooled, argmax, stride, pad, *grads, need_grad_x, 2)
        results.append(grads if need_grad_x else grads[1:])
    for want, got in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5 * np.abs(want).max())


def _dense_backward(x, weight, grad_pooled, pooled, argmax, stride, pad, *rest):
    im2col.conv2d_backward(x, weight, grad_pooled, pooled, argmax, im2col.POOLED,
                                 stride, pad, *rest)


def test_the_scatter_is_used_only_where_kernel_rows_fill_a_vector():
    assert use_pooled_scatter(5, 6) and use_pooled_scatter(3, 32)  # LeNet-5's and the wide net's
    assert not use_pooled_scatter(5, 1) and not use_pooled_scatter(3, 1)  # first layers
