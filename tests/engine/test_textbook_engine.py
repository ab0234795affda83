"""The whole network on the textbook loops trains to the same weights as the fast engine."""

import numpy as np
import pytest

from studio.engine import Network, softmax_cross_entropy
from studio.engine.optimizers import SGD
from studio.io import load_preset

from .helpers import architecture


def _train(network: Network, images: np.ndarray, labels: np.ndarray, steps: int) -> np.ndarray:
    optimiser = SGD(network.parameters, network.gradients, weight_decay=5e-4)
    for step in range(steps):
        batch = slice(8 * step, 8 * step + 8)
        logits = network.forward(images[batch], training=True)
        network.backward(softmax_cross_entropy(logits, labels[batch])[1])
        optimiser.step(0.05)
    return network.parameters.copy()


@pytest.mark.parametrize("name", ["lenet5", "tiny"])
def test_a_few_training_steps_give_the_same_weights_on_either_engine(name):
    rng = np.random.default_rng(0)
    images = rng.random((32, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, 32)
    fast = _train(Network(load_preset(name), seed=3), images, labels, 4)
    textbook = _train(Network(load_preset(name), seed=3, engine="textbook"), images, labels, 4)
    np.testing.assert_allclose(textbook, fast, rtol=1e-4, atol=1e-4)


def test_strides_average_pools_and_odd_shapes_agree_with_their_input_gradients():
    arch = architecture((3, 11, 9),
                        {"type": "conv2d", "filters": 4, "kernel": 3, "stride": 2, "padding": 1},
                        {"type": "relu"}, {"type": "avgpool2d", "size": 2, "stride": 1},
                        {"type": "conv2d", "filters": 5, "kernel": 2, "stride": 1,
                         "padding": "valid"}, {"type": "relu"},
                        {"type": "maxpool2d", "size": 2, "stride": 2},
                        {"type": "flatten"}, {"type": "dense", "units": 6})
    x = np.random.default_rng(1).random((3, 3, 11, 9))
    grads = []
    for engine in ("fast", "textbook"):
        network = Network(arch, seed=5, dtype=np.float64, engine=engine)
        logits = network.forward(x, training=True)
        grad_x = network.backward(softmax_cross_entropy(logits, np.array([0, 2, 5]))[1],
                                  input_gradient=True)
        grads.append((logits, network.gradients.copy(), grad_x))
    for fast, textbook in zip(*grads):
        np.testing.assert_allclose(textbook, fast, rtol=1e-9, atol=1e-12)


def test_an_unknown_engine_is_named():
    with pytest.raises(ValueError, match="engine 'quick' is not one of fast, textbook"):
        Network(load_preset("tiny"), engine="quick")
