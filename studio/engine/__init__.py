"""The from-scratch CNN engine: numpy + Numba, no Qt, no deep-learning framework.

Everything the app, the CLI and the exporters need is importable from here.
"""

from .architecture import (
    FORMAT,
    LAYER_DESCRIPTIONS,
    LAYER_KEYS,
    VERSION,
    Analysis,
    ArchitectureError,
    LayerInfo,
    Problem,
    analyse,
    check,
    output_size,
)
from .conv import BACKWARD_PATHS, FORWARD_PATHS, ConvPlan, Force, PlanError
from .evaluation import Evaluation, as_input, evaluate
from .explanation import Explanation, explain
from .filters import set_filter
from .hand_kernels import KERNEL_PRESETS, apply_kernel, input_gradient_by_full_convolution
from .health import BAD, GOOD, WARNING, LayerHealth, Suggestion, layer_health
from .inspection import Inside, look_inside
from .losses import softmax, softmax_cross_entropy
from .memory import activation_bytes, bytes_needed
from .network import ENGINES, Network, WeightsError
from .optimizers import DEFAULT_LEARNING_RATES, OPTIMIZERS, make_optimizer
from .schedules import SCHEDULES, learning_rate
from .threads import blas_kernels, serial_in_this_thread, single_threaded_blas
from .trainer import (
    BatchEnd,
    EpochEnd,
    Event,
    Snapshot,
    TrainConfig,
    Trainer,
    TrainingDiverged,
    TrainResult,
)
from .warmup import compile_kernels

__all__ = [
    "BACKWARD_PATHS", "BAD", "DEFAULT_LEARNING_RATES", "ENGINES", "FORMAT", "FORWARD_PATHS",
    "GOOD", "KERNEL_PRESETS", "LAYER_DESCRIPTIONS", "LAYER_KEYS", "OPTIMIZERS", "SCHEDULES",
    "VERSION", "WARNING", "Analysis", "ArchitectureError", "BatchEnd", "ConvPlan", "EpochEnd",
    "Evaluation", "Event", "Explanation", "Force", "Inside", "LayerHealth", "LayerInfo",
    "Network", "PlanError", "Problem", "Snapshot", "Suggestion", "TrainConfig", "TrainResult",
    "Trainer", "TrainingDiverged", "WeightsError", "activation_bytes", "analyse", "apply_kernel",
    "as_input", "blas_kernels", "bytes_needed", "check", "compile_kernels", "evaluate", "explain",
    "input_gradient_by_full_convolution", "layer_health", "learning_rate", "look_inside",
    "make_optimizer", "output_size", "serial_in_this_thread", "set_filter",
    "single_threaded_blas", "softmax",
    "softmax_cross_entropy",
]
