"""Winograd F(2×2, 3×3) gives the im2col convolution's output, for every size and padding."""

from __future__ import annotations

import numpy as np
import pytest

from studio.engine import pool_kernels
from studio.engine.conv import im2col, winograd
from studio.engine.conv.plan import use_winograd

from .helpers import check_pooling_epilogue


@pytest.mark.parametrize(("channels", "size", "filters", "pad"),
                         [(3, 9, 4, 1), (5, 8, 2, 0), (2, 7, 3, 2), (16, 14, 8, 1), (1, 4, 1, 0)])
@pytest.mark.parametrize("rectify", [False, True])
def test_winograd_matches_the_im2col_convolution(channels, size, filters, pad, rectify):
    rng = np.random.default_rng(size)
    x = rng.normal(size=(5, channels, size, size)).astype(np.float32)
    weight = rng.normal(size=(filters, channels, 3, 3)).astype(np.float32)
    bias = rng.normal(size=filters).astype(np.float32)
    out_size = size + 2 * pad - 2
    expected = np.empty((5, filters, out_size, out_size), np.float32)
    actual = np.full_like(expected, np.nan)
    im2col.conv2d_forward(x, weight, bias, 1, pad, expected, rectify, 2)
    winograd.forward(x, weight, bias, pad, actual, rectify, 2)
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def _conv_relu_pool(x, weight, bias, pad):
    """max(X ⋆ K + b, 0) by im2col, and its 2×2 max-pool and arg-max by the pool's kernel."""
    n, filters = len(x), len(weight)
    height, width = x.shape[2] + 2 * pad - 2, x.shape[3] + 2 * pad - 2
    rectified = np.empty((n, filters, height, width), x.dtype)
    im2col.conv2d_forward(x, weight, bias, 1, pad, rectified, True, 2)
    pooled = np.empty((n, filters, height // 2, width // 2), x.dtype)
    argmax = np.empty(pooled.shape, np.int32)
    pool_kernels.maxpool2x2_forward(rectified, pooled, argmax)
    return rectified, pooled, argmax


@pytest.mark.parametrize(("channels", "height", "width", "filters", "pad"),
                         [(32, 14, 14, 64, 1),  # the wide net's second conv: 7 × 7 windows
                          (3, 9, 9, 4, 0),  # 7 × 7 maps: the last row and column of tiles unpooled
                          (2, 8, 8, 3, 1),
                          (3, 7, 10, 5, 2)])  # 9 × 12: odd rows, even columns
@pytest.mark.parametrize(("images", "chunks"), [(7, 2), (9, 1), (10, 2)])  # last blocks short
@pytest.mark.parametrize("write_out", [True, False])
def test_the_pooling_output_transform_matches_a_separate_relu_and_max_pool(
        channels, height, width, filters, pad, images, chunks, write_out):
    rng = np.random.default_rng(channels + height + images)
    x = rng.normal(size=(images, channels, height, width)).astype(np.float32)
    weight = rng.normal(size=(filters, channels, 3, 3)).astype(np.float32)
    bias = rng.normal(size=filters).astype(np.float32)
    expected, want_pooled, want_argmax = _conv_relu_pool(x, weight, bias, pad)

    out = np.full_like(expected, np.nan)
    pooled, argmax = np.full_like(want_pooled, np.nan), np.full_like(want_argmax, -1)
    winograd.forward(x, weight, bias, pad, out, True, chunks, pooled, argmax, write_out)
    check_pooling_epilogue(out, pooled, argmax, expected, want_pooled, want_argmax, write_out,
                           rtol=1e-4, passed_above=1e-3)


def test_a_nan_in_the_input_reaches_the_pooled_map_where_a_separate_pool_puts_it():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(8, 16, 14, 14)).astype(np.float32)
    x[3, 5, 6, 6] = np.nan  # reaches the outputs of the taps that read it, in 3 × 3 positions
    weight = rng.normal(size=(8, 16, 3, 3)).astype(np.float32)
    bias = rng.normal(size=8).astype(np.float32)
    _, want_pooled, _ = _conv_relu_pool(x, weight, bias, 1)
    out = np.empty((8, 8, 14, 14), np.float32)
    pooled, argmax = np.empty_like(want_pooled), np.empty(want_pooled.shape, np.int32)
    winograd.forward(x, weight, bias, 1, out, True, 2, pooled, argmax, False)
    assert np.isnan(want_pooled).any()
    np.testing.assert_array_equal(np.isnan(pooled), np.isnan(want_pooled))


def test_winograd_is_used_only_where_it_measured_faster():
    assert use_winograd(3, 1, 32, 64, 14)  # the wide net's second conv
    assert use_winograd(3, 1, 32, 32, 14)  # 1.5× the shifted rows
    assert use_winograd(3, 1, 64, 64, 7)  # small maps, but many channels
    assert not use_winograd(3, 1, 1, 32, 28)  # a first layer on the image
    assert not use_winograd(3, 1, 16, 16, 28)  # shifted rows 1.5× faster
    assert not use_winograd(3, 1, 16, 64, 7)  # few channels on small maps
    assert not use_winograd(5, 1, 32, 64, 14) and not use_winograd(3, 2, 32, 64, 14)
    assert use_winograd(3, 1, 24, 32, 14) and not use_winograd(3, 1, 23, 32, 14)  # the bounds
    assert not use_winograd(3, 1, 32, 16, 14) and not use_winograd(3, 1, 32, 32, 13)
    assert not use_winograd(3, 1, 32, 64, 6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("filters", "channels"), [(1, 1), (7, 3), (64, 32), (64, 63)])
def test_the_kernel_transform_is_g_k_g_transposed(filters, channels, dtype):
    weight = np.random.default_rng(filters).normal(size=(filters, channels, 3, 3)).astype(dtype)
    g = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])
    want = np.einsum("ai,fcij,bj->abcf", g, weight, g).reshape(16, channels, filters)
    u = winograd.kernel_transform(weight)
    assert u.shape[0] == 16 and u.shape[1] > channels and u.shape[2] == filters  # spare rows
    np.testing.assert_allclose(u[:, :channels], want, rtol=1e-6, atol=1e-6)
