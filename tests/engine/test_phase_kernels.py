"""Conv → ReLU → 2×2 max-pool at the pooled resolution (phase_kernels) against the separate
kernels it replaces: the same pooled maps, the same windows' maxima, the same gradients."""

import numpy as np
import pytest

from studio.engine import pool_kernels
from studio.engine.conv import im2col, pooled_phases, shifted_rows
from studio.engine.conv.plan import use_phases
from studio.engine.conv.pooled_phases import STOPPED

CASES = [(1, 28, 32, 3, 1),  # the wide net's first conv: five samples a run
         (1, 28, 6, 5, 2),   # LeNet-5's first: a 5×5 kernel, 36 columns
         (1, 20, 5, 3, 0),   # "valid", odd filter count (a block with padding filters)
         (3, 11, 5, 3, 0),   # channels; a 9 × 9 map, whose last row and column no window reads
         (2, 13, 4, 3, 1),   # pooled rows of 6: shorter than half a vector, copied by floats
         (1, 36, 8, 3, 1)]   # pooled rows of 18: one whole vector and a spilled one


def _separately(x, weight, bias, pad):
    """max-pool(max(X ⋆ K + b, 0)) and its arg-max, by the im2col conv and the 2×2 pool."""
    side = x.shape[2] + 2 * pad - weight.shape[2] + 1
    y = np.empty((len(x), len(weight), side, side), np.float32)
    im2col.conv2d_forward(x, weight, bias, 1, pad, y, True, 2)
    pooled = np.empty((*y.shape[:2], side // 2, side // 2), np.float32)
    argmax = np.empty(pooled.shape, np.int32)
    pool_kernels.maxpool2x2_forward(y, pooled, argmax)
    return pooled, argmax, side


def _case(channels, size, filters, kernel, samples, seed=0):
    rng = np.random.default_rng(seed + size)
    x = rng.normal(size=(samples, channels, size, size)).astype(np.float32)
    weight = rng.normal(size=(filters, channels, kernel, kernel)).astype(np.float32)
    return x, weight, rng.normal(size=filters).astype(np.float32)


@pytest.mark.parametrize(("channels", "size", "filters", "kernel", "pad"), CASES)
@pytest.mark.parametrize(("samples", "chunks"), [(1, 1), (7, 2), (64, 2)])  # 7: short runs
def test_phases_pool_as_the_separate_kernels_do(channels, size, filters, kernel, pad, samples,
                                                chunks):
    x, weight, bias = _case(channels, size, filters, kernel, samples)
    want_pooled, want_argmax, side = _separately(x, weight, bias, pad)
    pooled = np.full_like(want_pooled, np.nan)
    codes = np.full(want_pooled.shape, 9, np.int8)
    pooled_phases.forward(x, weight, bias, pad, pooled, codes, chunks)
    scale = np.abs(want_pooled).max()
    np.testing.assert_allclose(pooled, want_pooled, rtol=1e-5, atol=1e-5 * scale)
    passed = want_pooled > 0
    np.testing.assert_array_equal(codes[~passed], STOPPED)  # the ReLU stopped these
    argmax = np.full_like(want_argmax, -1)
    pooled_phases.argmax_from_codes(codes, side, argmax)
    np.testing.assert_array_equal(argmax[passed], want_argmax[passed])


@pytest.mark.parametrize(("channels", "size", "filters", "kernel", "pad"), CASES)
@pytest.mark.parametrize(("samples", "chunks"), [(1, 1), (7, 2), (64, 2)])
def test_phases_give_the_gradients_of_the_shifted_row_kernels(channels, size, filters, kernel,
                                                               pad, samples, chunks):
    x, weight, bias = _case(channels, size, filters, kernel, samples, seed=1)
    pooled = np.empty(_separately(x, weight, bias, pad)[0].shape, np.float32)
    codes = np.empty(pooled.shape, np.int8)
    pooled_phases.forward(x, weight, bias, pad, pooled, codes, chunks)
    argmax = np.empty(pooled.shape, np.int32)
    pooled_phases.argmax_from_codes(codes, x.shape[3] + 2 * pad - kernel + 1, argmax)
    grad_pooled = np.random.default_rng(2).normal(size=pooled.shape).astype(np.float32)
    want_weight, want_bias = np.empty_like(weight), np.empty_like(bias)
    shifted_rows.backward(x, weight, grad_pooled, pooled, argmax, im2col.POOLED,
                                 pad, np.empty((1, 1, 1, 1), np.float32), want_weight,
                                 want_bias, False, chunks)
    grad_weight, grad_bias = np.full_like(weight, np.nan), np.full_like(bias, np.nan)
    pooled_phases.backward(x, weight, grad_pooled, codes, pad, grad_weight, grad_bias, chunks)
    np.testing.assert_allclose(grad_weight, want_weight, rtol=1e-4,
                               atol=1e-5 * np.abs(want_weight).max())
    np.testing.assert_allclose(grad_bias, want_bias, rtol=1e-4,
                               atol=1e-5 * np.abs(want_bias).max())


def test_a_nan_input_reaches_the_pooled_map_and_the_gradients():
    x, weight, bias = _case(1, 28, 32, 3, 4)
    x[1, 0, 5, 5] = np.nan
    pooled = np.empty((4, 32, 14, 14), np.float32)
    codes = np.empty(pooled.shape, np.int8)
    pooled_phases.forward(x, weight, bias, 1, pooled, codes, 2)
    assert np.isnan(pooled[1, :, 2:4, 2:4]).any() and not np.isnan(pooled[[0, 2, 3]]).any()
    grad_weight, grad_bias = np.empty_like(weight), np.empty_like(bias)
    pooled_phases.backward(x, weight, np.ones_like(pooled), codes, 1, grad_weight, grad_bias, 2)
    assert np.isnan(grad_weight).any()


def test_phases_are_used_only_where_they_measured_faster():
    assert use_phases(1, 3, 32, 14) and use_phases(1, 3, 64, 14)  # the wide net's first conv
    assert not use_phases(1, 5, 6, 14)  # LeNet-5's first: 5×5
    assert not use_phases(1, 3, 8, 14)  # few filters
    assert not use_phases(8, 3, 32, 14)  # not a first layer on an image
    assert not use_phases(1, 3, 32, 7)  # short pooled rows


def test_a_run_holds_about_3200_floats_of_pooled_maps():
    assert pooled_phases.samples_per_run(np.empty((64, 32, 14, 14)), 2) == 16  # the wide net
    assert pooled_phases.samples_per_run(np.empty((64, 6, 12, 12)), 2) == 22
    assert pooled_phases.samples_per_run(np.empty((4, 32, 14, 14)), 2) == 2  # a thread's share
