"""Write the generated PyTorch module (see `torch_sequential.pytorch_code`) atomically."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .atomic import atomic_write_text
from .torch_sequential import pytorch_code


def write_pytorch(path: str | os.PathLike, architecture: dict[str, Any],
                  weights_path: str | os.PathLike = "model.npz") -> None:
    atomic_write_text(path, pytorch_code(architecture, Path(weights_path).name))
