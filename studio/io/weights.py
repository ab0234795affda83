"""Trained weights as .npz: "{i}.weight", "{i}.bias", batchnorm statistics, "architecture".

The archive loads with `np.load(path, allow_pickle=False)`: nothing a user opens
is ever unpickled, and an archive that holds pickled objects is refused.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from studio.engine import ArchitectureError, Network, WeightsError

from .architecture_file import parse_json
from .atomic import atomic_path
from .errors import FileFormatError

ARCHITECTURE_KEY = "architecture"


def save_weights(path: str | os.PathLike, network: Network) -> None:
    """Write the network's state and architecture atomically."""
    arrays = {name: np.ascontiguousarray(array, dtype=np.float32)
              for name, array in network.state_dict().items()}
    arrays[ARCHITECTURE_KEY] = np.array(json.dumps(network.architecture))
    with atomic_path(path, suffix=".npz") as temporary:
        np.savez(temporary, **arrays)


def read_weights(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(architecture, arrays) from an npz; every problem is one `FileFormatError` sentence."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            is_zip = handle.read(4) == b"PK\x03\x04"
    except FileNotFoundError:
        raise FileFormatError(f"{path}: file not found") from None
    except OSError as error:
        raise FileFormatError(f"{path}: cannot be read ({error.strerror})") from None
    if not is_zip:  # np.load would try to unpickle it
        raise FileFormatError(f"{path}: not a .npz archive — choose weights saved by CNN Studio")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except ValueError as error:
        if "allow_pickle" in str(error):
            raise FileFormatError(f"{path}: holds pickled Python objects, which CNN Studio never "
                                  "loads (they could run code) — export the weights as plain "
                                  "arrays") from None
        raise FileFormatError(f"{path}: not a weights file ({error})") from None
    except (zipfile.BadZipFile, OSError, EOFError):
        raise FileFormatError(f"{path}: not a readable .npz archive (corrupt or truncated)"
                              ) from None
    if ARCHITECTURE_KEY not in arrays:
        raise FileFormatError(f"{path}: has no 'architecture' entry, so its layers are unknown "
                              "— save weights from CNN Studio or add the architecture JSON")
    text = arrays.pop(ARCHITECTURE_KEY)
    if text.dtype.kind != "U" or text.ndim != 0:
        raise FileFormatError(f"{path}: its 'architecture' entry must be JSON text")
    return parse_json(str(text), f"{path} (architecture)"), arrays


def load_network(path: str | os.PathLike) -> Network:
    """The network an npz describes, with its weights loaded."""
    architecture, arrays = read_weights(path)
    try:
        network = Network(architecture)
        network.load_state_dict(arrays)
    except (ArchitectureError, WeightsError) as error:
        raise FileFormatError(f"{path}: {error}") from None
    return network
