"""The architecture JSON: its schema, and the one shape inference everybody uses.

`analyse` is the only place that knows how big each layer's output is, how many
parameters it has and what it costs. The builder canvas, the network
constructor, the CLI and the exporters all ask it, so they never disagree.
It never raises on a bad network: it returns every problem it can find, each
with the layer's index and a sentence a beginner can act on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FORMAT = "cnn-studio.architecture"
VERSION = 1

_REQUIRED = object()

#: Each layer type's keys and their defaults (`_REQUIRED` when there is none).
LAYER_KEYS: dict[str, dict[str, Any]] = {
    "conv2d": {"filters": _REQUIRED, "kernel": _REQUIRED, "stride": 1, "padding": "valid"},
    "maxpool2d": {"size": _REQUIRED, "stride": None},
    "avgpool2d": {"size": _REQUIRED, "stride": None},
    "relu": {},
    "leaky_relu": {"slope": 0.01},
    "sigmoid": {},
    "tanh": {},
    "flatten": {},
    "dense": {"units": _REQUIRED},
    "dropout": {"rate": 0.5},
    "batchnorm2d": {"momentum": 0.1, "eps": 1e-5},
}

#: One line each, for the palette and for error messages.
LAYER_DESCRIPTIONS: dict[str, str] = {
    "conv2d": "Slides learned filters over the image; each filter makes one feature map.",
    "maxpool2d": "Keeps the largest value in each window: smaller maps, same features.",
    "avgpool2d": "Averages each window: smaller, smoother maps.",
    "relu": "Keeps positive values, sets negatives to zero.",
    "leaky_relu": "Like ReLU, but lets a small slope through for negatives.",
    "sigmoid": "Squashes every value into 0…1.",
    "tanh": "Squashes every value into −1…1.",
    "flatten": "Unrolls channels × height × width into one long vector.",
    "dense": "Connects every input to every output (a fully connected layer).",
    "dropout": "While training, randomly zeroes a fraction of values to fight overfitting.",
    "batchnorm2d": "Normalises each channel over the batch, then rescales it.",
}

_SIZE_LIMIT = 4096  # a single size above this is a typo, not a network


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an architecture; `index` is None for the whole file."""

    index: int | None
    layer_type: str | None
    message: str

    def __str__(self) -> str:
        if self.index is None:
            return self.message
        return f"layer {self.index} ({self.layer_type}): {self.message}"


@dataclass(frozen=True)
class LayerInfo:
    """What shape inference knows of one layer. `output_shape` is None when unknown."""

    index: int
    type: str
    config: dict[str, Any]
    input_shape: tuple[int, ...] | None
    output_shape: tuple[int, ...] | None
    parameters: int
    macs: int
    padding: int = 0

    @property
    def activations(self) -> int:
        """Floats this layer's output holds per image."""
        return math.prod(self.output_shape) if self.output_shape else 0


@dataclass
class Analysis:
    """The outcome of `analyse`: normalised layers, their shapes, and every problem."""

    input_shape: tuple[int, ...] | None
    layers: list[LayerInfo] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    name: str = ""
    #: what trains but probably not as meant; never stops training
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def output_shape(self) -> tuple[int, ...] | None:
        return self.layers[-1].output_shape if self.layers else self.input_shape

    @property
    def total_parameters(self) -> int:
        return sum(layer.parameters for layer in self.layers)

    @property
    def total_macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def activations_per_image(self) -> int:
        return sum(layer.activations for layer in self.layers)

    def problems_for(self, index: int) -> list[Problem]:
        return [p for p in self.problems if p.index == index]

    def to_architecture(self) -> dict[str, Any]:
        """The normalised JSON form (every default filled in)."""
        channels, height, width = self.input_shape or (1, 28, 28)
        return {
            "format": FORMAT,
            "version": VERSION,
            "name": self.name,
            "input": {"channels": channels, "height": height, "width": width},
            "layers": [{"type": info.type, **info.config} for info in self.layers],
        }


class ArchitectureError(ValueError):
    """An architecture that cannot be built; the message lists every problem."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_size(value: Any, key: str, minimum: int = 1) -> str | None:
    """A sentence saying why `value` is not a valid size, or None when it is."""
    if not _is_int(value):
        return f"'{key}' must be a whole number, not {value!r}"
    if value < minimum:
        word = "positive" if minimum == 1 else f"at least {minimum}"
        return f"'{key}' must be {word}, not {value}"
    if value > _SIZE_LIMIT:
        return f"'{key}' is {value}, far larger than any sensible layer (at most {_SIZE_LIMIT})"
    return None


def _normalise_layer(index: int, raw: Any, problems: list[Problem]) -> tuple[str, dict] | None:
    """Check a layer's keys and fill in defaults; append problems; None if unusable."""
    if not isinstance(raw, Mapping):
        problems.append(Problem(index, None, f"must be an object like {{\"type\": \"relu\"}}, "
                                             f"not {type(raw).__name__}"))
        return None
    layer_type = raw.get("type")
    if layer_type == "softmax":
        problems.append(Problem(index, layer_type, "there is no softmax layer: the loss "
                                "(softmax cross-entropy) applies softmax to the last layer's "
                                "outputs itself — remove this layer and end with the dense "
                                "layer"))
        return None
    if not isinstance(layer_type, str) or layer_type not in LAYER_KEYS:
        known = ", ".join(LAYER_KEYS)
        problems.append(Problem(index, str(layer_type),
                                f"unknown layer type {layer_type!r}; known types: {known}"))
        return None
    schema = LAYER_KEYS[layer_type]
    config: dict[str, Any] = {}
    ok = True
    for key in raw:
        if key != "type" and key not in schema:
            allowed = ", ".join(schema) or "no settings"
            problems.append(Problem(index, layer_type,
                                    f"unknown key {key!r} (this layer takes {allowed})"))
            ok = False
    for key, default in schema.items():
        if key in raw:
            config[key] = raw[key]
        elif default is _REQUIRED:
            problems.append(Problem(index, layer_type, f"needs '{key}'"))
            ok = False
        else:
            config[key] = default
    if not ok:
        return None
    if layer_type in ("maxpool2d", "avgpool2d") and config["stride"] is None:
        config["stride"] = config["size"]
    for message in _check_values(layer_type, config):
        problems.append(Problem(index, layer_type, message))
        ok = False
    return (layer_type, config) if ok else None


def _check_values(layer_type: str, config: dict[str, Any]) -> list[str]:
    """The sentences for every out-of-range setting of one layer."""
    messages = []
    for key in ("filters", "kernel", "stride", "size", "units"):
        if key in config:
            message = _check_size(config[key], key)
            if message:
                messages.append(message)
    if layer_type == "conv2d":
        padding = config["padding"]
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                messages.append(f"padding must be 'valid', 'same' or a whole number, "
                                f"not {padding!r}")
        else:
            message = _check_size(padding, "padding", minimum=0)
            if message:
                messages.append(message)
    if layer_type == "dropout":
        rate = config["rate"]
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 <= rate < 1:
            messages.append(f"'rate' must be a number from 0 up to (not including) 1, not {rate!r}")
    if layer_type == "leaky_relu":
        slope = config["slope"]
        if not isinstance(slope, (int, float)) or isinstance(slope, bool) or not 0 <= slope < 1:
            messages.append(f"'slope' must be a number from 0 up to 1, not {slope!r}")
    if layer_type == "batchnorm2d":
        for key in ("momentum", "eps"):
            value = config[key]
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value < 1:
                messages.append(f"'{key}' must be a number between 0 and 1, not {value!r}")
    return messages


def resolve_padding(padding: Any, kernel: int, stride: int) -> tuple[int | None, str | None]:
    """Padding in pixels for a conv layer, or (None, reason) when 'same' cannot apply.

    'same' means p = (f − 1)/2, which keeps the size only for an odd kernel and
    stride 1. For anything else we refuse rather than pad unevenly behind the
    learner's back (PyTorch refuses strided 'same' too): use a number instead.
    """
    if padding == "valid":
        return 0, None
    if padding == "same":
        if stride != 1:
            return None, (f"padding 'same' only keeps the size with stride 1, but stride is "
                          f"{stride} — use a number such as padding {(kernel - 1) // 2}")
        if kernel % 2 == 0:
            return None, (f"padding 'same' needs an odd kernel (3, 5, 7…), but kernel is "
                          f"{kernel} — use an odd kernel or a number for padding")
        return (kernel - 1) // 2, None
    return int(padding), None


def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """W_o = ⌊(W_i + 2p − f)/s⌋ + 1, the textbook formula."""
    return (size + 2 * padding - kernel) // stride + 1


def _infer(layer_type: str, config: dict, shape: tuple[int, ...]) -> tuple:
    """(output shape, parameters, MACs, padding, problem sentence or None) of one layer."""
    if layer_type in ("conv2d", "maxpool2d", "avgpool2d", "batchnorm2d") and len(shape) != 3:
        where = "conv" if layer_type == "conv2d" else layer_type
        return None, 0, 0, 0, (
            f"needs an image-shaped input (channels×height×width) but gets a flat vector of "
            f"{shape[0]} — {where} layers must come before flatten")
    if layer_type == "conv2d":
        channels, height, width = shape
        kernel, stride = config["kernel"], config["stride"]
        padding, reason = resolve_padding(config["padding"], kernel, stride)
        if reason:
            return None, 0, 0, 0, reason
        if kernel > min(height, width) + 2 * padding:
            side = min(height, width)
            fits = ("padding 'same'" if kernel % 2 and stride == 1 and padding == 0
                    else f"padding {-(-(kernel - side) // 2)} or more")  # 'same' must be odd
            hint = f"use a kernel of at most {side + 2 * padding} or {fits}"
            return None, 0, 0, padding, (
                f"kernel {kernel} is larger than its {height}×{width} input — {hint}")
        filters = config["filters"]
        out = (filters, output_size(height, kernel, stride, padding),
               output_size(width, kernel, stride, padding))
        params = (kernel * kernel * channels + 1) * filters
        macs = filters * out[1] * out[2] * channels * kernel * kernel
        return out, params, macs, padding, None
    if layer_type in ("maxpool2d", "avgpool2d"):
        channels, height, width = shape
        size, stride = config["size"], config["stride"]
        if size > min(height, width):
            return None, 0, 0, 0, (
                f"pool size {size} is larger than its {height}×{width} input — use a smaller size "
                f"or remove this pooling layer")
        out = (channels, output_size(height, size, stride, 0), output_size(width, size, stride, 0))
        return out, 0, 0, 0, None
    if layer_type == "batchnorm2d":
        return shape, 2 * shape[0], 0, 0, None
    if layer_type == "flatten":
        return (math.prod(shape),), 0, 0, 0, None
    if layer_type == "dense":
        if len(shape) != 1:
            shape_text = "×".join(map(str, shape))
            return None, 0, 0, 0, (
                f"needs a flat input but gets a {shape_text} image — add a flatten layer before it")
        units = config["units"]
        return (units,), (shape[0] + 1) * units, shape[0] * units, 0, None
    return shape, 0, 0, 0, None  # activations and dropout keep the shape


def _check_input(raw: Any, problems: list[Problem]) -> tuple[int, int, int] | None:
    if not isinstance(raw, Mapping):
        problems.append(Problem(None, None, "'input' must be an object with channels, height and "
                                            "width, e.g. {\"channels\": 1, \"height\": 28, "
                                            "\"width\": 28}"))
        return None
    ok = True
    for key in raw:
        if key not in ("channels", "height", "width"):
            problems.append(Problem(None, None, f"'input' has an unknown key {key!r} (it takes "
                                                "channels, height, width)"))
            ok = False
    values = []
    for key in ("channels", "height", "width"):
        if key not in raw:
            problems.append(Problem(None, None, f"'input' needs '{key}'"))
            ok = False
            continue
        message = _check_size(raw[key], key)
        if message:
            problems.append(Problem(None, None, f"input {message}"))
            ok = False
        values.append(raw[key])
    return tuple(values) if ok else None  # type: ignore[return-value]


_TOP_KEYS = ("format", "version", "name", "input", "layers")


def analyse(spec: Any, num_classes: int | None = None) -> Analysis:
    """Validate an architecture JSON object and infer every layer's shape and cost.

    Parameters
    ----------
    spec : the parsed JSON (a mapping with format, version, input, layers).
    num_classes : when given, the network must end in exactly this many outputs.
    """
    problems: list[Problem] = []
    if not isinstance(spec, Mapping):
        return Analysis(None, [], [Problem(None, None, "an architecture must be a JSON object")])
    name = _check_header(spec, problems)
    shape = _check_input(spec.get("input"), problems)
    analysis = Analysis(shape, name=name)
    raw_layers = spec.get("layers")
    if not isinstance(raw_layers, list):
        problems.append(Problem(None, None, "'layers' must be a list of layer objects"))
        raw_layers = []
    elif not raw_layers:
        problems.append(Problem(None, None, "the network has no layers — add at least a flatten "
                                            "and a dense layer"))
    current = shape
    for index, raw in enumerate(raw_layers):
        info = _layer_info(index, raw, current, problems)
        analysis.layers.append(info)
        current = info.output_shape
    if current is not None and raw_layers and not problems:
        _check_ending(analysis, current, num_classes, problems)
    analysis.problems = problems
    analysis.warnings = _after_the_scores(analysis.layers)
    return analysis


def _check_header(spec: Mapping, problems: list[Problem]) -> str:
    """The top-level keys, format and version; the network's name ("" when not text)."""
    for key in spec:
        if key not in _TOP_KEYS:
            problems.append(Problem(None, None, f"unknown key {key!r} (an architecture has "
                                                f"{', '.join(_TOP_KEYS)})"))
    if spec.get("format") != FORMAT:
        problems.append(Problem(None, None, f"'format' must be {FORMAT!r}, not "
                                            f"{spec.get('format')!r}"))
    if spec.get("version") != VERSION:
        problems.append(Problem(None, None, f"'version' {spec.get('version')!r} is not supported "
                                            f"(this CNN Studio reads version {VERSION})"))
    name = spec.get("name", "")
    if not isinstance(name, str):
        problems.append(Problem(None, None, "'name' must be text"))
        return ""
    return name


def _layer_info(index: int, raw: Any, shape: tuple[int, ...] | None,
                problems: list[Problem]) -> LayerInfo:
    """Layer `index` on an input of `shape` (None: unknown, after a broken layer); its
    output shape is None when the layer is broken or its input unknown."""
    normalised = _normalise_layer(index, raw, problems)
    if normalised is None:
        is_mapping = isinstance(raw, Mapping)
        layer_type = raw.get("type") if is_mapping else None
        config = {k: v for k, v in raw.items() if k != "type"} if is_mapping else {}
        return LayerInfo(index, str(layer_type), config, shape, None, 0, 0)
    layer_type, config = normalised
    if shape is None:
        return LayerInfo(index, layer_type, config, None, None, 0, 0)
    out, params, macs, padding, reason = _infer(layer_type, config, shape)
    if reason:
        problems.append(Problem(index, layer_type, reason))
    elif min(out) < 1:
        problems.append(Problem(index, layer_type, "its output would be empty"))
        out = None
    return LayerInfo(index, layer_type, config, shape, out, params, macs, padding)


def _check_ending(analysis: Analysis, output: tuple[int, ...], num_classes: int | None,
                  problems: list[Problem]) -> None:
    """A valid network ends in a flat vector of one score per class."""
    if len(output) != 1:
        problems.append(Problem(None, None, "the network must end in a flat vector of class "
                                            "scores — add flatten and dense layers at the end"))
    elif num_classes is not None and output[0] != num_classes:
        last = analysis.layers[-1]
        problems.append(Problem(last.index, last.type,
                                f"the network ends in {output[0]} outputs but the dataset has "
                                f"{num_classes} classes — set the last dense layer to "
                                f"{num_classes} units"))


def _after_the_scores(layers: list[LayerInfo]) -> list[Problem]:
    """A warning for each activation after the last dense layer: the loss takes that layer's
    outputs as the class scores, and squashing them first only makes learning harder."""
    dense = [info.index for info in layers if info.type == "dense"]
    if not dense:
        return []
    return [Problem(info.index, info.type,
                    f"{info.type} after the last dense layer squashes the class scores before "
                    "the loss, which applies softmax to them itself: learning gets slower or "
                    "stalls — remove it and end the network with the dense layer")
            for info in layers[dense[-1] + 1:]
            if info.type in ("relu", "leaky_relu", "sigmoid", "tanh")]


def check(spec: Any, num_classes: int | None = None) -> Analysis:
    """`analyse`, raising `ArchitectureError` listing every problem when there is one."""
    analysis = analyse(spec, num_classes)
    if not analysis.ok:
        raise ArchitectureError(analysis.problems)
    return analysis
