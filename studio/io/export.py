"""Export by file type: the name's ending says the format, for the CLI and the window alike.

`.npz` weights (with the architecture), `.onnx`, `.py` (a PyTorch module that loads
`NAME.weights.npz` beside it) or `.json` (the architecture alone, which needs no training). Any
other ending is refused with one sentence before anything is written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from studio import engine

from .architecture_file import write_architecture
from .errors import FileFormatError
from .onnx_export import write_onnx
from .pytorch_export import write_pytorch
from .weights import save_weights

#: each ending an export may have, and what it holds
EXPORT_FORMATS = {".npz": "weights", ".onnx": "ONNX", ".py": "PyTorch", ".json": "architecture"}


def export_format(path: str | os.PathLike) -> str:
    """The ending of `path` when CNN Studio exports to it; `FileFormatError` otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix not in EXPORT_FORMATS:
        endings = ", ".join(f"{ending} ({what})" for ending, what in EXPORT_FORMATS.items())
        raise FileFormatError(f"{path}: the ending {suffix or '(none)'} names no export format "
                              f"— end the name in {endings}")
    return suffix


def pytorch_weights_path(module: str | os.PathLike) -> Path:
    """model.py → model.weights.npz: never the `model.npz` of a project named alike."""
    module = Path(module)
    return module.with_name(module.stem + ".weights.npz")


def export_files(path: str | os.PathLike) -> list[Path]:
    """Every file an export to `path` writes (a PyTorch module's weights too)."""
    path = Path(path)
    return [path, pytorch_weights_path(path)] if export_format(path) == ".py" else [path]


def export_model(path: str | os.PathLike, model: engine.Network | dict[str, Any],
           weights_file: str | os.PathLike | None = None) -> str:
    """Write `model` (a trained network, or an architecture alone) to `path` in the format
    its ending names; the sentence that says what was written.

    A `.py` module loads `weights_file`, an .npz written beside it when not given.
    """
    path = Path(path)
    suffix = export_format(path)
    architecture = model.architecture if isinstance(model, engine.Network) else model
    if suffix == ".json":
        write_architecture(path, architecture)
        return "the architecture (no weights)"
    if not isinstance(model, engine.Network):
        raise FileFormatError(f"Train the network (or open trained weights) before exporting "
                              f"{path.name}: weights, ONNX and PyTorch need them — the "
                              "architecture alone exports as .json.")
    if suffix == ".onnx":
        write_onnx(path, model)
        c, h, w = model.input_shape
        return (f"an ONNX model (opset 13): input 'input' N×{c}×{h}×{w} in [0, 1], "
                f"output 'logits' N×{model.analysis.output_shape[0]}")
    if suffix == ".py":
        where = "" if weights_file is not None else " beside it"
        if weights_file is None:
            weights_file = pytorch_weights_path(path)
            save_weights(weights_file, model)
        write_pytorch(path, architecture, weights_file)
        return f"a PyTorch module; its load(\"{Path(weights_file).name}\") reads the weights{where}"
    save_weights(path, model)
    return "the weights and architecture (.npz, loads with allow_pickle=False)"
