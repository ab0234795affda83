"""Files in and out: architecture JSON, weights, exports. Every write is atomic.

Each name is imported from its module on first use, so that reading a preset does not
wait for the engine's kernels, which reading weights needs.
"""

from studio.engine.lazy_exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(__name__, {
    "architecture_file": ("load_preset", "preset_names", "read_json", "resolve_architecture",
                          "write_architecture"),
    "atomic": ("atomic_path", "atomic_write_bytes", "atomic_write_text"),
    "checkpoint": ("read_checkpoint", "resume_problem", "save_checkpoint"),
    "errors": ("FileFormatError", "FileWriteError"),
    "export": ("EXPORT_FORMATS", "export_files", "export_format", "export_model"),
    "onnx_export": ("to_onnx", "write_onnx"),
    "output_check": ("check_outputs",),
    "project": ("TRAINING_DEFAULTS", "Project", "project_files", "read_project",
                "write_project"),
    "pytorch_export": ("write_pytorch",),
    "pytorch_trainer": ("FILES as PYTORCH_TRAINER_FILES", "write_pytorch_trainer"),
    "resources": ("resource_files",),
    "runs": ("Run",),
    "timeline": ("read_timeline", "save_timeline", "timeline_path"),
    "torch_sequential": ("to_torch_sequential",),
    "weights": ("load_network", "read_weights", "save_weights"),
})
