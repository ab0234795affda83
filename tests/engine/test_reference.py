"""The textbook loops are right (finite differences, PyTorch), and every fast path, forced,
computes what they compute: one table, hypothesis-generated shapes, float32 and float64."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.engine import (
    conv_kernels,
    phase_kernels,
    pool_kernels,
    pooled_gradient_kernels,
    reference,
    shifted_row_kernels,
)
from studio.engine.winograd_kernels import winograd_conv3x3_forward

from .helpers import numeric_gradient

NO_ARGMAX = np.zeros((1, 1, 1, 1), np.int32)


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


# every fast path, forced, against it -------------------------------------------------------
@dataclass(frozen=True)
class Case:
    x: np.ndarray
    weight: np.ndarray
    bias: np.ndarray
    stride: int
    pad: int
    grad: np.ndarray  # dL/dY, or dL/dP after a ReLU and a max-pool for the pooled paths


def _conv(case: Case) -> np.ndarray:
    return reference.conv2d_forward(case.x, case.weight, case.bias, case.stride, case.pad)


def _textbook(case: Case, pooled: bool) -> dict[str, np.ndarray]:
    """Y (or P = maxpool(relu(Y)), 2×2, stride 2) and the three gradients, by the textbook."""
    y = _conv(case)
    grad_y, result = case.grad, {"y": y}
    if pooled:
        p, argmax = reference.maxpool2d_forward(np.maximum(y, 0), 2, 2)
        grad_y = reference.maxpool2d_backward(case.grad, argmax, *y.shape[2:]) * (y > 0)
        result = {"y": p}
    kernel, (height, width) = case.weight.shape[2], case.x.shape[2:]
    return {**result,
            "weight": reference.conv2d_weight_gradient(case.x, grad_y, kernel, case.stride,
                                                       case.pad),
            "bias": reference.conv2d_bias_gradient(grad_y),
            "x": reference.conv2d_input_gradient(grad_y, case.weight, case.stride, case.pad,
                                                 height, width)}


def _gradients(case: Case) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (np.full_like(case.x, np.nan), np.full_like(case.weight, np.nan),
            np.full_like(case.bias, np.nan))


def _im2col(case: Case) -> dict[str, np.ndarray]:
    y = np.full(_conv(case).shape, np.nan, case.x.dtype)
    conv_kernels.conv2d_forward(case.x, case.weight, case.bias, case.stride, case.pad, y,
                                False, 2)
    grad_x, grad_w, grad_b = _gradients(case)
    conv_kernels.conv2d_backward(case.x, case.weight, case.grad, y, NO_ARGMAX,
                                 conv_kernels.GRADIENT, case.stride, case.pad, grad_x, grad_w,
                                 grad_b, True, 2)
    return {"y": y, "weight": grad_w, "bias": grad_b, "x": grad_x}


def _shifted_rows(case: Case) -> dict[str, np.ndarray]:
    y = np.full(_conv(case).shape, np.nan, case.x.dtype)
    shifted_row_kernels.forward(case.x, case.weight, case.bias, case.pad, y, False, 2)
    grad_x, grad_w, grad_b = _gradients(case)
    shifted_row_kernels.backward(case.x, case.weight, case.grad, y, NO_ARGMAX,
                                 conv_kernels.GRADIENT, case.pad, grad_x, grad_w, grad_b, True, 2)
    return {"y": y, "weight": grad_w, "bias": grad_b, "x": grad_x}


def _winograd(case: Case) -> dict[str, np.ndarray]:
    y = np.full(_conv(case).shape, np.nan, case.x.dtype)
    winograd_conv3x3_forward(case.x, case.weight, case.bias, case.pad, y, False, 2)
    return {"y": y}


def _pooled_buffers(case: Case) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = np.empty(_conv(case).shape, case.x.dtype)
    pooled = np.full(case.grad.shape, np.nan, case.x.dtype)
    return y, pooled, np.full(case.grad.shape, -1, np.int32)


def _shifted_rows_pooled(case: Case) -> dict[str, np.ndarray]:
    """The forward pass with the ReLU and max-pool in its epilogue, then the pooled scatter."""
    y, pooled, argmax = _pooled_buffers(case)
    shifted_row_kernels.forward(case.x, case.weight, case.bias, case.pad, y, True, 2, pooled,
                                argmax, True)
    grad_x, grad_w, grad_b = _gradients(case)
    pooled_gradient_kernels.conv2d_backward(case.x, case.weight, case.grad, pooled, argmax,
                                            case.stride, case.pad, grad_x, grad_w, grad_b, True, 2)
    return {"y": pooled, "weight": grad_w, "bias": grad_b, "x": grad_x}


def _shifted_rows_rectified_pooled(case: Case) -> dict[str, np.ndarray]:
    """The shifted-row backward pass taking dL/dP back through the pool and the ReLU."""
    y, pooled, argmax = _pooled_buffers(case)
    shifted_row_kernels.forward(case.x, case.weight, case.bias, case.pad, y, True, 2)
    pool_kernels.maxpool2x2_forward(y, pooled, argmax)
    grad_x, grad_w, grad_b = _gradients(case)
    shifted_row_kernels.backward(case.x, case.weight, case.grad, pooled, argmax,
                                 conv_kernels.POOLED, case.pad, grad_x, grad_w, grad_b, True, 2)
    return {"y": pooled, "weight": grad_w, "bias": grad_b, "x": grad_x}


def _phases(case: Case) -> dict[str, np.ndarray]:
    """Conv, ReLU and pool at the pooled resolution; the weights' gradients from the codes."""
    _, pooled, _ = _pooled_buffers(case)
    codes = np.empty(pooled.shape, np.int8)
    phase_kernels.forward(case.x, case.weight, case.bias, case.pad, pooled, codes, 2)
    _, grad_w, grad_b = _gradients(case)
    phase_kernels.backward(case.x, case.weight, case.grad, codes, case.pad, grad_w, grad_b, 2)
    return {"y": pooled, "weight": grad_w, "bias": grad_b}


@dataclass(frozen=True)
class Path:
    run: Callable[[Case], dict[str, np.ndarray]]
    kernels: tuple[int, ...]
    strides: tuple[int, ...]
    pooled: bool = False  # followed by ReLU and a 2×2, stride-2 max-pool
    square: bool = False  # the kernel wants square maps


PATHS = {
    "im2col": Path(_im2col, (1, 2, 3, 5), (1, 2, 3)),
    "shifted rows": Path(_shifted_rows, (1, 3, 5), (1,)),
    "winograd": Path(_winograd, (3,), (1,)),
    "shifted rows + pool epilogue + pooled scatter": Path(_shifted_rows_pooled, (3, 5), (1,),
                                                         pooled=True),
    "shifted rows from a pool": Path(_shifted_rows_rectified_pooled, (3, 5), (1,), pooled=True),
    "pooled phases": Path(_phases, (3, 5), (1,), pooled=True, square=True),
}


@st.composite
def cases(draw, path: Path) -> tuple[Case, str]:
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    kernel, stride = draw(st.sampled_from(path.kernels)), draw(st.sampled_from(path.strides))
    pad = draw(st.integers(0, (kernel - 1) // 2 + 1))
    minimum = max(1, kernel - 2 * pad) + (2 if path.pooled else 0)
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
    shape = ((samples, filters, out_h // 2, out_w // 2) if path.pooled
             else (samples, filters, out_h, out_w))
    return Case(x, weight, bias, stride, pad, rng.normal(size=shape).astype(dtype)), dtype


@pytest.mark.parametrize("name", sorted(PATHS))
def test_every_fast_path_computes_the_textbook(name):
    path = PATHS[name]

    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(cases(path))
    def check(drawn):
        case, dtype = drawn
        want = _textbook(case, path.pooled)
        got = path.run(case)
        tolerance = 1e-4 if dtype == np.float32 else 1e-10
        for key, value in got.items():
            scale = max(np.abs(want[key]).max(), 1.0)
            np.testing.assert_allclose(value, want[key], rtol=tolerance,
                                       atol=tolerance * scale, err_msg=f"{name}: {key}")

    check()
