"""Optimisers over the network's flat parameter buffer: one vectorised update per step."""

from __future__ import annotations

import numpy as np


class SGD:
    """SGD with momentum μ (PyTorch's form) and optional Nesterov and weight decay λ.

    g ← g + λ·θ;  v ← μ·v + g;  θ ← θ − η·(g + μ·v) with Nesterov, θ − η·v without.
    """

    def __init__(self, parameters: np.ndarray, gradients: np.ndarray, momentum: float = 0.9,
                 nesterov: bool = True, weight_decay: float = 0.0):
        self.parameters, self.gradients = parameters, gradients
        self.momentum, self.nesterov, self.weight_decay = momentum, nesterov, weight_decay
        self.velocity = np.zeros_like(parameters)

    def step(self, lr: float) -> None:
        # Numba, imported at the first step: the window lists OPTIMIZERS before it needs it
        from .chunking import thread_chunks
        from .optimizer_kernels import sgd_step

        real = self.parameters.dtype.type
        sgd_step(self.parameters, self.gradients, self.velocity, real(lr), real(self.momentum),
                 self.nesterov, real(self.weight_decay), thread_chunks(self.parameters.size))

    def state(self) -> dict[str, np.ndarray]:
        return {"velocity": self.velocity.copy()}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        self.velocity[...] = state["velocity"]


class Adam:
    """Adam (Kingma & Ba) with bias correction; weight decay added to the gradient.

    m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ − η·m̂/(√v̂ + ε).
    """

    def __init__(self, parameters: np.ndarray, gradients: np.ndarray, beta1: float = 0.9,
                 beta2: float = 0.999, eps: float = 1e-8, weight_decay: float = 0.0):
        self.parameters, self.gradients = parameters, gradients
        self.beta1, self.beta2, self.eps, self.weight_decay = beta1, beta2, eps, weight_decay
        self.m = np.zeros_like(parameters)
        self.v = np.zeros_like(parameters)
        self.t = 0
        self._tmp = np.empty_like(parameters)

    def step(self, lr: float) -> None:
        g = self.gradients
        if self.weight_decay:
            g += self.weight_decay * self.parameters
        self.t += 1
        self.m *= self.beta1
        self.m += (1 - self.beta1) * g
        self.v *= self.beta2
        np.multiply(g, g, out=self._tmp)
        self._tmp *= 1 - self.beta2
        self.v += self._tmp
        corrected_lr = lr * np.sqrt(1 - self.beta2**self.t) / (1 - self.beta1**self.t)
        np.sqrt(self.v, out=self._tmp)
        self._tmp += self.eps * np.sqrt(1 - self.beta2**self.t)
        np.divide(self.m, self._tmp, out=self._tmp)
        self._tmp *= corrected_lr
        self.parameters -= self._tmp

    def state(self) -> dict[str, np.ndarray]:
        return {"m": self.m.copy(), "v": self.v.copy(), "t": np.array(self.t)}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        self.m[...], self.v[...], self.t = state["m"], state["v"], int(state["t"])


OPTIMIZERS = ("sgd", "adam")
DEFAULT_LEARNING_RATES = {"sgd": 0.05, "adam": 0.002}


def make_optimizer(name: str, parameters: np.ndarray, gradients: np.ndarray, *,
                   momentum: float = 0.9, nesterov: bool = True,
                   weight_decay: float = 0.0) -> SGD | Adam:
    if name == "sgd":
        return SGD(parameters, gradients, momentum, nesterov, weight_decay)
    if name == "adam":
        return Adam(parameters, gradients, weight_decay=weight_decay)
    raise ValueError(f"unknown optimiser {name!r}; choose one of {', '.join(OPTIMIZERS)}")
