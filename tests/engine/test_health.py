"""Layer health flags dead ReLUs, saturated activations and steps that are too big or too small."""

from __future__ import annotations

import numpy as np

from studio.data import synthetic_digits
from studio.engine import Network, as_input, layer_health, softmax_cross_entropy
from studio.engine.health import BAD, GOOD, WARNING
from studio.engine.optimizers import SGD
from studio.io import load_preset

from .helpers import architecture


def one_step(network, lr=0.01):
    """One SGD step on 64 synthetic digits (or noise for networks of other input sizes)."""
    if network.input_shape == (1, 28, 28):
        images, y = synthetic_digits(64, seed=5)
        x = as_input(images)
    else:
        rng = np.random.default_rng(0)
        x = rng.random((64, *network.input_shape), dtype=np.float32)
        y = rng.integers(0, 10, 64)
    logits = network.forward(x, training=True)
    network.backward(softmax_cross_entropy(logits, y)[1])
    before = network.parameters.copy()
    SGD(network.parameters, network.gradients, momentum=0.0).step(lr)
    return layer_health(network, before)


def test_a_fresh_lenet_is_healthy_and_every_weighted_layer_is_reported():
    health = one_step(Network(load_preset("lenet5")))
    assert [h.layer for h in health] == [0, 3, 7, 9, 11]
    assert all(h.level in (GOOD, WARNING) for h in health)
    assert all(1e-6 < h.update_ratio < 1e-1 for h in health)
    assert health[0].dead_fraction is not None and health[-1].dead_fraction is None


def test_a_conv_whose_units_never_activate_is_red_and_suggests_leaky_relu():
    network = Network(load_preset("lenet5"))
    network.layers[0].params["bias"][:4] = -100.0  # 4 of 6 filters can never be positive
    conv = one_step(network)[0]
    assert conv.dead_fraction == 4 / 6
    assert conv.level == BAD and "never activate" in conv.message
    assert conv.suggestion.leaky_relu_at == 1


def test_a_huge_step_is_red_and_suggests_a_smaller_learning_rate():
    health = one_step(Network(load_preset("lenet5")), lr=50.0)
    worst = max(health, key=lambda h: h.update_ratio)
    assert worst.update_ratio > 0.1 and worst.level == BAD
    assert worst.suggestion.learning_rate_factor == 0.1


def test_saturated_sigmoids_are_flagged():
    network = Network(architecture((1, 4, 4), {"type": "flatten"}, {"type": "dense", "units": 8},
                                   {"type": "sigmoid"}, {"type": "dense", "units": 10}))
    network.layers[1].params["weight"][...] = 50.0
    dense = one_step(network)[0]
    assert dense.saturated_fraction > 0.9 and dense.level == BAD


def test_tiny_steps_are_fine_when_the_schedule_has_annealed_the_rate():
    network = Network(load_preset("lenet5"))
    rng = np.random.default_rng(0)
    network.forward(rng.random((8, 1, 28, 28), dtype=np.float32), training=True)
    before = network.parameters.copy()
    network.parameters[:] += 1e-9  # a step far below 10⁻⁵ of the weights' size
    assert layer_health(network, before)[0].level == WARNING
    annealed = layer_health(network, before, annealed=True)[0]
    assert annealed.level == GOOD and "as intended" in annealed.message


def test_units_killed_by_huge_steps_suggest_a_lower_learning_rate_not_leaky_relu():
    network = Network(load_preset("lenet5"))
    network.layers[0].params["bias"][:4] = -100.0
    network.forward(as_input(synthetic_digits(64, seed=5)[0]), training=True)
    before = network.parameters.copy()
    calm = layer_health(network, before, peak_updates={0: 2e-3})[0]
    assert calm.suggestion.leaky_relu_at == 1
    killed = layer_health(network, before, peak_updates={0: 0.15})[0]
    assert killed.level == BAD and "learning rate is too high" in killed.message
    assert killed.suggestion.learning_rate_factor == 0.1 and killed.suggestion.leaky_relu_at is None
