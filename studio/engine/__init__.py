"""The from-scratch CNN engine: numpy + Numba, no Qt, no deep-learning framework.

Everything the app, the CLI and the exporters need is importable from here. Each
name is imported from its module on first use, so that checking an architecture
(what the window does at start-up) does not wait for Numba, which only the
layers, losses and kernels need.
"""

from .lazy_exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(__name__, {
    "architecture": ("FORMAT", "LAYER_DESCRIPTIONS", "LAYER_KEYS", "VERSION", "Analysis",
                     "ArchitectureError", "LayerInfo", "Problem", "analyse", "check",
                     "output_size"),
    "conv": ("BACKWARD_PATHS", "FORWARD_PATHS", "ConvPlan", "Force", "PlanError"),
    "evaluation": ("Evaluation", "as_input", "evaluate"),
    "explanation": ("Explanation", "explain"),
    "filters": ("set_filter",),
    "hand_kernels": ("KERNEL_PRESETS", "apply_kernel", "input_gradient_by_full_convolution"),
    "health": ("BAD", "GOOD", "WARNING", "LayerHealth", "Suggestion", "layer_health"),
    "inspection": ("Inside", "look_inside"),
    "losses": ("softmax", "softmax_cross_entropy"),
    "memory": ("activation_bytes", "bytes_needed"),
    "network": ("ENGINES", "Network", "WeightsError"),
    "optimizers": ("DEFAULT_LEARNING_RATES", "OPTIMIZERS", "make_optimizer"),
    "schedules": ("SCHEDULES", "learning_rate"),
    "threads": ("blas_kernels", "serial_in_this_thread", "single_threaded_blas"),
    "trainer": ("BatchEnd", "EpochEnd", "Event", "Snapshot", "TrainConfig", "Trainer",
                "TrainingDiverged", "TrainResult"),
    "warmup": ("compile_kernels",),
})
