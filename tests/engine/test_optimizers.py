"""The optimisers and the loss against PyTorch's, step by step, and SGD against its formula."""

from __future__ import annotations

import numpy as np
import pytest

from studio.engine import softmax_cross_entropy
from studio.engine.optimizers import SGD, Adam

torch = pytest.importorskip("torch")


def _run_both(make_ours, make_theirs, steps=6, size=1001):
    rng = np.random.default_rng(0)
    start = rng.normal(size=size).astype(np.float32)
    ours = start.copy()
    optimiser = make_ours(ours, np.zeros_like(ours))
    theirs = torch.nn.Parameter(torch.from_numpy(start.copy()))
    reference = make_theirs([theirs])
    for _ in range(steps):
        gradient = rng.normal(size=size).astype(np.float32)
        optimiser.gradients[:] = gradient
        optimiser.step(0.05)
        theirs.grad = torch.from_numpy(gradient.copy())
        reference.step()
    return ours, theirs.detach().numpy()


@pytest.mark.parametrize("nesterov", [True, False])
@pytest.mark.parametrize("weight_decay", [0.0, 1e-3])
def test_sgd_takes_pytorchs_steps(nesterov, weight_decay):
    ours, theirs = _run_both(
        lambda p, g: SGD(p, g, 0.9, nesterov, weight_decay),
        lambda params: torch.optim.SGD(params, lr=0.05, momentum=0.9, nesterov=nesterov,
                                       weight_decay=weight_decay))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("weight_decay", [0.0, 1e-3])
def test_adam_takes_pytorchs_steps(weight_decay):
    ours, theirs = _run_both(lambda p, g: Adam(p, g, weight_decay=weight_decay),
                             lambda params: torch.optim.Adam(params, lr=0.05,
                                                             weight_decay=weight_decay))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_sgd_step_is_the_numpy_formula_to_the_bit():
    rng = np.random.default_rng(1)
    parameters = rng.normal(size=777).astype(np.float32)
    expected, velocity = parameters.copy(), np.zeros_like(parameters)
    optimiser = SGD(parameters, np.zeros_like(parameters), 0.9, True, 1e-3)
    for _ in range(4):
        gradient = rng.normal(size=777).astype(np.float32)
        optimiser.gradients[:] = gradient
        optimiser.step(0.05)
        gradient += 1e-3 * expected  # g ← g + λθ;  v ← μv + g;  θ ← θ − η(g + μv)
        velocity *= 0.9
        velocity += gradient
        expected -= (velocity * 0.9 + gradient) * 0.05
    np.testing.assert_array_equal(parameters, expected)
    np.testing.assert_array_equal(optimiser.velocity, velocity)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_cross_entropy_is_pytorchs(dtype):
    rng = np.random.default_rng(2)
    logits = (rng.normal(size=(33, 10)) * 6).astype(dtype)
    labels = rng.integers(0, 10, 33)
    loss, grad = softmax_cross_entropy(logits, labels)
    z = torch.tensor(logits, requires_grad=True)
    reference = torch.nn.functional.cross_entropy(z, torch.from_numpy(labels))
    reference.backward()
    tolerance = 1e-6 if dtype == np.float32 else 1e-12
    assert grad.dtype == dtype
    assert loss == pytest.approx(reference.item(), rel=tolerance)
    np.testing.assert_allclose(grad, z.grad.numpy(), atol=tolerance)


def test_a_nan_logit_makes_the_loss_nan():
    logits = np.zeros((2, 3), np.float32)
    logits[1, 1] = np.nan
    assert np.isnan(softmax_cross_entropy(logits, np.array([0, 2]))[0])
