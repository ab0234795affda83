"""Layers: each a small class with `forward` and a `backward` derived by hand.

A layer owns no parameter memory: the network hands it views into one flat
parameter buffer and one flat gradient buffer (`bind`), so the optimiser
updates every parameter in one vectorised pass. Output and gradient arrays are
workspaces reused from batch to batch while the batch size stays the same.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from . import activation_kernels, dense_kernels, pool_kernels
from .architecture import LayerInfo
from .chunking import thread_chunks
from .conv import im2col, pooled_phases, pooled_scatter, shifted_rows, winograd
from .conv.plan import (
    POOLED_PHASES,
    POOLED_SCATTER,
    SHIFTED_ROWS,
    UNROLLED_2X2,
    WINOGRAD,
    ConvPlan,
    DensePlan,
    Fused,
    Plan,
    PoolPlan,
)


class Layer:
    """Base class. Subclasses set `kind` and override what they need."""

    kind: ClassVar[str] = ""

    def __init__(self, info: LayerInfo, dtype: np.dtype, plan: Plan = None):
        """`plan`: what `conv.plan.plan_layers` chose for this layer (fusion, paths)."""
        assert info.input_shape is not None and info.output_shape is not None
        self.plan = plan
        self.index = info.index
        self.config = dict(info.config)
        self.input_shape = info.input_shape
        self.output_shape = info.output_shape
        self.dtype = np.dtype(dtype)
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}
        self._workspaces: dict[str, np.ndarray] = {}

    # parameters -----------------------------------------------------------
    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        return {}

    def buffer_shapes(self) -> dict[str, tuple[int, ...]]:
        return {}

    def bind(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray],
             buffers: dict[str, np.ndarray]) -> None:
        self.params, self.grads, self.buffers = params, grads, buffers

    def initialise(self, rng: np.random.Generator, before_relu: bool) -> None:
        """Fill parameters; `before_relu` selects He rather than Glorot scaling."""

    # computation ------------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_y: np.ndarray, need_grad_x: bool) -> np.ndarray | None:
        raise NotImplementedError

    def _workspace(self, name: str, shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        array = self._workspaces.get(name)
        dtype = self.dtype if dtype is None else dtype
        if array is None or array.shape != shape or array.dtype != dtype:
            array = np.empty(shape, dtype=dtype)
            self._workspaces[name] = array
        return array


def _he_or_glorot(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int, fan_out: int,
                  before_relu: bool) -> np.ndarray:
    """He normal (std √(2/fan_in)) before a ReLU, Glorot uniform (±√(6/(in+out))) otherwise."""
    if before_relu:
        return rng.normal(0.0, math.sqrt(2.0 / fan_in), size=shape)
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape)


class Conv2D(Layer):
    """Runs the paths its `ConvPlan` names: the plan decides, this class only dispatches."""

    kind = "conv2d"

    def __init__(self, info: LayerInfo, dtype: np.dtype, plan: Plan = None):
        super().__init__(info, dtype, plan)
        assert isinstance(plan, ConvPlan), "a conv layer is built with its plan (plan_layers)"
        self.plan: ConvPlan = plan
        self.filters = self.config["filters"]
        self.kernel = self.config["kernel"]
        self.stride = self.config["stride"]
        self.padding = info.padding
        self.layer_outputs = True  # set per pass by the network (see Network.forward)
        self.pool_after: MaxPool2D | None = None  # the max-pool the plan fuses, linked by the net
        self._x: np.ndarray | None = None
        self._codes: np.ndarray | None = None  # what a forward pass in phases left for the pool
        self._rectified = False

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        channels = self.input_shape[0]
        return {"weight": (self.filters, channels, self.kernel, self.kernel),
                "bias": (self.filters,)}

    def initialise(self, rng: np.random.Generator, before_relu: bool) -> None:
        channels, k = self.input_shape[0], self.kernel
        self.params["weight"][...] = _he_or_glorot(
            rng, self.params["weight"].shape, channels * k * k, self.filters * k * k, before_relu)
        self.params["bias"][...] = 0.0

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        """Runs the plan's forward path. (im2col is recomputed in the backward pass rather
        than kept: for small channel counts the stored columns cost more memory traffic.)"""
        self._x = x = np.ascontiguousarray(x, dtype=self.dtype)
        self._out = out = self._workspace("out", (x.shape[0], *self.output_shape))
        self._rectified = self.plan.relu and (training or not self.layer_outputs)
        self._codes = None
        weight, bias, chunks = self.params["weight"], self.params["bias"], thread_chunks(len(x))
        path = self.plan.forward_path(self._rectified and not self.layer_outputs, len(x))
        if path == POOLED_PHASES:
            pooled, _ = self.pool_after.take_from_conv(out)  # its argmax is left unset
            self._codes = self._workspace("codes", pooled.shape, np.int8)
            pooled_phases.forward(x, weight, bias, self.padding, pooled, self._codes, chunks)
        elif path in (SHIFTED_ROWS, WINOGRAD) and self._rectified and self.plan.epilogue_pool:
            pooled, argmax = self.pool_after.take_from_conv(out)
            (shifted_rows if path == SHIFTED_ROWS else winograd).forward(
                x, weight, bias, self.padding, out, True, chunks, pooled, argmax,
                write_out=self.layer_outputs)
        elif path == WINOGRAD:
            winograd.forward(x, weight, bias, self.padding, out, self._rectified, chunks)
        elif path == SHIFTED_ROWS:
            shifted_rows.forward(x, weight, bias, self.padding, out, self._rectified, chunks)
        else:
            im2col.conv2d_forward(x, weight, bias, self.stride, self.padding, out,
                                  self._rectified, chunks)
        return out

    @property
    def pooled_in_phases(self) -> bool:
        """Whether this pass's forward ran in phases (leaving phase codes, not an arg-max)."""
        return self._codes is not None

    def backward(self, grad_y: np.ndarray, need_grad_x: bool) -> np.ndarray | None:
        x = self._x
        grad_y = np.ascontiguousarray(grad_y, dtype=self.dtype)
        grad_x = self._workspace("grad_x", x.shape if need_grad_x else (1, 1, 1, 1))
        mode, out, argmax = im2col.GRADIENT, self._out, im2col.NO_ARGMAX
        if self._rectified:
            pool = self.pool_after
            if pool is not None and pool.deferred:  # grad_y is dL/d(pooled output)
                mode, out, argmax = im2col.POOLED, pool.out, pool.argmax
            else:
                mode = im2col.RECTIFIED
        path = self.plan.backward_path(mode == im2col.POOLED, self.pooled_in_phases,
                                       need_grad_x)
        if mode == im2col.POOLED and self.pooled_in_phases and path != POOLED_PHASES:
            pooled_phases.argmax_from_codes(self._codes, self.output_shape[2], argmax)  # for them
        weight, grad_weight, grad_bias = (self.params["weight"], self.grads["weight"],
                                          self.grads["bias"])
        chunks = thread_chunks(len(x))
        gradients = (grad_x, grad_weight, grad_bias, need_grad_x, chunks)
        if path == POOLED_PHASES:
            pooled_phases.backward(x, weight, grad_y, self._codes, self.padding, grad_weight,
                                   grad_bias, chunks)
        elif path == POOLED_SCATTER:
            pooled_scatter.conv2d_backward(x, weight, grad_y, out, argmax, self.stride,
                                           self.padding, *gradients)
        elif path == SHIFTED_ROWS:
            shifted_rows.backward(x, weight, grad_y, out, argmax, mode, self.padding,
                                  *gradients)
        else:
            im2col.conv2d_backward(x, weight, grad_y, out, argmax, mode, self.stride,
                                   self.padding, *gradients)
        return grad_x if need_grad_x else None


class _Pool(Layer):
    """Shared plumbing of the pooling layers; subclasses supply the two kernels."""

    def __init__(self, info: LayerInfo, dtype: np.dtype, plan: Plan = None):
        super().__init__(info, dtype, plan)
        self.size = self.config["size"]
        self.stride = self.config["stride"]
        self._input_batch_shape: tuple[int, ...] = ()

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=self.dtype)
        self._input_batch_shape = x.shape
        out = self._workspace("out", (x.shape[0], *self.output_shape))
        self._pool(x, out)
        return out

    def backward(self, grad_y: np.ndarray, need_grad_x: bool) -> np.ndarray | None:
        if not need_grad_x:
            return None
        grad_x = self._workspace("grad_x", self._input_batch_shape)
        self._unpool(np.ascontiguousarray(grad_y, dtype=self.dtype), grad_x)
        return grad_x

    def _pool(self, x: np.ndarray, out: np.ndarray) -> None:
        raise NotImplementedError

    def _unpool(self, grad_y: np.ndarray, grad_x: np.ndarray) -> None:
        raise NotImplementedError


class MaxPool2D(_Pool):
    """While training after conv2d → ReLU, the conv its `PoolPlan` names does this layer's
    backward pass (and the ReLU's) in cache from the pooled gradient, so `backward` passes it
    through untouched; the plan also picks this layer's own kernel."""

    kind = "maxpool2d"

    def __init__(self, info: LayerInfo, dtype: np.dtype, plan: Plan = None):
        super().__init__(info, dtype, plan)
        self.deferred = False  # this pass's backward is left to the conv
        self._pooled_from: np.ndarray | None = None  # the conv output this pass pooled
        self.out = self.argmax = np.empty((0, 0, 0, 0), dtype)

    def take_from_conv(self, conv_out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The arrays the conv before fills with this pass's output and arg-max (see
        `ConvPlan.epilogue_pool`, or the pooled phases); `forward` then hands them on."""
        self._pooled_from = conv_out
        self._input_batch_shape = conv_out.shape
        self.out = self._workspace("out", (conv_out.shape[0], *self.output_shape))
        self.argmax = self._workspace("argmax", self.out.shape, np.int32)
        return self.out, self.argmax

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        self.deferred = training and isinstance(self.plan, PoolPlan) and self.plan.by is not None
        if x is self._pooled_from:  # what reaches it is that conv's output, passed on by the ReLU
            self._pooled_from = None
            return self.out
        self.out = super().forward(x, training)
        return self.out

    def backward(self, grad_y: np.ndarray, need_grad_x: bool) -> np.ndarray | None:
        if self.deferred:
            return np.ascontiguousarray(grad_y, dtype=self.dtype)
        return super().backward(grad_y, need_grad_x)

    def _pool(self, x: np.ndarray, out: np.ndarray) -> None:
        self.argmax = self._workspace("argmax", out.shape, np.int32)
        chunks = thread_chunks(len(x))
        if self._unrolled:
            pool_kernels.maxpool2x2_forward.on(chunks)(np.ascontiguousarray(x), out, self.argmax)
        else:
            pool_kernels.maxpool2d_forward.on(chunks)(x, self.size, self.stride, out,
                                                      self.argmax)

    def _unpool(self, grad_y: np.ndarray, grad_x: np.ndarray) -> None:
        if self._unrolled:
            pool_kernels.maxpool2x2_backward(grad_y, self.argmax, grad_x)
        else:
            pool_kernels.maxpool2d_backward(grad_y, self.argmax, grad_x)

    @property
    def _unrolled(self) -> bool:
        return isinstance(self.plan, PoolPlan) and self.plan.path == UNROLLED_2X2


class AvgPool2D(_Pool):
    kind = "avgpool2d"

    def _pool(self, x: np.ndarray, out: np.ndarray) -> None:
        pool_kernels.avgpool2d_forward(x, self.size, self.stride, out)

    def _unpool(self, grad_y: np.ndarray, grad_x: np.ndarray) -> None:
        pool_kernels.avgpool2d_backward(grad_y, self.size, self.stride, grad_x)


class ReLU(Layer):
    """y = max(x, 0);  dL/dx = dL/dy · [x > 0]."""

    kind = "relu"

    def __init__(self, info: LayerInfo, dtype: np.dtype, plan: Plan = None):
        super().__init__(info, dtype, plan)
        self.layer_outputs = True  # set per pass by the network (see Network.forward)
        self._passed_through = False

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        """While training after a conv2d or dense layer (or in inference that keeps no layer
        outputs), that layer has already rectified x in cache, saving two passes over memory,
        so x passes through; inspection always runs the ReLU itself."""
        fused = isinstance(self.plan, Fused)  # applied by the layer before
        self._passed_through = fused and (training or not self.layer_outputs)
        if self._passed_through:
            return x
        x = np.ascontiguousarray(x, dtype=self.dtype)
        self._y = self._workspace("out", x.shape)
        activation_kernels.relu_forward.on(thread_chunks(len(x)))(x.reshape(-1),
                                                                  self._y.reshape(-1))
        return self._y

    def backward(self, grad_y: np.ndarray, need_grad_x: bool) -> np.ndarray | None:
        if self._passed_through:
            return grad_y  # the layer before applies the mask in its backward pass
        grad_x = self._workspace("grad_x", self._y.shape)
        activation_kernels.relu_backward(
            np.ascontiguousarray(grad_y, dtype=self.dtype).reshape(-1), self._y.reshape(-1),
            grad_x.reshape(-1))
        return grad_x


class LeakyReLU(Layer):
    """y = x for x > 0, a·x otherwise;  dL/dx = dL/dy · (1 or a)."""

    kind = "leaky_relu"

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        self._positive = x > 0
        slope = self.dtype.type(self.config["slope"])
        return np.where(self._positive, x, x * slope).astype(self.dtype, copy=False)

    def backward(self, grad_y: np.ndarray, need_grad_x: bool) -> np.ndarray | None:
        slope = self.dtype.type(self.config["slope"])
        return np.where(self._positive, grad_y, grad_y * slope).astype(self.dtype, copy=False)


class Sigmoid(Layer):
    """y = 1/(1 + e^−x);  dL/dx = dL/dy · y(1 − y)."""

    kind = "sigmoid"

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        # exp(−|x|) never overflows; the two branches are the same function.
        e = np.exp(-np.abs(x))
        self._y = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(self.dtype, copy=False)
        return self._y

    def backward(self, grad_y: np.ndarray, need_grad_x: bool) -> np.ndarray | None:
        return grad_y * self._y * (1 - self._y)


class Tanh(Layer):
    """y = tanh x;  dL/dx = dL/dy · (1 − y²)."""

    kind = "tanh"

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        self._y = np.tanh(x)
        return self._y

    def backward(self, grad_y: np.ndarray, need_grad_x: bool) -> np.ndarray | None:
        return grad_y * (1 - self._y * self._y)


class Flatten(Layer):
    """(N, C, H, W) → (N, C·H·W) in C, H, W order, as PyTorch's Flatten."""

    kind = "flatten"

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_y: np.ndarray, need_grad_x: bool) -> np.ndarray | None:
        return grad_y.reshape(self._shape)


class Dense(Layer):
    """y = x Wᵀ + b;  dL/dW = dYᵀ x,  dL/db = Σ_n dY,  dL/dx = dY W."""

    kind = "dense"

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        return {"weight": (self.config["units"], self.input_shape[0]),
                "bias": (self.config["units"],)}

    def initialise(self, rng: np.random.Generator, before_relu: bool) -> None:
        units, fan_in = self.params["weight"].shape
        self.params["weight"][...] = _he_or_glorot(rng, (units, fan_in), fan_in, units,
                                                   before_relu)
        self.params["bias"][...] = 0.0

    def __init__(self, info: LayerInfo, dtype: np.dtype, plan: Plan = None):
        super().__init__(info, dtype, plan)
        self.layer_outputs = True
        self._rectified = False

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        self._x = np.ascontiguousarray(x, dtype=self.dtype)
        self._out = out = self._workspace("out", (x.shape[0], self.config["units"]))
        fuses_relu = isinstance(self.plan, DensePlan) and self.plan.relu
        self._rectified = fuses_relu and (training or not self.layer_outputs)
        dense_kernels.dense_forward(self._x, self.params["weight"], self.params["bias"], out,
                                    self._rectified, thread_chunks(x.shape[0]))
        return out

    def backward(self, grad_y: np.ndarray, need_grad_x: bool) -> np.ndarray | None:
        grad_x = self._workspace("grad_x", self._x.shape)
        dense_kernels.dense_backward(
            self._x, self.params["weight"], np.ascontiguousarray(grad_y, dtype=self.dtype),
            self._out, self._rectified, grad_x, self.grads["weight"], self.grads["bias"],
            need_grad_x, thread_chunks(self._x.shape[0]))
        return grad_x if need_grad_x else None


class Dropout(Layer):
    """Inverted dropout: while training y = x·m/(1 − r) with m ~ Bernoulli(1 − r); else y = x."""

    kind = "dropout"

    def __init__(self, info: LayerInfo, dtype: np.dtype, plan: Plan = None):
        super().__init__(info, dtype, plan)
        self.rng = np.random.default_rng(0)

    def initialise(self, rng: np.random.Generator, before_relu: bool) -> None:
        self.rng = np.random.default_rng(rng.integers(2**63))

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        rate = self.config["rate"]
        if not training or rate == 0:
            self._mask = None
            return x
        keep = self.dtype.type(1.0 / (1.0 - rate))
        self._mask = (self.rng.random(x.shape, dtype=np.float32) >= rate) * keep
        return x * self._mask

    def backward(self, grad_y: np.ndarray, need_grad_x: bool) -> np.ndarray | None:
        return grad_y if self._mask is None else grad_y * self._mask


class BatchNorm2D(Layer):
    """Per channel: x̂ = (x − μ_B)/√(σ²_B + ε), y = γ x̂ + β (running μ, σ² at inference).

    Backward (per channel, m = N·H·W values):
    dL/dγ = Σ dY·x̂,  dL/dβ = Σ dY,
    dL/dx = γ/(m·√(σ²+ε)) · (m·dY − Σ dY − x̂·Σ dY·x̂).
    """

    kind = "batchnorm2d"

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        channels = self.input_shape[0]
        return {"weight": (channels,), "bias": (channels,)}

    def buffer_shapes(self) -> dict[str, tuple[int, ...]]:
        channels = self.input_shape[0]
        return {"running_mean": (channels,), "running_var": (channels,)}

    def initialise(self, rng: np.random.Generator, before_relu: bool) -> None:
        self.params["weight"][...] = 1.0
        self.params["bias"][...] = 0.0
        self.buffers["running_mean"][...] = 0.0
        self.buffers["running_var"][...] = 1.0

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        eps = self.config["eps"]
        gamma = self.params["weight"][None, :, None, None]
        beta = self.params["bias"][None, :, None, None]
        self._training = training
        if training:
            mean = x.mean(axis=(0, 2, 3))
            var = x.var(axis=(0, 2, 3))
            count = x.size // x.shape[1]
            momentum = self.config["momentum"]
            self.buffers["running_mean"] *= 1 - momentum
            self.buffers["running_mean"] += momentum * mean
            unbiased = var * count / max(count - 1, 1)
            self.buffers["running_var"] *= 1 - momentum
            self.buffers["running_var"] += momentum * unbiased
        else:
            mean, var = self.buffers["running_mean"], self.buffers["running_var"]
        self._inv_std = (1.0 / np.sqrt(var + eps)).astype(self.dtype)
        self._x_hat = ((x - mean[None, :, None, None]) * self._inv_std[None, :, None, None]
                       ).astype(self.dtype, copy=False)
        return (self._x_hat * gamma + beta).astype(self.dtype, copy=False)

    def backward(self, grad_y: np.ndarray, need_grad_x: bool) -> np.ndarray | None:
        axes = (0, 2, 3)
        sum_dy = grad_y.sum(axis=axes)
        sum_dy_xhat = (grad_y * self._x_hat).sum(axis=axes)
        self.grads["weight"][...] = sum_dy_xhat
        self.grads["bias"][...] = sum_dy
        if not need_grad_x:
            return None
        if not self._training:  # μ and σ² are constants at inference
            gain = (self.params["weight"] * self._inv_std)[None, :, None, None]
            return (grad_y * gain).astype(self.dtype, copy=False)
        count = grad_y.size // grad_y.shape[1]
        scale = (self.params["weight"] * self._inv_std / count)[None, :, None, None]
        return (scale * (count * grad_y - sum_dy[None, :, None, None]
                         - self._x_hat * sum_dy_xhat[None, :, None, None])
                ).astype(self.dtype, copy=False)


LAYER_CLASSES: dict[str, type[Layer]] = {
    cls.kind: cls
    for cls in (Conv2D, MaxPool2D, AvgPool2D, ReLU, LeakyReLU, Sigmoid, Tanh, Flatten, Dense,
                Dropout, BatchNorm2D)
}
