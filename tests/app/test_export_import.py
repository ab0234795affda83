"""Exports from the window, and trained weights coming back in (projects and .npz files)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from studio.engine import Network, TrainConfig
from studio.io import load_preset, save_weights

ort = pytest.importorskip("onnxruntime")


@pytest.fixture
def trained_window(window, qtbot):
    window.load_preset("tiny")
    window.start_training(TrainConfig(epochs=1, snapshot_interval=0))
    qtbot.waitUntil(lambda: not window.training.running, timeout=60000)
    written = []
    window.export_done = lambda path, summary: written.append((path, summary))
    window.exported = written
    return window


def test_export_onnx_pytorch_npz_and_json(trained_window, tmp_path):
    window = trained_window
    x = np.random.default_rng(0).random((3, 1, 28, 28), dtype=np.float32)
    expected = window.trained_network().forward(x).copy()
    assert window.export_to(tmp_path / "m.onnx")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"input": x})[0], expected, atol=1e-4)
    assert window.export_to(tmp_path / "m.py")
    assert (tmp_path / "m.weights.npz").is_file() and "load(" in (tmp_path / "m.py").read_text()
    assert window.export_to(tmp_path / "w.npz")
    assert window.export_to(tmp_path / "a.json")
    assert json.loads((tmp_path / "a.json").read_text())["name"] == "Tiny CNN"
    assert [p.name for p, _ in window.exported] == ["m.onnx", "m.py", "w.npz", "a.json"]
    assert "opset 13" in window.exported[0][1]


def test_exports_and_saves_never_replace_a_file_beside_them_unasked(trained_window, tmp_path,
                                                                    monkeypatch):
    """A project digits.cnnproj keeps its weights in digits.npz: exporting digits.py wrote
    its module's weights there, and saving a project over an export's .npz replaced it."""
    window = trained_window
    asked: list[list] = []
    monkeypatch.setattr(window, "confirm_replace", lambda files: asked.append(files) or False)
    assert window.save_to(tmp_path / "digits.cnnproj") and not asked
    project_weights = (tmp_path / "digits.npz").read_bytes()
    assert window.export_to(tmp_path / "digits.py") and not asked  # beside, not onto, them
    assert (tmp_path / "digits.weights.npz").is_file()
    assert (tmp_path / "digits.npz").read_bytes() == project_weights
    assert window.save_to(tmp_path / "digits.cnnproj") and not asked  # its own files
    before = (tmp_path / "digits.weights.npz").read_bytes()
    assert not window.export_to(tmp_path / "digits.py")  # refused: nothing written
    assert asked == [[tmp_path / "digits.weights.npz"]]
    assert (tmp_path / "digits.weights.npz").read_bytes() == before
    (tmp_path / "other.npz").write_bytes(b"an export of someone else's")
    assert not window.save_to(tmp_path / "other.cnnproj")
    assert asked[-1] == [tmp_path / "other.npz"] and not (tmp_path / "other.cnnproj").exists()
    assert (tmp_path / "other.npz").read_bytes() == b"an export of someone else's"
    assert window.session.path == tmp_path / "digits.cnnproj"


def test_an_unknown_ending_is_refused_with_the_clis_sentence(trained_window, tmp_path):
    assert not trained_window.export_to(tmp_path / "m.txt")
    assert "the ending .txt names no export format" in trained_window.errors[-1]
    assert not (tmp_path / "m.txt").exists() and not trained_window.exported


def test_weights_exports_need_a_trained_network(window, tmp_path):
    assert not window.export_to(tmp_path / "m.onnx")
    assert "Train the network" in window.errors[-1]
    assert not (tmp_path / "m.onnx").exists()


def test_editing_the_architecture_retires_the_trained_weights(trained_window):
    window = trained_window
    assert window.trained_network() is not None
    window.document.select(0)
    window.inspector.editors["filters"].setValue(5)
    assert window.trained_network() is None
    window.undo_stack.undo()
    assert window.trained_network() is not None


def test_project_saves_and_reopens_its_weights(trained_window, tmp_path):
    window = trained_window
    assert window.windowTitle().endswith("*")  # new weights are unsaved work
    before = window.trained_network().parameters.copy()
    assert window.save_to(tmp_path / "p.cnnproj")
    assert (tmp_path / "p.npz").is_file()
    assert json.loads((tmp_path / "p.cnnproj").read_text())["weights"] == "p.npz"
    window.new_network()
    assert window.trained_network() is None
    assert window.open_file(tmp_path / "p.cnnproj")
    np.testing.assert_array_equal(window.trained_network().parameters, before)


def test_opening_an_npz_shows_its_network_and_continue_trains_on_from_it(window, qtbot,
                                                                         tmp_path):
    network = Network(load_preset("tiny"), seed=9)
    save_weights(tmp_path / "m.npz", network)
    assert window.open_file(tmp_path / "m.npz")
    assert window.document.architecture["name"] == "Tiny CNN"
    np.testing.assert_array_equal(window.trained_network().parameters, network.parameters)
    window.continue_training(TrainConfig(epochs=1, snapshot_interval=0))
    assert "Continuing from the trained weights" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: not window.training.running, timeout=60000)
    assert not np.array_equal(window.trained_network().parameters, network.parameters)
    assert window.recorder.runs[-1].lineage == "continued from opened weights"


def test_a_pickled_npz_is_refused_in_a_dialog(window, tmp_path):
    marker = tmp_path / "ran"
    np.savez(tmp_path / "evil.npz", architecture=np.array(json.dumps(load_preset("tiny"))),
             payload=np.array([print], dtype=object))
    before = window.document.architecture
    assert not window.open_file(tmp_path / "evil.npz")
    assert "pickled Python objects" in window.errors[-1]
    assert window.document.architecture == before and not marker.exists()


@pytest.mark.parametrize(("typed", "chosen", "exported"), [
    ("model", "ONNX model (*.onnx)", "model.onnx"),  # no ending: the chosen filter's
    ("model", "PyTorch module (*.py)", "model.py"),
    ("model.npz", "ONNX model (*.onnx)", "model.npz"),  # a typed ending wins
])
def test_the_export_dialog_gives_a_bare_name_the_chosen_filters_ending(window, monkeypatch,
                                                                      tmp_path, typed, chosen,
                                                                      exported):
    monkeypatch.setattr("studio.app.main_window.QFileDialog.getSaveFileName",
                        lambda *args: (str(tmp_path / typed), chosen))
    asked = []
    monkeypatch.setattr(window, "export_to", asked.append)
    window.export_dialog()
    assert asked == [tmp_path / exported]
