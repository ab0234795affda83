"""One export function for the CLI and the window: the file's ending picks the format."""

from __future__ import annotations

import json

import numpy as np
import pytest

from studio.engine import Network
from studio.io import FileFormatError, export_model, load_network, load_preset


@pytest.fixture(scope="module")
def network():
    return Network(load_preset("tiny"), seed=4)


@pytest.mark.parametrize(("name", "says", "written"), [
    ("m.npz", "weights and architecture", ["m.npz"]),
    ("m.onnx", "opset 13", ["m.onnx"]),
    ("m.py", 'load("m.weights.npz")', ["m.py", "m.weights.npz"]),  # its weights, beside it
    ("a.json", "no weights", ["a.json"]),
])
def test_the_ending_picks_the_format(network, tmp_path, name, says, written):
    assert says in export_model(tmp_path / name, network)
    assert sorted(p.name for p in tmp_path.iterdir()) == written


def test_the_weights_round_trip(network, tmp_path):
    export_model(tmp_path / "m.npz", network)
    np.testing.assert_array_equal(load_network(tmp_path / "m.npz").parameters,
                                  network.parameters)


def test_a_module_for_given_weights_writes_no_weights_of_its_own(network, tmp_path):
    """The CLI's `export MODEL.npz --pytorch m.py`: the module loads the model it came from."""
    export_model(tmp_path / "m.py", network, weights_file=tmp_path / "given.npz")
    assert [p.name for p in tmp_path.iterdir()] == ["m.py"]
    assert "'given.npz'" in (tmp_path / "m.py").read_text()


@pytest.mark.parametrize("name", ["m.txt", "model", "m.pt"])
def test_an_unknown_ending_is_refused_and_nothing_is_written(network, tmp_path, name):
    with pytest.raises(FileFormatError, match=r"names no export format — end the name in "
                                              r"\.npz \(weights\), \.onnx"):
        export_model(tmp_path / name, network)
    assert not list(tmp_path.iterdir())


def test_an_architecture_alone_exports_only_as_json(tmp_path):
    architecture = load_preset("tiny")
    export_model(tmp_path / "a.json", architecture)
    assert json.loads((tmp_path / "a.json").read_text())["name"] == architecture["name"]
    with pytest.raises(FileFormatError, match="Train the network"):
        export_model(tmp_path / "m.onnx", architecture)
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]
