"""The textbook loops are right (finite differences, PyTorch), and every convolution path,
forced through the plan, computes what they compute: one table, hypothesis-generated shapes,
strides, paddings, channel and filter counts, batch sizes, float32 and float64."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from studio.engine import Network
from studio.engine.conv import (
    BACKWARD_PATHS,
    FORWARD_PATHS,
    IM2COL,
    POOLED_PHASES,
    POOLED_SCATTER,
    SHIFTED_ROWS,
    WINOGRAD,
    Force,
    PlanError,
    reference,
)

from .helpers import architecture, numeric_gradient


# the reference itself -------------------------------------------------------------------
@pytest.mark.parametrize(("channels", "size", "filters", "kernel", "stride", "pad"),
                         [(1, 6, 2, 3, 1, 1), (2, 7, 3, 3, 2, 0), (3, 8, 2, 5, 2, 2),
                          (2, 5, 1, 2, 3, 1)])
def test_the_textbook_gradients_are_the_derivatives_of_the_textbook_forward(
        channels, size, filters, kernel, stride, pad):
    rng = np.random.default_rng(size)
    x = rng.normal(size=(2, channels, size, size + 1))
    weight = rng.normal(size=(filters, channels, kernel, kernel))
    bias = rng.normal(size=filters)
    projection = rng.normal(size=reference.conv2d_forward(x, weight, bias, stride, pad).shape)

    def loss() -> float:
        return float((reference.conv2d_forward(x, weight, bias, stride, pad) * projection).sum())

    analytic = {"weight": reference.conv2d_weight_gradient(x, projection, kernel, stride, pad),
                "bias": reference.conv2d_bias_gradient(projection),
                "x": reference.conv2d_input_gradient(projection, weight, stride, pad,
                                                     size, size + 1)}
    for name, array in (("weight", weight), ("bias", bias), ("x", x)):
        chosen, numeric = numeric_gradient(loss, array, 20, rng)
        np.testing.assert_allclose(analytic[name].reshape(-1)[chosen], numeric, rtol=1e-6,
                                   atol=1e-7, err_msg=name)


@pytest.mark.parametrize(("size", "stride"), [(2, 2), (3, 1), (3, 2)])
def test_the_textbook_pools_are_pytorchs(size, stride):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(size * stride)
    x = rng.normal(size=(2, 3, 9, 8))
    grad_p = rng.normal(size=reference.avgpool2d_forward(x, size, stride).shape)
    for ours, theirs in ((reference.maxpool2d_forward, torch.nn.functional.max_pool2d),
                         (reference.avgpool2d_forward, torch.nn.functional.avg_pool2d)):
        xt = torch.tensor(x, requires_grad=True)
        pooled = theirs(xt, size, stride)
        pooled.backward(torch.tensor(grad_p))
        if ours is reference.maxpool2d_forward:
            mine, argmax = ours(x, size, stride)
            grad_x = reference.maxpool2d_backward(grad_p, argmax, 9, 8)
        else:
            mine = ours(x, size, stride)
            grad_x = reference.avgpool2d_backward(grad_p, size, stride, 9, 8)
        np.testing.assert_allclose(mine, pooled.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(grad_x, xt.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_the_textbook_dense_layer_is_a_matrix_product():
    rng = np.random.default_rng(0)
    x, weight, bias, grad_y = (rng.normal(size=s) for s in ((4, 7), (3, 7), (3,), (4, 3)))
    np.testing.assert_allclose(reference.dense_forward(x, weight, bias), x @ weight.T + bias)
    grad_w, grad_b, grad_x = reference.dense_backward(x, weight, grad_y)
    np.testing.assert_allclose(grad_w, grad_y.T @ x)
    np.testing.assert_allclose(grad_b, grad_y.sum(0))
    np.testing.assert_allclose(grad_x, grad_y @ weight)


# every path, forced through the plan, against it -----------------------------------------
NONE, RELU, POOL = (), ("relu",), ("relu", "maxpool2d")  # what follows the conv


@dataclass(frozen=True)
class Path:
    force: Force
    after: tuple[str, ...] = NONE
    kernels: tuple[int, ...] = (1, 2, 3, 5)
    strides: tuple[int, ...] = (1, 2, 3)
    square: bool = False  # the path wants square maps
    grad_x: bool = True  # dL/dX is asked for (the pooled phases' own backward gives none)


PATHS = {
    "the plan's own choice": Path(Force()),
    "im2col": Path(Force(IM2COL, IM2COL)),
    "im2col + ReLU": Path(Force(IM2COL, IM2COL), RELU),
    "im2col from a max-pool": Path(Force(IM2COL, IM2COL), POOL),
    "shifted rows": Path(Force(SHIFTED_ROWS, SHIFTED_ROWS), kernels=(1, 3, 5), strides=(1,)),
    "shifted rows + ReLU": Path(Force(SHIFTED_ROWS, SHIFTED_ROWS), RELU, strides=(1,)),
    "shifted rows + pool epilogue, from the pool": Path(Force(SHIFTED_ROWS, SHIFTED_ROWS), POOL,
                                                        kernels=(3, 5), strides=(1,)),
    "Winograd": Path(Force(WINOGRAD, IM2COL), kernels=(3,), strides=(1,)),
    "Winograd + ReLU + max-pool": Path(Force(WINOGRAD), POOL, kernels=(3,), strides=(1,)),
    "pooled scatter": Path(Force(IM2COL, POOLED_SCATTER), POOL, kernels=(2, 3, 5),
                           strides=(1, 2)),
    "pooled scatter after the pool epilogue": Path(Force(SHIFTED_ROWS, POOLED_SCATTER), POOL,
                                                   kernels=(3, 5), strides=(1,)),
    "pooled phases": Path(Force(POOLED_PHASES, POOLED_PHASES), POOL, kernels=(3, 5),
                          strides=(1,), square=True, grad_x=False),
    "pooled phases, dL/dX through the codes' arg-max": Path(
        Force(POOLED_PHASES, POOLED_PHASES), POOL, kernels=(3, 5), strides=(1,), square=True),
}


def test_the_table_forces_every_path():
    forced = {p.force.forward for p in PATHS.values()} | {p.force.backward
                                                           for p in PATHS.values()}
    assert set(FORWARD_PATHS) | set(BACKWARD_PATHS) <= forced


@dataclass(frozen=True)
class Case:
    x: np.ndarray
    weight: np.ndarray
    bias: np.ndarray
    stride: int
    pad: int
    grad: np.ndarray  # dL/dY, or dL/dP after a ReLU and a max-pool


def _textbook(case: Case, after: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The output (Y, max(Y, 0) or P = maxpool(max(Y, 0)), 2×2, stride 2) and the three
    gradients, by the textbook."""
    y = reference.conv2d_forward(case.x, case.weight, case.bias, case.stride, case.pad)
    grad_y, out = case.grad, y
    if after == RELU:
        out, grad_y = np.maximum(y, 0), case.grad * (y > 0)
    elif after == POOL:
        out, argmax = reference.maxpool2d_forward(np.maximum(y, 0), 2, 2)
        grad_y = reference.maxpool2d_backward(case.grad, argmax, *y.shape[2:]) * (y > 0)
    kernel, (height, width) = case.weight.shape[2], case.x.shape[2:]
    return {"y": out,
            "weight": reference.conv2d_weight_gradient(case.x, grad_y, kernel, case.stride,
                                                       case.pad),
            "bias": reference.conv2d_bias_gradient(grad_y),
            "x": reference.conv2d_input_gradient(grad_y, case.weight, case.stride, case.pad,
                                                 height, width)}


def _decisive(y: np.ndarray, after: tuple[str, ...]) -> bool:
    """Whether no ReLU or max-pool decision on Y is within rounding of going the other way
    (a sum in another order may then flip it, and a gradient with it): every Y clear of 0,
    and each pool window's positive maximum clear of the runner-up."""
    margin = (1e-5 if y.dtype == np.float32 else 1e-12) * max(np.abs(y).max(), 1.0)
    if not after:
        return True
    if (np.abs(y) <= margin).any():
        return False
    if after != POOL:
        return True
    n, f, h, w = y.shape
    windows = np.maximum(y[:, :, :h // 2 * 2, :w // 2 * 2], 0).reshape(n, f, h // 2, 2, w // 2, 2)
    ranked = np.sort(windows.transpose(0, 1, 2, 4, 3, 5).reshape(n, f, h // 2, w // 2, 4))
    top, second = ranked[..., -1], ranked[..., -2]
    return bool(((top <= 0) | (top - second > margin)).all())


def _layers(after: tuple[str, ...], **conv: object) -> list[dict]:
    """A conv with these settings, what follows it, and a flatten."""
    follow = {"relu": {"type": "relu"}, "maxpool2d": {"type": "maxpool2d", "size": 2,
                                                      "stride": 2}}
    return [{"type": "conv2d", **conv}, *(follow[kind] for kind in after), {"type": "flatten"}]


def _forced(case: Case, path: Path) -> dict[str, np.ndarray]:
    """The same, by a network of this one conv (and what follows it) with `path` forced,
    in a training step as the trainer runs it (no layer outputs kept)."""
    filters, kernel = case.weight.shape[0], case.weight.shape[2]
    layers = _layers(path.after, filters=filters, kernel=kernel, stride=case.stride,
                     padding=case.pad)
    network = Network(architecture(case.x.shape[1:], *layers), dtype=case.x.dtype,
                      force={0: path.force})
    conv = network.layers[0]
    conv.params["weight"][...], conv.params["bias"][...] = case.weight, case.bias
    plan = network.plans[0]
    assert path.force.forward in (None, plan.forward)
    assert path.force.backward in (None, plan.backward)
    out = network.forward(case.x, training=True, layer_outputs=False).copy()
    assert conv.pooled_in_phases == (plan.forward == POOLED_PHASES)
    grad_x = network.backward(case.grad.reshape(len(out), -1), input_gradient=path.grad_x)
    got = {"y": out.reshape(case.grad.shape), "weight": conv.grads["weight"],
           "bias": conv.grads["bias"]}
    return {**got, "x": grad_x} if path.grad_x else got


@st.composite
def cases(draw, path: Path) -> Case:
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    kernel, stride = draw(st.sampled_from(path.kernels)), draw(st.sampled_from(path.strides))
    pad = draw(st.integers(0, (kernel - 1) // 2 + 1))
    minimum = max(1, kernel - 2 * pad) + (2 * stride if path.after == POOL else 0)
    height = draw(st.integers(minimum, minimum + 9))
    width = height if path.square else draw(st.integers(minimum, minimum + 9))
    samples, channels, filters = (draw(st.integers(1, 5)), draw(st.integers(1, 4)),
                                  draw(st.integers(1, 9)))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.normal(size=(samples, channels, height, width)).astype(dtype)
    weight = rng.normal(size=(filters, channels, kernel, kernel)).astype(dtype)
    bias = rng.normal(size=filters).astype(dtype)
    out_h = reference.output_size(height, kernel, stride, pad)
    out_w = reference.output_size(width, kernel, stride, pad)
    shape = ((samples, filters, out_h // 2, out_w // 2) if path.after == POOL
             else (samples, filters, out_h, out_w))
    return Case(x, weight, bias, stride, pad, rng.normal(size=shape).astype(dtype))


@pytest.mark.parametrize("name", list(PATHS))
def test_every_path_forced_through_the_plan_computes_the_textbook(name):
    path = PATHS[name]

    @settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(cases(path))
    def check(case):
        y = reference.conv2d_forward(case.x, case.weight, case.bias, case.stride, case.pad)
        assume(_decisive(y, path.after))
        want, got = _textbook(case, path.after), _forced(case, path)
        tolerance = 1e-4 if case.x.dtype == np.float32 else 1e-10
        for key, value in got.items():
            scale = max(np.abs(want[key]).max(), 1.0)
            np.testing.assert_allclose(value, want[key], rtol=tolerance,
                                       atol=tolerance * scale, err_msg=f"{name}: {key}")

    check()


# forcing what cannot run is refused, with the reason -------------------------------------
@pytest.mark.parametrize(("layer", "after", "force", "says"), [
    ({"kernel": 3, "stride": 2}, NONE, Force(SHIFTED_ROWS), "needs stride 1"),
    ({"kernel": 5, "stride": 1}, NONE, Force(WINOGRAD), "needs a 3×3 kernel"),
    ({"kernel": 3, "stride": 1}, RELU, Force(POOLED_PHASES), "2×2 max-pool"),
    ({"kernel": 3, "stride": 1}, RELU, Force(backward=POOLED_SCATTER), "needs a ReLU and then"),
    ({"kernel": 3, "stride": 1}, POOL, Force(backward=POOLED_PHASES), "force both"),
    ({"kernel": 3, "stride": 1}, NONE, Force(backward=WINOGRAD), "not a backward path"),
    ({"kernel": 3, "stride": 1}, NONE, Force("fastest"), "not a forward path"),
])
def test_a_path_that_cannot_run_there_is_refused_with_the_reason(layer, after, force, says):
    layers = _layers(after, filters=2, padding=1, **layer)
    with pytest.raises(PlanError, match=says) as refused:
        Network(architecture((1, 8, 8), *layers), force={0: force})
    assert str(refused.value).startswith("layer 0 (conv2d): ")


def test_only_a_conv_layer_can_be_forced():
    layers = [{"type": "flatten"}, {"type": "dense", "units": 3}]
    with pytest.raises(PlanError, match=r"layer 1 \(dense\) is not a conv2d layer"):
        Network(architecture((1, 4, 4), *layers), force={1: Force(IM2COL)})
