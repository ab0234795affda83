"""The arithmetic `explain` shows is the engine's own: values, gradients and dL/dK shares."""

from __future__ import annotations

import numpy as np
import pytest

from studio.engine import Network, explain
from studio.io import load_preset

from .helpers import architecture


@pytest.fixture(scope="module")
def lenet():
    network = Network(load_preset("lenet5"), seed=3)
    image = np.random.default_rng(0).random((1, 28, 28)).astype(np.float32)
    return network, image


@pytest.mark.parametrize("layer", range(12))
def test_every_lenet_layer_explains_its_forward_value(lenet, layer):
    network, image = lenet
    network.forward(image[None])
    shape = network.outputs[layer].shape[1:]
    rng = np.random.default_rng(layer)
    for _ in range(3):
        position = tuple(int(rng.integers(n)) for n in shape)
        seen = explain(network, image, 7, layer, position)
        assert seen.value == pytest.approx(seen.engine_value, rel=1e-5, abs=1e-6)
        assert seen.forward and seen.backward
        assert seen.title.startswith(f"layer {layer} ({network.layers[layer].kind})")


def test_the_conv_shares_of_dl_dk_add_up_to_the_engines_dl_dk():
    """dL/dK = X ⋆ dL/dY: the per-position shares `explain` shows must sum to it."""
    network = Network(architecture((2, 7, 7), {"type": "conv2d", "filters": 2, "kernel": 3,
                                               "stride": 2, "padding": 1},
                                   {"type": "relu"}, {"type": "flatten"},
                                   {"type": "dense", "units": 10}), dtype=np.float64)
    image = np.random.default_rng(1).random((2, 7, 7))
    total = np.zeros((2, 3, 3))
    for y in range(4):
        for x in range(4):
            seen = explain(network, image, 4, 0, (1, y, x))
            total += seen.arrays["share of dL/dK"]
            assert "dilated with 1 zero" in seen.backward[-1]
    np.testing.assert_allclose(total, network.layers[0].grads["weight"][1], rtol=1e-10)


def test_a_position_outside_the_output_is_refused(lenet):
    network, image = lenet
    with pytest.raises(IndexError, match="outside layer 0"):
        explain(network, image, 0, 0, (6, 0, 0))


def test_max_pool_names_the_winner_and_routes_the_gradient_to_it(lenet):
    network, image = lenet
    seen = explain(network, image, 2, 2, (1, 3, 4))
    window = seen.arrays["window"]
    assert seen.value == window.max()
    assert "receives all of it" in seen.backward[1]


@pytest.mark.parametrize(("kind", "layer"), [("conv2d", 0), ("maxpool2d", 2), ("dense", -1)])
def test_each_formula_names_the_textbook_function_that_computes_it(kind, layer):
    from studio.engine import explain
    from studio.engine.conv import reference
    from studio.engine.explanation import TEXTBOOK_FUNCTIONS
    from studio.io import load_preset

    network = Network(load_preset("lenet5"))
    index = layer % len(network.layers)
    assert network.layers[index].kind == kind
    position = (0,) if kind == "dense" else (0, 1, 1)
    found = explain(network, np.zeros((1, 28, 28)), 3, index, position)
    forward_code, backward_code = TEXTBOOK_FUNCTIONS[kind]
    assert found.code == (f"{forward_code}, backward {backward_code} in "
                          "studio/engine/conv/reference.py")
    for name in (forward_code, *backward_code.replace(" and", ",").split(", ")):
        assert callable(getattr(reference, name))  # the names are real functions



def test_a_zero_gradient_says_why(lenet):
    network, image = lenet
    network.forward(image[None])
    conv = network.outputs[0][0]  # conv → ReLU → 2×2 max-pool
    stopped = tuple(int(v) for v in np.argwhere(conv <= 0)[0])
    assert "the ReLU after it (layer 1)" in explain(network, image, 7, 0, stopped).backward[1]
    windows = conv.reshape(conv.shape[0], 14, 2, 14, 2).transpose(0, 1, 3, 2, 4)
    largest = windows.reshape(*windows.shape[:3], 4).max(axis=3)
    for c, y, x in np.argwhere(conv > 0):
        if conv[c, y, x] < largest[c, y // 2, x // 2]:  # positive, but not its window's max
            seen = explain(network, image, 7, 0, (int(c), int(y), int(x)))
            assert seen.gradient == 0 and "max-pool (layer 2)" in seen.backward[1]
            break
    else:
        pytest.fail("no positive value lost its window")
    winner = tuple(int(v) for v in np.argwhere((conv > 0) & (conv == np.repeat(np.repeat(
        largest, 2, axis=1), 2, axis=2)))[0])
    assert not any("why 0" in line for line in explain(network, image, 7, 0, winner).backward)


@pytest.mark.parametrize("layer", [0, 11])  # LeNet-5's first conv and its last dense
def test_a_negative_bias_is_subtracted_not_added_as_a_negative(lenet, layer):
    network, image = lenet
    bias = network.layers[layer].params["bias"]
    kept = bias.copy()
    bias[:] = -0.25
    try:
        seen = explain(network, image, 7, layer, (0, 3, 3) if layer == 0 else (4,))
    finally:
        bias[:] = kept
    text = "\n".join(seen.forward)
    assert "+ -" not in text and "− 0.25 =" in text
