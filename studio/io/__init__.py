"""Files in and out: architecture JSON, weights, exports. Every write is atomic."""

from .architecture_file import (
    load_preset,
    preset_names,
    read_json,
    resolve_architecture,
    write_architecture,
)
from .atomic import atomic_path, atomic_write_bytes, atomic_write_text
from .errors import FileFormatError
from .project import TRAINING_DEFAULTS, Project, read_project, write_project
from .weights import load_network, read_weights, save_weights

__all__ = [
    "TRAINING_DEFAULTS", "FileFormatError", "Project", "atomic_path", "atomic_write_bytes",
    "atomic_write_text",
    "load_network", "load_preset", "preset_names", "read_json", "read_project", "read_weights",
    "resolve_architecture", "save_weights", "write_architecture", "write_project",
]
