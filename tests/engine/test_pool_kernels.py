"""The unrolled 2×2 max-pool kernels agree with the general ones, ties included."""

from __future__ import annotations

import numpy as np
import pytest

from studio.engine import pool_kernels


@pytest.mark.parametrize("shape", [(3, 2, 6, 6), (2, 3, 7, 9),
                                   # rows of 8-16 windows, done 16 at a time (odd sizes too)
                                   (2, 3, 28, 28), (1, 2, 9, 33), (1, 2, 5, 17),
                                   (1, 1, 4, 34)])  # 17 windows: one by one
def test_two_by_two_max_pool_matches_the_general_kernel(shape):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, shape).astype(np.float32)  # few values: many tied windows
    out_shape = (*shape[:2], shape[2] // 2, shape[3] // 2)
    general = np.empty(out_shape, np.float32), np.empty(out_shape, np.int32)
    fast = np.empty(out_shape, np.float32), np.empty(out_shape, np.int32)
    pool_kernels.maxpool2d_forward(x, 2, 2, *general)
    pool_kernels.maxpool2x2_forward(x, *fast)
    np.testing.assert_array_equal(fast[0], general[0])
    np.testing.assert_array_equal(fast[1], general[1])

    grad_out = rng.normal(size=out_shape).astype(np.float32)
    expected, actual = np.full(shape, np.nan, np.float32), np.full(shape, np.nan, np.float32)
    pool_kernels.maxpool2d_backward(grad_out, general[1], expected)
    pool_kernels.maxpool2x2_backward(grad_out, fast[1], actual)
    np.testing.assert_array_equal(actual, expected)
