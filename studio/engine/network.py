"""A network: the layers an architecture describes, over one flat parameter buffer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .architecture import Analysis, ArchitectureError, Problem, check
from .conv.plan import Force, Plan, plan_layers
from .layers import LAYER_CLASSES, Conv2D, Dense, Layer, MaxPool2D, ReLU
from .memory import memory_problem
from .textbook_layers import TEXTBOOK_CLASSES

ENGINES = ("fast", "textbook")

_ACTIVATIONS_AFTER = ("relu", "leaky_relu")


class WeightsError(ValueError):
    """Weights that do not fit the network; the message names the first bad array."""


class Network:
    """Layers built from the architecture JSON, their parameters in one flat buffer.

    `parameters` and `gradients` are flat arrays; `state_dict()` exposes views of
    them by the design's names (`"{i}.weight"`, `"{i}.bias"`, and batchnorm's
    `"{i}.running_mean"`, `"{i}.running_var"`), the same as an equivalent
    `torch.nn.Sequential`.
    """

    def __init__(self, architecture: Mapping[str, Any], seed: int = 0,
                 dtype: Any = np.float32, num_classes: int | None = None,
                 engine: str = "fast", force: Mapping[int, Force] | None = None):
        """`engine`: "fast" (the fast paths, fused) or "textbook" (`reference.py`'s loops).
        `force`: conv layer index → the paths to run there (`conv.plan.Force`), for tests;
        a path that cannot run on that layer raises `PlanError` saying why."""
        if engine not in ENGINES:
            raise ValueError(f"engine '{engine}' is not one of {', '.join(ENGINES)}")
        self.engine = engine
        self.analysis: Analysis = check(architecture, num_classes)
        problem = memory_problem(self.analysis, batch_size=1)
        if problem:  # refuse before allocating a single parameter
            raise ArchitectureError([Problem(None, None, problem)])
        self.architecture = self.analysis.to_architecture()
        self.dtype = np.dtype(dtype)
        self.input_shape: tuple[int, ...] = self.analysis.input_shape  # type: ignore[assignment]
        self._build_layers(engine, force)
        sizes = [int(np.prod(s)) for layer in self.layers for s in layer.param_shapes().values()]
        self.parameters = np.zeros(sum(sizes), dtype=self.dtype)
        self.gradients = np.zeros_like(self.parameters)
        self._views: dict[str, np.ndarray] = {}
        self._buffers: dict[str, np.ndarray] = {}
        #: each layer's (parameters, gradients, buffers): views that every engine's layers share
        self._bound: list[tuple[dict, dict, dict]] = []
        offset = 0
        for layer in self.layers:
            params, grads, buffers = {}, {}, {}
            for name, shape in layer.param_shapes().items():
                size = int(np.prod(shape))
                params[name] = self.parameters[offset:offset + size].reshape(shape)
                grads[name] = self.gradients[offset:offset + size].reshape(shape)
                self._views[f"{layer.index}.{name}"] = params[name]
                offset += size
            for name, shape in layer.buffer_shapes().items():
                buffers[name] = np.zeros(shape, dtype=self.dtype)
                self._buffers[f"{layer.index}.{name}"] = buffers[name]
            layer.bind(params, grads, buffers)
            self._bound.append((params, grads, buffers))
        self.outputs: list[np.ndarray] = []
        self.initialise(seed)

    def _build_layers(self, engine: str, force: Mapping[int, Force] | None = None) -> None:
        classes = LAYER_CLASSES if engine == "fast" else {**LAYER_CLASSES, **TEXTBOOK_CLASSES}
        #: what `plan_layers` chose for each layer: paths, fusion and why
        self.plans: list[Plan] = plan_layers(self.analysis.layers, engine, force)
        self.layers: list[Layer] = [classes[info.type](info, self.dtype, plan)
                                    for info, plan in zip(self.analysis.layers, self.plans)]
        for layer in self.layers:  # a conv that does a max-pool's work writes its arrays
            if isinstance(layer, Conv2D) and layer.plan.pool:
                pool = self.layers[layer.index + 2]
                assert isinstance(pool, MaxPool2D)
                layer.pool_after = pool
        #: the layers `keep_layer_outputs` sets, found once: testing every layer's type on
        #: every pass was a visible share of a single image's time (docs/performance.md,
        #: 'Python and numpy around the kernels')
        self._keeping = [layer for layer in self.layers
                         if isinstance(layer, Conv2D | Dense | ReLU)]

    def initialise(self, seed: int) -> None:
        """He init for layers feeding a ReLU, Glorot otherwise; reproducible by seed."""
        rng = np.random.default_rng(seed)
        for i, layer in enumerate(self.layers):
            following = next((nxt.kind for nxt in self.layers[i + 1:]
                              if nxt.kind not in ("batchnorm2d", "dropout")), None)
            layer.initialise(rng, before_relu=following in _ACTIVATIONS_AFTER)

    # computation ---------------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool = False,
                layer_outputs: bool = True) -> np.ndarray:
        """Logits (N, classes) for images x (N, C, H, W) scaled to [0, 1].

        Every layer's output of this pass stays in `outputs` until the next pass. In
        training, and in inference with `layer_outputs=False` (evaluation, prediction), a
        conv2d or dense layer applies the ReLU after it, so that layer's entry holds the
        rectified output. A conv followed by ReLU and a 2×2 max-pool may pool in its own
        epilogue; with `layer_outputs=False` it then does not write its own output at all,
        and only the pool's entry (and those after it) hold values. (The trainer asks for
        layer outputs only in the steps whose health it reports.)
        """
        x = np.asarray(x, dtype=self.dtype).reshape(-1, *self.input_shape)
        self.keep_layer_outputs(layer_outputs)
        self.outputs = []
        for layer in self.layers:
            x = layer.forward(x, training)
            self.outputs.append(x)
        return x

    def keep_layer_outputs(self, keep: bool) -> None:
        """Whether the layers' next passes write every layer's output (see `forward`)."""
        for layer in self._keeping:
            layer.layer_outputs = keep

    def backward(self, grad_logits: np.ndarray, input_gradient: bool = False
                 ) -> np.ndarray | None:
        """Fill `gradients` from dL/dlogits; return dL/dx of the input when asked."""
        grad: np.ndarray | None = grad_logits
        for i in range(len(self.layers) - 1, -1, -1):
            need = i > 0 or input_gradient
            grad = self.layers[i].backward(grad, need)
        return grad

    def predict(self, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
        """Logits for a whole array of images, in batches (no layer state kept)."""
        chunks = [self.forward(images[i:i + batch_size], layer_outputs=False).copy()
                  for i in range(0, len(images), batch_size)]
        return np.concatenate(chunks) if chunks else np.zeros((0, self.analysis.output_shape[0]))

    def use_engine(self, engine: str) -> None:
        """From the next pass on, compute with `engine`: the same weights, buffers and
        dropout draws, so a run can change engines between two batches (a first launch
        trains on the textbook loops while the fast kernels compile)."""
        if engine not in ENGINES:
            raise ValueError(f"engine '{engine}' is not one of {', '.join(ENGINES)}")
        if engine == self.engine:
            return
        before = self.layers
        self._build_layers(engine)
        for old, new, bound in zip(before, self.layers, self._bound):
            new.bind(*bound)
            if hasattr(old, "rng"):
                new.rng = old.rng
        self.engine = engine

    # state ------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """Views of every parameter and buffer, by the npz / PyTorch names."""
        return {**self._views, **self._buffers}

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        """Copy arrays in; refuses missing, extra, misshapen or non-finite arrays."""
        expected = self.state_dict()
        for name, target in expected.items():
            if name not in state:
                raise WeightsError(f"the weights have no array '{name}' that layer "
                                   f"{name.split('.')[0]} needs")
            array = np.asarray(state[name])
            if array.shape != target.shape:
                raise WeightsError(f"array '{name}' has shape {tuple(array.shape)} but the "
                                   f"architecture needs {tuple(target.shape)}")
            if not np.all(np.isfinite(array)):
                raise WeightsError(f"array '{name}' holds NaN or infinite values")
        extra = sorted(set(state) - set(expected))
        if extra:
            raise WeightsError(f"the weights have an array '{extra[0]}' that no layer of this "
                               f"architecture uses")
        for name, target in expected.items():
            target[...] = state[name]

    def first_non_finite_layer(self) -> str | None:
        """'layer i (type)' of the first output or gradient that holds NaN/Inf, if any."""
        for layer, output in zip(self.layers, self.outputs):
            grads_ok = all(np.all(np.isfinite(g)) for g in layer.grads.values())
            if not np.all(np.isfinite(output)) or not grads_ok:
                return f"layer {layer.index} ({layer.kind})"
        return None
