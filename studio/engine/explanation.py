"""The arithmetic behind one output value of one layer, with the network's own numbers.

`explain` runs one image forward and backward (as `look_inside` does) and, for
the chosen output position, recomputes the value from the layer's inputs and
parameters by the textbook formula, independently of the kernels. The result
carries the numbers (input patch, kernel, products, gradient) and sentences
that write the formulas out with them, so a learner can follow the sum that
produced a feature-map pixel and the gradient that came back through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .layers import Layer
from .losses import softmax, softmax_cross_entropy
from .network import Network

_ACTIVATIONS = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "sigmoid": "sigmoid",
                "tanh": "tanh"}


@dataclass(frozen=True)
class Explanation:
    layer: int
    kind: str
    position: tuple[int, ...]  # (channel, row, column) of an image output, (unit,) of a vector
    title: str
    forward: list[str]  # the forward arithmetic, one step per line
    backward: list[str]  # the gradient at this position and where it goes
    value: float  # what the arithmetic above arrives at (float64)
    engine_value: float  # the network's own forward output at this position
    gradient: float  # dL/dY at this position, for this image and the target class
    arrays: dict[str, np.ndarray] = field(default_factory=dict)  # small pictures, by caption
    code: str = ""  # the textbook functions that compute these formulas, forward and backward


def _passes(network: Network, image: np.ndarray, label: int
            ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Every layer's output and dL/d(that output) for one image (inference mode)."""
    logits = network.forward(image[None], training=False)
    outputs = [output[0].astype(np.float64) for output in network.outputs]
    _, grad = softmax_cross_entropy(logits, np.array([label]))
    output_grads: list[np.ndarray] = [np.empty(0)] * len(network.layers)
    for i in range(len(network.layers) - 1, -1, -1):
        output_grads[i] = np.asarray(grad[0], dtype=np.float64).copy()
        grad = network.layers[i].backward(grad, True)
    return outputs, output_grads


def _where(position: tuple[int, ...]) -> str:
    return ", ".join(map(str, position))


def _number(value: float) -> str:
    return f"{value:.4g}"


def _plus(value: float) -> str:
    """'+ 3.2' or '− 0.016': a sum as a textbook writes it, not '+ -0.016'."""
    return f"− {_number(-value)}" if value < 0 else f"+ {_number(value)}"


#: The textbook loops (`reference.py`) behind each formula shown: forward, backward.
TEXTBOOK_FUNCTIONS = {
    "conv2d": ("conv2d_forward", "conv2d_weight_gradient, conv2d_bias_gradient and "
                                 "conv2d_input_gradient"),
    "maxpool2d": ("maxpool2d_forward", "maxpool2d_backward"),
    "avgpool2d": ("avgpool2d_forward", "avgpool2d_backward"),
    "dense": ("dense_forward", "dense_backward"),
}


def explain(network: Network, image: np.ndarray, label: int, layer: int,
            position: tuple[int, ...], classes: Sequence[str] | None = None) -> Explanation:
    """How `network.layers[layer]` computed its output at `position` for `image` (C, H, W),
    with the gradient of the loss for target class `label`. The last layer's units
    are the logits: named by `classes` (default: their index) with their softmax
    probabilities.

    Overwrites the network's gradient buffer (as `look_inside` does): call it on a
    network no other thread is training.
    """
    outputs, output_grads = _passes(network, np.asarray(image, dtype=network.dtype), label)
    current = network.layers[layer]
    layer_input = (np.asarray(image, dtype=np.float64) if layer == 0
                   else outputs[layer - 1])
    output = outputs[layer]
    if len(position) != output.ndim or any(not 0 <= p < n for p, n in zip(position,
                                                                            output.shape)):
        raise IndexError(f"position {position} is outside layer {layer}'s output "
                         f"{'×'.join(map(str, output.shape))}")
    explain_layer = _EXPLAINERS.get(current.kind, _explain_other)
    forward, backward, value, arrays = explain_layer(current, layer_input, output,
                                                     output_grads[layer], position)
    if layer == len(network.layers) - 1 and output.ndim == 1:
        forward, backward = _as_logit(output, label, position[0], classes, forward, backward)
    else:
        backward[0] += f"   (the gradient of the loss for target class {label})"
    if output_grads[layer][position] == 0:
        reason = _why_no_gradient(network, outputs, layer, position)
        if reason:
            backward.insert(1, reason)
    following = network.layers[layer + 1] if layer + 1 < len(network.layers) else None
    if following is not None and following.kind in _ACTIVATIONS and current.kind not in \
            _ACTIVATIONS:
        activated = float(outputs[layer + 1][position])
        forward.append(f"→ {_ACTIVATIONS[following.kind]} (layer {layer + 1}) → "
                       f"{_number(activated)}")
    code = (", backward ".join(TEXTBOOK_FUNCTIONS[current.kind]) + " in "
            "studio/engine/conv/reference.py" if current.kind in TEXTBOOK_FUNCTIONS else "")
    where = (f"channel {position[0]}, row {position[1]}, column {position[2]}"
             if len(position) == 3 else f"unit {position[0]}")
    return Explanation(layer, current.kind, position, f"layer {layer} ({current.kind}), {where}",
                       forward, backward, value, float(output[position]),
                       float(output_grads[layer][position]), arrays, code)


def _why_no_gradient(network: Network, outputs: list[np.ndarray], layer: int,
                     position: tuple[int, ...]) -> str | None:
    """Why dL/dY is exactly 0 at `position`: a ReLU after it stopped it, or a max-pool did
    not pick it (a learner otherwise takes the blank gradient pictures for a fault)."""
    at, value = layer + 1, float(outputs[layer][position])
    if at < len(network.layers) and network.layers[at].kind == "relu":
        if value <= 0:
            return (f"why 0: the ReLU after it (layer {at}) outputs 0 for an input ≤ 0, and "
                    f"passes no gradient back there: dL/dY = dL/d ReLU · [Y > 0] = 0")
        at, value = at + 1, float(outputs[at][position])
    if at < len(network.layers) and network.layers[at].kind == "maxpool2d" and \
            len(position) == 3:
        pool, (c, y, x) = network.layers[at], position
        source = outputs[at - 1][c]
        for py in range(outputs[at].shape[1]):
            for px in range(outputs[at].shape[2]):
                top, left = py * pool.stride, px * pool.stride
                window = source[top:top + pool.size, left:left + pool.size]
                i, j = np.unravel_index(int(np.argmax(window)), window.shape)
                if (top + i, left + j) == (y, x):
                    return None  # it won a window: its 0 came from further on
        return (f"why 0: in every window of the max-pool (layer {at}) that holds it, "
                f"another value was larger, and a max-pool sends its gradient only to "
                f"each window's maximum")
    return None


def _as_logit(logits: np.ndarray, label: int, unit: int, classes: Sequence[str] | None,
              forward: list[str], backward: list[str]) -> tuple[list[str], list[str]]:
    """The last layer's lines, with the unit named as the logit of its class."""
    names = list(classes) if classes is not None else [str(u) for u in range(len(logits))]
    probabilities = softmax(logits[None])[0]
    forward = [*forward, f"this is the logit of class {names[unit]}: softmax e^Y[{unit}] / "
               f"Σ_j e^Y[j] gives it probability {probabilities[unit]:.2%}"]
    one_hot = float(unit == label)
    backward = [backward[0] + f" = p − 1[class = target] = {_number(probabilities[unit])} − "
                f"{one_hot:g}   (softmax cross-entropy, target class {names[label]})",
                *backward[1:]]
    return forward, backward


def _explain_conv(layer: Layer, x: np.ndarray, output: np.ndarray, grad: np.ndarray,
                  position: tuple[int, ...]):
    f, y, x_ = position
    k, s, p = layer.kernel, layer.stride, layer.padding
    padded = np.pad(x, ((0, 0), (p, p), (p, p)))
    patch = padded[:, y * s:y * s + k, x_ * s:x_ * s + k]
    kernel = layer.params["weight"][f].astype(np.float64)
    bias = float(layer.params["bias"][f])
    products = patch * kernel
    total = float(products.sum())
    g = float(grad[position])
    channels = patch.shape[0]
    forward = [
        f"Y[{f}, {y}, {x_}] = Σ_c,i,j X[c, {y}·{s} + i − {p}, {x_}·{s} + j − {p}] · "
        f"K[{f}, c, i, j] + b[{f}]   (cross-correlation, stride {s}, padding {p})",
        f"= Σ of the {products.size} products X·K over the {channels}×{k}×{k} patch "
        f"(pictured) = {_number(total)}",
    ]
    if channels > 1:
        per_channel = ", ".join(f"c{c}: {_number(v)}" for c, v in
                                enumerate(products.sum(axis=(1, 2))[:8]))
        forward.append(f"  by channel: {per_channel}{', …' if channels > 8 else ''}")
    forward.append(f"+ b[{f}] = {_number(total)} {_plus(bias)} = {_number(total + bias)}")
    backward = [
        f"dL/dY[{f}, {y}, {x_}] = {_number(g)}",
        f"its share of dL/dK[{f}] = dL/dY[{f}, {y}, {x_}] · X patch (pictured): "
        f"dL/dK = X ⋆ dL/dY adds up such shares from every output position (and, while "
        f"training, every image of the batch)",
        f"its share of dL/db[{f}] = {_number(g)}:  dL/db = Σ dL/dY",
        f"each input in the patch receives {_number(g)} · K[{f}, c, i, j]:  dL/dX = dL/dY "
        f"full-convolved with the 180°-rotated kernel collects these from every output "
        f"that used the input",
    ]
    if s > 1:
        backward.append(f"with stride {s}, dL/dY is first dilated with {s - 1} "
                        f"zero{'s' if s > 2 else ''} "
                        f"between its values, then the same full convolution applies")
    arrays = {"input patch X": patch, f"kernel K[{f}]": kernel, "products X·K": products,
              "share of dL/dK": g * patch}
    return forward, backward, total + bias, arrays


def _explain_pool(layer: Layer, x: np.ndarray, output: np.ndarray, grad: np.ndarray,
                  position: tuple[int, ...]):
    c, y, x_ = position
    k, s = layer.size, layer.stride
    window = x[c, y * s:y * s + k, x_ * s:x_ * s + k]
    g = float(grad[position])
    top = f"X[{c}, {y}·{s} + i, {x_}·{s} + j] for i, j in 0…{k - 1}"
    if layer.kind == "maxpool2d":
        i, j = np.unravel_index(int(np.argmax(window)), window.shape)
        value = float(window[i, j])
        forward = [f"Y[{c}, {y}, {x_}] = max over the {k}×{k} window {top} (pictured)",
                   f"= {_number(value)}, at window row {i}, column {j}"]
        backward = [f"dL/dY[{c}, {y}, {x_}] = {_number(g)}",
                    f"only the maximum influenced Y, so X[{c}, {y * s + i}, {x_ * s + j}] "
                    f"receives all of it and the other {k * k - 1} inputs receive 0"]
    else:
        value = float(window.mean())
        forward = [f"Y[{c}, {y}, {x_}] = (1/{k * k}) Σ {top} (pictured)",
                   f"= {_number(float(window.sum()))} / {k * k} = {_number(value)}"]
        backward = [f"dL/dY[{c}, {y}, {x_}] = {_number(g)}",
                    f"spread evenly: each of the {k * k} inputs receives {_number(g)} / "
                    f"{k * k} = {_number(g / (k * k))}"]
    return forward, backward, value, {"window": window}


def _explain_dense(layer: Layer, x: np.ndarray, output: np.ndarray, grad: np.ndarray,
                   position: tuple[int, ...]):
    (u,) = position
    weights = layer.params["weight"][u].astype(np.float64)
    bias = float(layer.params["bias"][u])
    products = x * weights
    total = float(products.sum())
    largest = np.argsort(-np.abs(products))[:5]
    g = float(grad[position])
    forward = [f"Y[{u}] = Σ_i x[i] · W[{u}, i] + b[{u}]   ({x.size} inputs)",
               "largest terms: " + ", ".join(f"x[{i}]·W[{u},{i}] = {_number(x[i])}·"
                                             f"{_number(weights[i])} = {_number(products[i])}"
                                             for i in largest),
               f"= {_number(total)} + b[{u}] = {_number(total)} {_plus(bias)} = "
               f"{_number(total + bias)}"]
    backward = [f"dL/dY[{u}] = {_number(g)}",
                f"dL/dW[{u}, i] = dL/dY[{u}] · x[i]  (row {u} of dL/dW = dYᵀ x)",
                f"dL/db[{u}] = {_number(g)};  each input receives {_number(g)} · W[{u}, i] "
                f"(dL/dx = dY W sums this over the units)"]
    return forward, backward, total + bias, {"inputs x": x.reshape(1, -1),
                                             f"weights W[{u}]": weights.reshape(1, -1)}


def _explain_activation(layer: Layer, x: np.ndarray, output: np.ndarray, grad: np.ndarray,
                        position: tuple[int, ...]):
    v, g = float(x[position]), float(grad[position])
    where = _where(position)
    if layer.kind == "relu":
        value, slope, rule = max(v, 0.0), float(v > 0), "max(X, 0)"
    elif layer.kind == "leaky_relu":
        a = layer.config["slope"]
        value, slope, rule = (v if v > 0 else a * v), (1.0 if v > 0 else a), f"X or {a}·X"
    elif layer.kind == "sigmoid":
        value = 1 / (1 + np.exp(-v))
        slope, rule = value * (1 - value), "1/(1 + e^−X)"
    else:
        value = float(np.tanh(v))
        slope, rule = 1 - value * value, "tanh(X)"
    forward = [f"Y[{where}] = {rule} with X = {_number(v)}  →  {_number(value)}"]
    backward = [f"dL/dY[{where}] = {_number(g)}",
                f"dL/dX = dL/dY · (slope at X = {_number(slope)}) = {_number(g * slope)}"]
    return forward, backward, float(value), {}


def _explain_flatten(layer: Layer, x: np.ndarray, output: np.ndarray, grad: np.ndarray,
                     position: tuple[int, ...]):
    (i,) = position
    source = np.unravel_index(i, x.shape)
    shape = "×".join(map(str, x.shape))
    forward = [f"Y[{i}] = X[{_where(tuple(int(s) for s in source))}]: the {shape} maps read "
               f"row by row, channel after channel = {_number(float(x[source]))}"]
    backward = [f"dL/dY[{i}] = {_number(float(grad[position]))} goes back to that same X"]
    return forward, backward, float(x[source]), {}


def _explain_other(layer: Layer, x: np.ndarray, output: np.ndarray, grad: np.ndarray,
                   position: tuple[int, ...]):
    where = _where(position)
    if layer.kind == "batchnorm2d":
        c = position[0]
        mean, var = (float(layer.buffers[n][c]) for n in ("running_mean", "running_var"))
        gamma, beta = float(layer.params["weight"][c]), float(layer.params["bias"][c])
        v = float(x[position])
        value = gamma * (v - mean) / np.sqrt(var + layer.config["eps"]) + beta
        forward = [f"Y[{where}] = γ (X − μ)/√(σ² + ε) + β = {_number(gamma)}·({_number(v)} "
                   f"{_plus(-mean)})/√({_number(var)} + ε) {_plus(beta)} = "
                   f"{_number(value)}   (running statistics, as at inference)"]
    else:  # dropout: the identity at inference
        value = float(x[position])
        forward = [f"Y[{where}] = X[{where}] = {_number(value)}  (dropout is off at inference)"]
    return forward, [f"dL/dY[{where}] = {_number(float(grad[position]))}"], float(value), {}


_EXPLAINERS = {"conv2d": _explain_conv, "maxpool2d": _explain_pool, "avgpool2d": _explain_pool,
               "dense": _explain_dense, "relu": _explain_activation,
               "leaky_relu": _explain_activation, "sigmoid": _explain_activation,
               "tanh": _explain_activation, "flatten": _explain_flatten}
