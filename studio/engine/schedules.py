"""Learning-rate schedules: the rate for step t of T, given the peak rate η."""

from __future__ import annotations

import math

SCHEDULES = ("constant", "cosine", "onecycle")


def _cosine(start: float, end: float, fraction: float) -> float:
    return end + (start - end) * (1 + math.cos(math.pi * fraction)) / 2


def learning_rate(schedule: str, lr: float, step: int, total_steps: int) -> float:
    """η_t for `schedule`.

    - constant: η.
    - cosine: η·(1 + cos(π t/T))/2, from η down to 0.
    - onecycle (Smith 2018, PyTorch's OneCycleLR): 30 % of the steps rising along a
      cosine from η/25 to η, then falling along a cosine to η/10⁴.
    """
    fraction = min(step / max(total_steps, 1), 1.0)
    if schedule == "constant":
        return lr
    if schedule == "cosine":
        return _cosine(lr, 0.0, fraction)
    if schedule == "onecycle":
        warmup = 0.3
        if fraction < warmup:
            return _cosine(lr / 25, lr, fraction / warmup)
        return _cosine(lr, lr / 25 / 1e4, (fraction - warmup) / (1 - warmup))
    raise ValueError(f"unknown schedule {schedule!r}; choose one of {', '.join(SCHEDULES)}")
