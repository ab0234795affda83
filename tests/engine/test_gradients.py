"""Every layer's backward pass against central finite differences, in float64."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.engine import Network
from studio.engine.conv.plan import WINOGRAD, WINOGRAD_MIN_IMAGES
from studio.io import load_preset

from .helpers import (
    analytic_gradients,
    architecture,
    numeric_gradient,
    projected_loss,
    single_layer_network,
)

LAYERS = [
    ((1, 7, 7), {"type": "conv2d", "filters": 2, "kernel": 3, "stride": 1, "padding": "valid"}),
    ((3, 6, 6), {"type": "conv2d", "filters": 4, "kernel": 3, "stride": 2, "padding": 1}),
    ((2, 8, 8), {"type": "conv2d", "filters": 3, "kernel": 5, "stride": 1, "padding": "same"}),
    ((2, 9, 7), {"type": "conv2d", "filters": 2, "kernel": 3, "stride": 2, "padding": 2}),
    # more than 32 filters at stride 1: im2col + sgemm rather than shifted rows
    ((2, 6, 6), {"type": "conv2d", "filters": 33, "kernel": 3, "stride": 1, "padding": "same"}),
    ((2, 6, 6), {"type": "maxpool2d", "size": 2, "stride": 2}),
    ((2, 7, 5), {"type": "maxpool2d", "size": 2, "stride": 2}),
    ((2, 7, 7), {"type": "maxpool2d", "size": 3, "stride": 2}),
    ((2, 6, 6), {"type": "avgpool2d", "size": 2, "stride": 2}),
    ((1, 7, 7), {"type": "avgpool2d", "size": 3, "stride": 1}),
    ((2, 4, 4), {"type": "relu"}),
    ((2, 4, 4), {"type": "leaky_relu", "slope": 0.1}),
    ((2, 4, 4), {"type": "sigmoid"}),
    ((2, 4, 4), {"type": "tanh"}),
    ((2, 4, 4), {"type": "flatten"}),
    ((3, 4, 4), {"type": "batchnorm2d"}),
]


def check_layer(input_shape, layer, batch=3, seed=0, coordinates=25, rtol=1e-5, atol=1e-7):
    check_network(single_layer_network(input_shape, layer, seed=seed), batch, seed, coordinates,
                  rtol, atol, layer)


def check_network(network, batch=3, seed=0, coordinates=25, rtol=1e-5, atol=1e-7, layer=None):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, *network.input_shape))
    out_size = network.forward(x, training=True).shape[1]
    projection = rng.normal(size=(batch, out_size))
    grads, grad_x = analytic_gradients(network, x, projection)

    def loss():
        return projected_loss(network, x, projection)

    for name, param in network.state_dict().items():
        if name not in grads:
            continue  # batchnorm running statistics are not parameters
        index, numeric = numeric_gradient(loss, param, coordinates, rng)
        np.testing.assert_allclose(grads[name].reshape(-1)[index], numeric, rtol=rtol, atol=atol,
                                   err_msg=f"dL/d{name} of {layer}")
    index, numeric = numeric_gradient(loss, x, coordinates, rng)
    np.testing.assert_allclose(grad_x.reshape(-1)[index], numeric, rtol=rtol, atol=atol,
                               err_msg=f"dL/dX of {layer}")


@pytest.mark.parametrize(("input_shape", "layer"), LAYERS, ids=lambda v: str(v))
def test_layer_gradient_matches_finite_differences(input_shape, layer):
    check_layer(input_shape, layer)


def test_dense_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    network = Network(architecture((1, 1, 6), {"type": "flatten"}, {"type": "dense", "units": 4}),
                      dtype=np.float64)
    x = rng.normal(size=(3, 1, 1, 6))
    projection = rng.normal(size=(3, 4))
    grads, grad_x = analytic_gradients(network, x, projection)
    for name, param in network.state_dict().items():
        index, numeric = numeric_gradient(lambda: projected_loss(network, x, projection), param,
                                          30, rng)
        np.testing.assert_allclose(grads[name].reshape(-1)[index], numeric, rtol=1e-6)
    index, numeric = numeric_gradient(lambda: projected_loss(network, x, projection), x, 18, rng)
    np.testing.assert_allclose(grad_x.reshape(-1)[index], numeric, rtol=1e-6)


@settings(max_examples=25, deadline=None)
@given(channels=st.integers(1, 3), size=st.integers(4, 9), kernel=st.sampled_from([1, 2, 3, 4]),
       stride=st.integers(1, 3), padding=st.integers(0, 2), filters=st.integers(1, 3))
def test_conv_gradient_for_generated_shapes(channels, size, kernel, stride, padding, filters):
    layer = {"type": "conv2d", "filters": filters, "kernel": kernel, "stride": stride,
             "padding": padding}
    check_layer((channels, size, size + 1), layer, batch=2, coordinates=12)


@settings(max_examples=20, deadline=None)
@given(kind=st.sampled_from(["maxpool2d", "avgpool2d"]), size=st.integers(1, 3),
       stride=st.integers(1, 3), height=st.integers(3, 8))
def test_pool_gradient_for_generated_shapes(kind, size, stride, height):
    check_layer((2, height, height + 2), {"type": kind, "size": size, "stride": stride}, batch=2,
                coordinates=12)


def test_dropout_scales_kept_values_and_routes_gradient_through_the_mask():
    network = single_layer_network((1, 40, 50), {"type": "dropout", "rate": 0.25})
    x = np.ones((4, 1, 40, 50))
    y = network.forward(x, training=True)
    kept = y != 0
    assert 0.7 < kept.mean() < 0.8
    np.testing.assert_allclose(y[kept], 1 / 0.75)
    grad = network.backward(np.ones_like(y), input_gradient=True).reshape(4, -1)
    np.testing.assert_array_equal(grad, y)
    np.testing.assert_array_equal(network.forward(x, training=False), x.reshape(4, -1))


def check_fused_network(network, x, label):
    """A training pass (fused) gives what inference (unfused) does, and every gradient
    matches finite differences."""
    np.testing.assert_array_equal(network.forward(x, training=True).copy(),
                                  network.forward(x, training=False))
    check_network(network, layer=label)


@pytest.mark.parametrize(("input_shape", "layers", "fused"), [
    ((2, 6, 6), [{"type": "conv2d", "filters": 3, "kernel": 3, "stride": 1, "padding": "same"},
                 {"type": "relu"}, {"type": "flatten"}], 0),
    ((2, 3, 3), [{"type": "flatten"}, {"type": "dense", "units": 5}, {"type": "relu"},
                 {"type": "dense", "units": 3}], 1),
], ids=["conv2d", "dense"])
def test_a_layer_applies_the_relu_that_follows_it_while_training(input_shape, layers, fused):
    network = Network(architecture(input_shape, *layers), dtype=np.float64)
    assert network.plans[fused].relu and network.plans[fused + 1].by == fused
    x = np.random.default_rng(1).normal(size=(3, *input_shape))
    check_fused_network(network, x, f"{layers[fused]['type']} + relu")


@pytest.mark.parametrize("pool", [{"type": "maxpool2d", "size": 2, "stride": 2},
                                  {"type": "maxpool2d", "size": 3, "stride": 2}])
@pytest.mark.parametrize("channels", [2, 6])  # 6 × 3 taps a row: the sparse scatter
def test_a_conv_does_the_relu_and_max_pool_backward_passes_while_training(pool, channels):
    layers = [{"type": "conv2d", "filters": 3, "kernel": 3, "stride": 1, "padding": "same"},
              {"type": "relu"}, pool, {"type": "flatten"}]
    network = Network(architecture((channels, 7, 7), *layers), dtype=np.float64)
    assert network.plans[0].pool and network.plans[2].by == 0
    assert network.layers[0].pool_after is network.layers[2]
    x = np.random.default_rng(2).normal(size=(3, channels, 7, 7))
    network.forward(x, training=True)
    assert network.layers[2].deferred
    check_fused_network(network, x, f"conv2d + relu + {pool}")


def test_inference_without_layer_outputs_fuses_relu_and_pool_with_the_same_logits():
    network = Network(load_preset("lenet5"))
    x = np.random.default_rng(3).random((4, 1, 28, 28), dtype=np.float32)
    kept = network.forward(x).copy()
    assert (network.outputs[0] < 0).any()  # the conv's own, pre-activation output
    pooled = [network.outputs[2].copy(), network.outputs[5].copy()]
    fused = network.forward(x, layer_outputs=False)
    np.testing.assert_array_equal(fused, kept)
    for want, got in zip(pooled, (network.outputs[2], network.outputs[5])):
        np.testing.assert_array_equal(got, want)  # pooled by the convs, in their epilogue


def test_inference_without_layer_outputs_pools_the_wide_nets_first_conv_in_phases():
    network = Network(load_preset("wide"))
    x = np.random.default_rng(3).random((4, 1, 28, 28), dtype=np.float32)
    kept, pooled = network.forward(x).copy(), network.outputs[2].copy()
    fused = network.forward(x, layer_outputs=False)
    assert network.layers[0].pooled_in_phases
    np.testing.assert_allclose(network.outputs[2], pooled, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fused, kept, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("preset", ["lenet5", "wide"])  # the wide net's first conv: phases
def test_training_without_layer_outputs_gives_the_same_logits_and_gradients(preset):
    network = Network(load_preset(preset))
    images = WINOGRAD_MIN_IMAGES  # the wide net's second conv: Winograd, pooling in its epilogue
    x = np.random.default_rng(5).random((images, 1, 28, 28), dtype=np.float32)
    grad_logits = np.random.default_rng(6).normal(size=(images, 10)).astype(np.float32)
    results = []
    for layer_outputs in (True, False):
        logits = network.forward(x, training=True, layer_outputs=layer_outputs).copy()
        network.backward(grad_logits)
        results.append((logits, network.gradients.copy(), network.outputs[1].copy()))
        network.outputs[0][...] = np.nan  # the first conv's map, as the next pass finds it
    (logits, gradients, conv_map), (fused_logits, fused_gradients, unwritten) = results
    assert network.layers[0].pooled_in_phases == (preset == "wide")
    assert preset != "wide" or network.plans[3].forward_path(True, images) == WINOGRAD
    if preset == "lenet5":  # the same kernels, so the same sums
        np.testing.assert_array_equal(fused_logits, logits)
        np.testing.assert_array_equal(fused_gradients, gradients)
    else:  # the same sums in another order
        np.testing.assert_allclose(fused_logits, logits, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(fused_gradients, gradients, rtol=1e-4,
                                   atol=1e-6 * np.abs(gradients).max())
    assert (conv_map >= 0).all() and np.isnan(unwritten).all()  # not written when not wanted


@pytest.mark.parametrize("filters", [16, 64])  # 64: im2col's, when not in phases
def test_a_first_conv_pooled_in_phases_has_the_gradients_of_finite_differences(filters):
    layers = [{"type": "conv2d", "filters": filters, "kernel": 3, "stride": 1, "padding": "same"},
              {"type": "relu"}, {"type": "maxpool2d", "size": 2, "stride": 2},
              {"type": "flatten"}, {"type": "dense", "units": 3}]
    network = Network(architecture((1, 16, 16), *layers), dtype=np.float64)
    rng = np.random.default_rng(7)
    x, projection = rng.normal(size=(3, 1, 16, 16)), rng.normal(size=(3, 3))
    network.forward(x, training=True, layer_outputs=False)
    assert network.layers[0].pooled_in_phases
    network.backward(projection)
    grads = {f"{layer.index}.{name}": layer.grads[name].copy() for layer in network.layers
             for name in layer.param_shapes()}
    for name, param in network.state_dict().items():
        index, numeric = numeric_gradient(lambda: projected_loss(network, x, projection), param,
                                          25, rng)
        np.testing.assert_allclose(grads[name].reshape(-1)[index], numeric, rtol=1e-5,
                                   atol=1e-7, err_msg=f"dL/d{name}")
    # and dL/dX after a pass in phases, which went back through the arg-max instead
    network.forward(x, training=True, layer_outputs=False)
    grad_x = network.backward(projection, input_gradient=True).copy()
    index, numeric = numeric_gradient(lambda: projected_loss(network, x, projection), x, 25, rng)
    np.testing.assert_allclose(grad_x.reshape(-1)[index], numeric, rtol=1e-5, atol=1e-7)


def test_a_pool_left_waiting_by_an_interrupted_pass_pools_its_own_input_next_time():
    network = Network(load_preset("lenet5"))
    x = np.random.default_rng(4).random((3, 1, 28, 28), dtype=np.float32)
    expected = network.forward(x).copy()
    network.layers[0].forward(x[::-1].copy(), True)  # pools into layer 2, which never runs
    np.testing.assert_array_equal(network.forward(x), expected)  # inspection: unfused
