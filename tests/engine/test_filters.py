"""set_filter: the one way a hand-made kernel goes into a network, and back out on undo."""

from __future__ import annotations

import numpy as np
import pytest

from studio.engine import Network, set_filter
from studio.io import load_preset


def test_a_kernel_goes_into_every_input_channel_and_the_old_filter_comes_back():
    network = Network(load_preset("lenet5"), seed=1)
    conv = network.layers[3]  # 16 filters over 6 channels, 5×5
    before = conv.params["weight"][4].copy(), conv.params["bias"][4].copy()
    kernel = np.arange(25, dtype=np.float32).reshape(5, 5)
    previous = set_filter(network, 3, 4, kernel)
    assert np.array_equal(conv.params["weight"][4], np.broadcast_to(kernel, (6, 5, 5)))
    assert conv.params["bias"][4] == 0
    np.testing.assert_array_equal(previous[0], before[0])
    set_filter(network, 3, 4, *previous)
    np.testing.assert_array_equal(conv.params["weight"][4], before[0])
    assert conv.params["bias"][4] == before[1]
    # the network's flat parameter vector is what training updates: it sees the change
    set_filter(network, 3, 4, kernel)
    assert np.isin(kernel.ravel(), network.parameters).all()


@pytest.mark.parametrize(("layer", "f", "size"), [
    (1, 0, 5),  # a relu, not a conv
    (0, 6, 5),  # LeNet-5's first conv has filters 0…5
    (0, 0, 3),  # a 3×3 kernel for a 5×5 filter
    (40, 0, 5),  # no such layer (the network was edited since)
])
def test_no_such_filter_changes_nothing(layer, f, size):
    network = Network(load_preset("lenet5"), seed=1)
    before = network.parameters.copy()
    assert set_filter(network, layer, f, np.ones((size, size))) is None
    np.testing.assert_array_equal(network.parameters, before)
