"""Files in and out: architecture JSON, weights, exports. Every write is atomic."""

from .architecture_file import (
    load_preset,
    preset_names,
    read_json,
    resolve_architecture,
    write_architecture,
)
from .atomic import atomic_path, atomic_write_bytes, atomic_write_text
from .checkpoint import read_checkpoint, resume_problem, save_checkpoint
from .errors import FileFormatError, FileWriteError
from .export import EXPORT_FORMATS, export_format, export_model
from .onnx_export import to_onnx, write_onnx
from .output_check import check_outputs
from .project import TRAINING_DEFAULTS, Project, read_project, write_project
from .pytorch_export import write_pytorch
from .pytorch_trainer import FILES as PYTORCH_TRAINER_FILES
from .pytorch_trainer import write_pytorch_trainer
from .resources import resource_files
from .runs import Run
from .timeline import read_timeline, save_timeline, timeline_path
from .torch_sequential import to_torch_sequential
from .weights import load_network, read_weights, save_weights

__all__ = [
    "EXPORT_FORMATS",
    "PYTORCH_TRAINER_FILES",
    "TRAINING_DEFAULTS",
    "FileFormatError",
    "FileWriteError",
    "Project",
    "Run",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_outputs",
    "export_format",
    "export_model",
    "load_network",
    "load_preset",
    "preset_names",
    "read_checkpoint",
    "read_json",
    "read_project",
    "read_timeline",
    "read_weights",
    "resolve_architecture",
    "resource_files",
    "resume_problem",
    "save_checkpoint",
    "save_timeline",
    "save_weights",
    "timeline_path",
    "to_onnx",
    "to_torch_sequential",
    "write_architecture",
    "write_onnx",
    "write_project",
    "write_pytorch",
    "write_pytorch_trainer",
]
