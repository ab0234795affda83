"""The engine against PyTorch CPU: forward outputs and every gradient, in float32.

One helper, many one-line cases (the shape of tinygrad's test_ops).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from studio.engine import Network
from studio.engine.conv.plan import WINOGRAD_MIN_IMAGES
from studio.io import load_preset
from studio.io.torch_sequential import to_torch_sequential

from .helpers import architecture

torch = pytest.importorskip("torch")


def compare_with_torch(arch, batch=4, seed=0, atol=1e-4, rtol=1e-4, training=True,
                       layer_outputs=True):
    """Same weights, same input, L = Σ y·R: outputs, dL/dθ and dL/dX must agree. Without
    layer outputs, a training step as most are run: dL/dX is not asked for."""
    rng = np.random.default_rng(seed)
    network = Network(arch, seed=seed)
    model = to_torch_sequential(arch, network.state_dict())
    model.train(training)
    c, h, w = network.input_shape
    x = rng.random((batch, c, h, w), dtype=np.float32)
    ours = network.forward(x, training=training, layer_outputs=layer_outputs).copy()
    projection = rng.normal(size=ours.shape).astype(np.float32)
    our_grad_x = network.backward(projection, input_gradient=layer_outputs)

    tx = torch.from_numpy(x).requires_grad_(True)
    theirs = model(tx)
    (theirs * torch.from_numpy(projection)).sum().backward()
    np.testing.assert_allclose(ours, theirs.detach().numpy(), atol=atol, rtol=rtol,
                               err_msg="forward")
    if layer_outputs:
        np.testing.assert_allclose(our_grad_x, tx.grad.numpy(), atol=atol, rtol=rtol,
                                   err_msg="dL/dX")
    torch_params = dict(model.named_parameters())
    for layer in network.layers:
        for name in layer.param_shapes():
            key = f"{layer.index}.{name}"
            np.testing.assert_allclose(layer.grads[name], torch_params[key].grad.numpy(),
                                       atol=atol, rtol=rtol, err_msg=f"dL/d{key}")


def conv(filters, kernel, stride=1, padding="valid"):
    return {"type": "conv2d", "filters": filters, "kernel": kernel, "stride": stride,
            "padding": padding}


FLAT = {"type": "flatten"}


@pytest.mark.parametrize("layer", [
    conv(4, 3), conv(6, 5, 1, "same"), conv(3, 3, 2, 1), conv(5, 4, 3, 2), conv(2, 1),
    {"type": "maxpool2d", "size": 2}, {"type": "maxpool2d", "size": 3, "stride": 2},
    {"type": "avgpool2d", "size": 2}, {"type": "avgpool2d", "size": 3, "stride": 1},
    {"type": "relu"}, {"type": "leaky_relu", "slope": 0.2}, {"type": "sigmoid"}, {"type": "tanh"},
    {"type": "batchnorm2d"},
], ids=str)
def test_layer_matches_torch(layer):
    compare_with_torch(architecture((3, 11, 10), layer, FLAT))


def test_dense_matches_torch():
    compare_with_torch(architecture((2, 5, 5), FLAT, {"type": "dense", "units": 7}))


def test_batchnorm_inference_matches_torch_after_training_steps():
    arch = architecture((2, 6, 6), {"type": "batchnorm2d"}, FLAT)
    network = Network(arch)
    model = to_torch_sequential(arch, network.state_dict())
    rng = np.random.default_rng(3)
    for _ in range(3):
        x = rng.normal(size=(5, 2, 6, 6)).astype(np.float32)
        network.forward(x, training=True)
        model.train()(torch.from_numpy(x))
    state = network.state_dict()
    np.testing.assert_allclose(state["0.running_mean"], model[0].running_mean.numpy(), atol=1e-6)
    np.testing.assert_allclose(state["0.running_var"], model[0].running_var.numpy(), atol=1e-5)
    compare_with_torch(arch, training=False)


@pytest.mark.parametrize("preset", ["lenet5", "wide", "strided", "mlp", "batchnorm"])
def test_whole_preset_network_matches_torch(preset):
    compare_with_torch(load_preset(preset), batch=8, training=preset != "batchnorm")


@pytest.mark.parametrize("preset", ["lenet5", "wide"])  # the wide net's first conv: phases
def test_a_training_step_without_layer_outputs_matches_torch(preset):
    # enough images for the wide net's second conv to run Winograd, pooling in its epilogue
    compare_with_torch(load_preset(preset), batch=max(8, WINOGRAD_MIN_IMAGES),
                       layer_outputs=False)


@settings(max_examples=15, deadline=None)
@given(channels=st.integers(1, 4), size=st.integers(5, 12), kernel=st.integers(1, 5),
       stride=st.integers(1, 3), padding=st.integers(0, 2), filters=st.integers(1, 6),
       batch=st.integers(1, 5))
def test_conv_matches_torch_for_generated_shapes(channels, size, kernel, stride, padding, filters,
                                                  batch):
    assume(kernel <= size + 2 * padding)
    compare_with_torch(architecture((channels, size, size), conv(filters, kernel, stride, padding),
                                    FLAT), batch=batch)
