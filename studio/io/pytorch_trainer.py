"""A folder PyTorch's torchrun can train: the path past one computer.

DIR/model.py is the generated module (`torch_sequential.pytorch_code`),
DIR/architecture.json the network it builds, and DIR/train.py the studio's
recipe under DistributedDataParallel (resources/pytorch/train.py, the same for
every network: it reads architecture.json and writes a studio .npz).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .atomic import atomic_write_text
from .errors import FileFormatError
from .resources import resource_files
from .torch_sequential import pytorch_code

FILES = ("model.py", "architecture.json", "train.py")


def write_pytorch_trainer(folder: str | os.PathLike, architecture: dict[str, Any],
                          weights_path: str | os.PathLike = "model.npz") -> list[Path]:
    """Write the three files into `folder` (created if needed); return their paths."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise FileFormatError(f"{folder}: is a file — --pytorch-trainer needs a folder to write "
                              "model.py and train.py into")
    code = pytorch_code(architecture, Path(weights_path).name)  # checks the network first
    train = resource_files().joinpath("pytorch").joinpath("train.py").read_text(encoding="utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / name for name in FILES]
    for path, text in zip(paths, (code, json.dumps(architecture, indent=2) + "\n", train)):
        atomic_write_text(path, text)
    return paths
