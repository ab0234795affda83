"""Hand-made kernels run through the engine's conv; the stride lesson matches the engine's dL/dX."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import correlate2d

from studio.engine import Network, TrainConfig, Trainer
from studio.engine.conv import im2col
from studio.engine.hand_kernels import (
    KERNEL_PRESETS,
    apply_kernel,
    input_gradient_by_full_convolution,
)
from studio.io import load_preset


@pytest.mark.parametrize("name", sorted(KERNEL_PRESETS))
@pytest.mark.parametrize(("stride", "padding"), [(1, "valid"), (1, "same"), (2, 1), (3, 0)])
def test_a_preset_kernel_is_a_cross_correlation(name, stride, padding):
    image = np.random.default_rng(0).random((12, 11))
    kernel = KERNEL_PRESETS[name]
    k = kernel.shape[0]
    pad = (k - 1) // 2 if padding == "same" else (0 if padding == "valid" else padding)
    expected = correlate2d(np.pad(image, pad), kernel, mode="valid")[::stride, ::stride]
    np.testing.assert_allclose(apply_kernel(image, kernel, stride, padding), expected,
                               rtol=1e-5, atol=1e-6)


def test_identity_keeps_the_image_and_sobel_finds_a_vertical_edge():
    image = np.zeros((8, 8))
    image[:, 4:] = 1.0
    np.testing.assert_allclose(apply_kernel(image, KERNEL_PRESETS["identity"], 1, "same"), image)
    edges = apply_kernel(image, KERNEL_PRESETS["Sobel x (vertical edges)"], 1, "valid")
    assert set(np.flatnonzero(edges.max(axis=0))) == {2, 3}  # the columns around the edge


@pytest.mark.parametrize(("size", "k", "stride", "pad"),
                         [(9, 3, 1, 1), (9, 3, 2, 1), (10, 3, 3, 0), (11, 5, 2, 2), (8, 2, 2, 0)])
def test_the_dilated_full_convolution_is_the_engines_input_gradient(size, k, stride, pad):
    rng = np.random.default_rng(size + k + stride)
    kernel = rng.normal(size=(k, k))
    out = (size + 2 * pad - k) // stride + 1
    grad_out = rng.normal(size=(out, out))
    dilated, grad_x = input_gradient_by_full_convolution(grad_out, kernel, (size, size), stride,
                                                         pad)
    assert dilated.shape == ((out - 1) * stride + 1,) * 2
    assert np.count_nonzero(dilated) == grad_out.size
    engine = np.empty((1, 1, size, size))
    im2col.conv2d_backward(np.zeros((1, 1, size, size)), kernel[None, None],
                                 grad_out[None, None], np.zeros((1, 1, out, out)),
                                 np.zeros((1, 1, 1, 1), np.int32), im2col.GRADIENT,
                                 stride, pad, engine, np.empty((1, 1, k, k)), np.empty(1), True,
                                 1)
    np.testing.assert_allclose(grad_x, engine[0, 0], rtol=1e-10, atol=1e-12)


def test_a_frozen_filter_keeps_its_hand_made_kernel_while_the_others_learn():
    from studio.data import synthetic_dataset

    dataset = synthetic_dataset()
    network = Network(load_preset("lenet5"))
    sobel = KERNEL_PRESETS["Sobel x (vertical edges)"]
    network.layers[0].params["weight"][1, 0] = np.pad(sobel, 1)  # in a 5×5 kernel
    before = network.layers[0].params["weight"].copy()
    config = TrainConfig(epochs=1, snapshot_interval=0, frozen_filters=[[0, 1]])
    assert config.frozen_filters == ((0, 1),)
    Trainer(network, dataset.train_images[:640], dataset.train_labels[:640], config=config).run()
    after = network.layers[0].params["weight"]
    np.testing.assert_array_equal(after[1], before[1])
    assert network.layers[0].params["bias"][1] == 0.0
    assert not np.allclose(after[0], before[0])


def test_freezing_a_filter_the_network_lacks_is_refused_with_a_sentence():
    from studio.data import synthetic_dataset

    dataset = synthetic_dataset()
    network = Network(load_preset("lenet5"))
    with pytest.raises(ValueError, match="layer 0 .conv2d. has no filter 6: it has 6"):
        Trainer(network, dataset.train_images, dataset.train_labels,
                config=TrainConfig(frozen_filters=((0, 6),)))
    with pytest.raises(ValueError, match="layer 1 is not a conv2d layer"):
        Trainer(network, dataset.train_images, dataset.train_labels,
                config=TrainConfig(frozen_filters=((1, 0),)))
