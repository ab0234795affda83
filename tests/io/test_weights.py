"""Weights as .npz: round trip, torch load_state_dict, and refusals that name the problem."""

from __future__ import annotations

import json

import numpy as np
import pytest

from studio.engine import Network
from studio.io import FileFormatError, load_network, load_preset, read_weights, save_weights


@pytest.mark.parametrize("preset", ["lenet5", "batchnorm", "strided"])
def test_round_trip_gives_identical_logits(tmp_path, preset):
    network = Network(load_preset(preset), seed=4)
    path = tmp_path / "m.npz"
    save_weights(path, network)
    loaded = load_network(path)
    x = np.random.default_rng(0).random((5, 1, 28, 28), dtype=np.float32)
    np.testing.assert_array_equal(loaded.forward(x), network.forward(x))
    with np.load(path, allow_pickle=False) as archive:
        assert json.loads(str(archive["architecture"]))["layers"] == network.architecture["layers"]
        assert archive["0.weight"].shape == network.state_dict()["0.weight"].shape


def test_npz_loads_into_torch_sequential(tmp_path):
    torch = pytest.importorskip("torch")
    from studio.io.torch_sequential import torch_modules

    network = Network(load_preset("batchnorm"), seed=2)
    save_weights(tmp_path / "m.npz", network)
    model = torch.nn.Sequential(*torch_modules(load_preset("batchnorm")))
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        model.load_state_dict({k: torch.from_numpy(archive[k]) for k in archive.files
                               if k != "architecture"})
    x = np.random.default_rng(0).random((4, 1, 28, 28), dtype=np.float32)
    np.testing.assert_allclose(model.eval()(torch.from_numpy(x)).detach().numpy(),
                               network.forward(x), atol=1e-5)


class Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickled_npz_is_refused_and_its_payload_never_runs(tmp_path):
    marker = tmp_path / "payload-ran"
    path = tmp_path / "evil.npz"
    np.savez(path, architecture=np.array(json.dumps(load_preset("tiny"))),
             **{"0.weight": np.array([Payload(str(marker))], dtype=object)})
    with pytest.raises(FileFormatError, match="pickled Python objects"):
        load_network(path)
    assert not marker.exists()


def test_shape_mismatch_names_the_array(tmp_path):
    network = Network(load_preset("tiny"))
    state = {k: v.copy() for k, v in network.state_dict().items()}
    state["4.weight"] = np.zeros((10, 5), dtype=np.float32)
    np.savez(tmp_path / "m.npz", architecture=np.array(json.dumps(network.architecture)), **state)
    with pytest.raises(FileFormatError, match=r"array '4.weight' has shape \(10, 5\) but the "
                                              r"architecture needs \(10, 676\)"):
        load_network(tmp_path / "m.npz")


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda s: s.pop("0.bias"), "no array '0.bias'"),
    (lambda s: s.__setitem__("0.weight", np.full((4, 1, 3, 3), np.nan, np.float32)),
     "'0.weight' holds NaN"),
    (lambda s: s.pop("architecture"), "has no 'architecture' entry"),
    (lambda s: s.__setitem__("architecture", np.array("{not json")), "not valid JSON"),
])
def test_bad_weights_files(tmp_path, mutate, expected):
    network = Network(load_preset("tiny"))
    state = {k: v.copy() for k, v in network.state_dict().items()}
    state["architecture"] = np.array(json.dumps(network.architecture))
    mutate(state)
    np.savez(tmp_path / "m.npz", **state)
    with pytest.raises(FileFormatError, match=expected):
        load_network(tmp_path / "m.npz")


def test_not_an_npz(tmp_path):
    (tmp_path / "m.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(FileFormatError, match="not a readable .npz archive"):
        read_weights(tmp_path / "m.npz")


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "m.npz"
    path.write_bytes(b"old")
    save_weights(path, Network(load_preset("tiny")))
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]
    assert load_network(path)
