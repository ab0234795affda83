"""Winograd F(2×2, 3×3) gives the im2col convolution's output, for every size and padding."""

from __future__ import annotations

import numpy as np
import pytest

from studio.engine.conv import im2col
from studio.engine.conv.plan import use_winograd
from studio.engine.conv.winograd import winograd_conv3x3_forward


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
    winograd_conv3x3_forward(x, weight, bias, pad, actual, rectify, 2)
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_winograd_is_used_only_where_it_measured_faster():
    assert use_winograd(3, 1, 32, 14)  # the wide net's second conv
    assert not use_winograd(3, 1, 1, 28)  # a first layer on the image
    assert not use_winograd(3, 1, 64, 7)  # small maps waste half of each 2×2 tile
    assert not use_winograd(5, 1, 32, 14) and not use_winograd(3, 2, 32, 14)
