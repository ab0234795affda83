"""Exports reproduce the engine: ONNX through onnxruntime, the generated PyTorch module,
and torch's load_state_dict from the npz — on LeNet-5, mlp, a strided net with integer
padding, and a net with batch norm and dropout."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import onnx
import pytest

from studio.engine import Network, TrainConfig, Trainer
from studio.io import load_preset, save_weights, write_onnx, write_pytorch

ort = pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")

PRESETS = ["lenet5", "mlp", "strided", "batchnorm"]


@pytest.fixture(scope="module")
def trained(synthetic):
    """Each preset after a short run, so batch-norm statistics are not the defaults."""
    networks = {}
    for preset in PRESETS:
        network = Network(load_preset(preset), seed=3)
        Trainer(network, synthetic.train_images[:640], synthetic.train_labels[:640],
                config=TrainConfig(epochs=1, snapshot_interval=0)).run()
        networks[preset] = network
    return networks


def images(count=16):
    return np.random.default_rng(0).random((count, 1, 28, 28), dtype=np.float32)


@pytest.mark.parametrize("preset", PRESETS)
def test_onnx_matches_the_engine(trained, tmp_path, preset):
    network = trained[preset]
    path = tmp_path / "m.onnx"
    write_onnx(path, network)
    model = onnx.load(path)
    onnx.checker.check_model(model)
    assert model.opset_import[0].version >= 13
    assert [i.name for i in model.graph.input] == ["input"]
    assert [o.name for o in model.graph.output] == ["logits"]
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for batch in (1, 16):  # the batch dimension is dynamic
        x = images(batch)
        np.testing.assert_allclose(session.run(None, {"input": x})[0], network.forward(x),
                                   atol=1e-4)


def load_module(path):
    spec = importlib.util.spec_from_file_location(f"generated_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("preset", PRESETS)
def test_generated_pytorch_module_matches_the_engine(trained, tmp_path, preset):
    network = trained[preset]
    save_weights(tmp_path / "m.npz", network)
    write_pytorch(tmp_path / "m.py", network.architecture, tmp_path / "m.npz")
    module = load_module(tmp_path / "m.py")
    model = module.load(str(tmp_path / "m.npz"))
    x = images()
    with torch.no_grad():
        theirs = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(theirs, network.forward(x), atol=1e-4)
    assert "nn.Conv2d" in (tmp_path / "m.py").read_text() or preset == "mlp"


@pytest.mark.parametrize("preset", PRESETS)
def test_npz_loads_into_the_equivalent_sequential(trained, tmp_path, preset):
    from studio.io.torch_sequential import torch_modules

    network = trained[preset]
    save_weights(tmp_path / "m.npz", network)
    model = torch.nn.Sequential(*torch_modules(network.architecture))
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        model.load_state_dict({k: torch.from_numpy(archive[k]) for k in archive.files
                               if k != "architecture"})
    x = images()
    with torch.no_grad():
        np.testing.assert_allclose(model.eval()(torch.from_numpy(x)).numpy(),
                                   network.forward(x), atol=1e-4)


@pytest.mark.slow
def test_lenet5_trained_on_mnist_exports_reproduce_its_predictions(mnist, tmp_path, capsys):
    network = Network(load_preset("lenet5"))
    Trainer(network, mnist.train_images, mnist.train_labels,
            config=TrainConfig(epochs=1, snapshot_interval=0)).run()
    save_weights(tmp_path / "m.npz", network)
    write_onnx(tmp_path / "m.onnx", network)
    write_pytorch(tmp_path / "m.py", network.architecture, tmp_path / "m.npz")
    x = mnist.test_images[:, None].astype(np.float32) / 255
    ours = network.predict(x)
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    via_onnx = session.run(None, {"input": x})[0]
    with torch.no_grad():
        via_torch = load_module(tmp_path / "m.py").load(str(tmp_path / "m.npz"))(
            torch.from_numpy(x)).numpy()
    onnx_gap, torch_gap = np.abs(via_onnx - ours).max(), np.abs(via_torch - ours).max()
    print(f"largest logit difference on the 10,000 MNIST test images: ONNX {onnx_gap:.2e}, "
          f"PyTorch {torch_gap:.2e}")
    assert onnx_gap < 1e-4 and torch_gap < 1e-4
    assert np.array_equal(via_onnx.argmax(1), ours.argmax(1))
    assert np.array_equal(via_torch.argmax(1), ours.argmax(1))
