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


def test_a_network_changes_engine_in_place_keeping_its_weights_and_dropout_draws():
    arch = architecture((1, 12, 12), {"type": "conv2d", "filters": 3, "kernel": 3},
                        {"type": "relu"}, {"type": "maxpool2d", "size": 2, "stride": 2},
                        {"type": "flatten"}, {"type": "dropout", "rate": 0.5},
                        {"type": "dense", "units": 4})
    x = np.random.default_rng(2).random((5, 1, 12, 12), dtype=np.float32)
    switched, fast = Network(arch, seed=1), Network(arch, seed=1)
    weights = switched.parameters
    switched.forward(x, training=True)  # one dropout draw, so the switch must carry the RNG on
    fast.forward(x, training=True)
    switched.use_engine("textbook")
    assert switched.engine == "textbook" and type(switched.layers[0]).__name__ == "TextbookConv2D"
    expected = fast.forward(x, training=True)
    np.testing.assert_allclose(switched.forward(x, training=True), expected, rtol=1e-5, atol=1e-6)
    switched.backward(np.ones_like(expected))
    fast.backward(np.ones_like(expected))
    np.testing.assert_allclose(switched.gradients, fast.gradients, rtol=1e-4, atol=1e-5)
    switched.use_engine("fast")
    assert switched.parameters is weights and switched.state_dict()["0.weight"].base is weights
    np.testing.assert_allclose(switched.forward(x), fast.forward(x), rtol=1e-5, atol=1e-6)


def test_a_run_trains_on_the_textbook_loops_until_its_fast_kernels_are_ready():
    """A first launch: the batches before `fast_kernels` is set run on the textbook loops,
    the rest on the fast kernels, and the run trains as one that was fast throughout."""
    import threading

    from studio.engine import BatchEnd, TrainConfig, Trainer

    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (64, 28, 28), np.uint8), rng.integers(0, 10, 64)
    config = TrainConfig(epochs=1, batch_size=8, snapshot_interval=0)
    ready = threading.Event()
    bridged = Trainer(Network(load_preset("tiny"), seed=3), images, labels, config=config,
                      fast_kernels=ready)
    compiling = []
    for event in bridged.events():
        if isinstance(event, BatchEnd):
            compiling.append((event.compiling, bridged.network.engine))
            if event.step == 3:
                ready.set()
    assert compiling == [(True, "textbook")] * 3 + [(False, "fast")] * 5
    fast = Trainer(Network(load_preset("tiny"), seed=3), images, labels, config=config)
    fast.run()
    np.testing.assert_allclose(bridged.network.parameters, fast.network.parameters,
                               rtol=1e-4, atol=1e-4)


def test_a_run_whose_fast_kernels_are_ready_never_touches_the_textbook_loops():
    import threading

    from studio.engine import TrainConfig, Trainer

    ready = threading.Event()
    ready.set()
    images = np.zeros((8, 28, 28), np.uint8)
    trainer = Trainer(Network(load_preset("tiny")), images, np.zeros(8, int),
                      config=TrainConfig(epochs=1, batch_size=8), fast_kernels=ready)
    assert trainer.network.engine == "fast"
