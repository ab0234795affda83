"""The shifted-row convolution gives the im2col kernels' output and gradients."""

from __future__ import annotations

import numpy as np
import pytest

from studio.engine import pool_kernels
from studio.engine.chunking import aligned_rows, aligned_zeros
from studio.engine.conv import im2col, shifted_rows
from studio.engine.conv.plan import use_shifted_rows

from .helpers import check_pooling_epilogue

NO_ARGMAX = np.zeros((1, 1, 1, 1), np.int32)


@pytest.mark.parametrize(("channels", "size", "filters", "kernel", "pad"),
                         [(1, 28, 6, 5, 2),   # LeNet-5's first layer
                          (6, 14, 16, 5, 0),  # ...and its second: dL/dX through sgemm + col2im
                          (3, 9, 5, 3, 1),    # "same": dL/dX as shifted rows
                          (6, 8, 7, 3, 1),    # rows in fours and a pair: dL/dX's channels
                          (2, 7, 3, 5, 3),    # padding wider than "same"
                          (4, 5, 1, 1, 0)])   # one filter: a pair of rows only
@pytest.mark.parametrize("rectify", [False, True])
def test_shifted_rows_match_the_im2col_kernels(channels, size, filters, kernel, pad, rectify):
    rng = np.random.default_rng(size + filters)
    x = rng.normal(size=(5, channels, size, size + 1)).astype(np.float32)
    weight = rng.normal(size=(filters, channels, kernel, kernel)).astype(np.float32)
    bias = rng.normal(size=filters).astype(np.float32)
    out_shape = (5, filters, size + 2 * pad - kernel + 1, size + 2 * pad - kernel + 2)
    expected, actual = np.empty(out_shape, np.float32), np.full(out_shape, np.nan, np.float32)
    im2col.conv2d_forward(x, weight, bias, 1, pad, expected, rectify, 2)
    shifted_rows.forward(x, weight, bias, pad, actual, rectify, 2)
    scale = np.abs(expected).max()
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5 * scale)

    grad_y = rng.normal(size=out_shape).astype(np.float32)
    mode = im2col.RECTIFIED if rectify else im2col.GRADIENT
    gradients = []
    for backward in (_im2col_backward, shifted_rows.backward):
        grads = (np.full_like(x, np.nan), np.full_like(weight, np.nan), np.full_like(bias, np.nan))
        backward(x, weight, grad_y, expected, NO_ARGMAX, mode, pad, *grads, True, 2)
        gradients.append(grads)
    for want, got in zip(*gradients):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


def _im2col_backward(x, weight, grad_y, out, argmax, mode, pad, *rest):
    im2col.conv2d_backward(x, weight, grad_y, out, argmax, mode, 1, pad, *rest)


def test_a_nan_input_reaches_the_output_and_the_gradients():
    x = np.ones((2, 1, 6, 6), np.float32)
    x[1, 0, 2, 3] = np.nan
    weight, bias = np.ones((2, 1, 3, 3), np.float32), np.zeros(2, np.float32)
    out = np.empty((2, 2, 6, 6), np.float32)
    shifted_rows.forward(x, weight, bias, 1, out, True, 2)
    assert not np.isnan(out[0]).any() and np.isnan(out[1]).sum() == 2 * 9
    grad_weight, grad_bias = np.empty_like(weight), np.empty_like(bias)
    shifted_rows.backward(x, weight, np.ones_like(out), out, NO_ARGMAX,
                                 im2col.GRADIENT, 1, np.empty_like(x), grad_weight,
                                 grad_bias, False, 2)
    assert np.isnan(grad_weight).all() and not np.isnan(grad_bias).any()


def test_shifted_rows_are_used_only_where_they_measured_faster():
    assert use_shifted_rows(1, 6) and use_shifted_rows(1, 16)  # LeNet-5's convolutions
    assert use_shifted_rows(1, 32)  # the wide net's first
    assert not use_shifted_rows(2, 6)  # strided: the rows are not contiguous
    assert not use_shifted_rows(1, 64)  # many filters: sgemm's product is big enough


@pytest.mark.parametrize(("channels", "size", "filters", "kernel", "pad"),
                         [(1, 28, 6, 5, 2),   # LeNet-5's first layer: one sample a row
                          (6, 14, 16, 5, 0),  # its second: five samples a row
                          (3, 11, 5, 3, 0)])  # an odd map (9 × 9): its last row and column
@pytest.mark.parametrize("write_out", [True, False])
def test_the_pooling_epilogue_matches_a_separate_relu_and_max_pool(channels, size, filters,
                                                                    kernel, pad, write_out):
    rng = np.random.default_rng(channels + size)
    x = rng.normal(size=(7, channels, size, size)).astype(np.float32)  # chunks of 4 and 3
    weight = rng.normal(size=(filters, channels, kernel, kernel)).astype(np.float32)
    bias = rng.normal(size=filters).astype(np.float32)
    side = size + 2 * pad - kernel + 1
    expected = np.empty((7, filters, side, side), np.float32)
    im2col.conv2d_forward(x, weight, bias, 1, pad, expected, True, 2)
    want_pooled = np.empty((7, filters, side // 2, side // 2), np.float32)
    want_argmax = np.empty(want_pooled.shape, np.int32)
    pool_kernels.maxpool2x2_forward(expected, want_pooled, want_argmax)

    out = np.full_like(expected, np.nan)
    pooled, argmax = np.full_like(want_pooled, np.nan), np.full_like(want_argmax, -1)
    shifted_rows.forward(x, weight, bias, pad, out, True, 2, pooled, argmax, write_out)
    check_pooling_epilogue(out, pooled, argmax, expected, want_pooled, want_argmax, write_out,
                           rtol=1e-5)


def test_short_maps_share_a_row_and_long_maps_have_their_own():
    assert shifted_rows.samples_per_row(32, 32, 32) == 1  # LeNet-5's first conv
    assert shifted_rows.samples_per_row(14, 14, 32) == 5  # its second
    assert shifted_rows.samples_per_row(14, 14, 2) == 2  # no more than there are
    assert shifted_rows.samples_per_row(40, 40, 32) == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_working_rows_start_on_a_cache_line_whatever_numba_allocated(dtype):
    like = np.zeros(1, dtype)
    for columns in range(16, 16 * 40, 16):  # sizes Numba aligns to 32 bytes and to 64
        rows = aligned_rows(3, columns, like)
        assert rows.shape == (3, columns) and rows.dtype == dtype
        assert rows.ctypes.data % 64 == 0 and rows.flags.c_contiguous
    assert not aligned_zeros(4, 48, like).any()
