"""The convolution: the textbook loops, one module per fast path, and the plan that chooses.

- `reference`: the paper's equations as plain loops (each docstring is its equation).
- `im2col`, `shifted_rows`, `pooled_phases`, `winograd`, `pooled_scatter`: the fast paths,
  each computing those equations in another order (see `docs/engine.md`).
- `plan`: the only place that picks a path for a layer, and says why.
"""

from .plan import (
    ANY_WINDOW,
    BACKWARD_PATHS,
    FORWARD_PATHS,
    IM2COL,
    POOLED_PHASES,
    POOLED_SCATTER,
    REFERENCE,
    SHIFTED_ROWS,
    UNROLLED_2X2,
    WINOGRAD,
    ConvPlan,
    DensePlan,
    Force,
    Fused,
    Plan,
    PlanError,
    PoolPlan,
    plan_layers,
)

__all__ = [
    "ANY_WINDOW", "BACKWARD_PATHS", "FORWARD_PATHS", "IM2COL", "POOLED_PHASES",
    "POOLED_SCATTER", "REFERENCE", "SHIFTED_ROWS", "UNROLLED_2X2", "WINOGRAD", "ConvPlan",
    "DensePlan", "Force", "Fused", "Plan", "PlanError", "PoolPlan", "plan_layers",
]
