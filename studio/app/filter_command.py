"""The undoable edit that puts a hand-made kernel into a network's filter.

Not a document edit (the architecture stays as it is): it changes the network's
weights through the engine's `set_filter`, the kernels every fresh run starts with,
and the filters training keeps fixed; undo puts all three back as they were.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtGui import QUndoCommand

from studio import engine

Pair = tuple[int, int]


class PutKernel(QUndoCommand):
    """Filter `f` of conv `layer` of `network` becomes `kernel` (zero bias), a fresh run
    starts it so (`starting`, by (layer, filter)), and training keeps it fixed when
    `frozen` (`get_frozen`/`set_frozen` read and write the fixed filters' list)."""

    def __init__(self, network: engine.Network, layer: int, f: int, kernel: np.ndarray,
                 frozen: bool, starting: dict[Pair, np.ndarray], get_frozen: Callable[[], list],
                 set_frozen: Callable[[list], None]):
        super().__init__(f"Put a kernel into filter {f} of layer {layer}")
        self.network, self.pair = network, (layer, f)
        self.kernel, self.frozen = np.array(kernel, dtype=np.float32), frozen
        self.starting, self.get_frozen, self.set_frozen = starting, get_frozen, set_frozen
        self.before: tuple[np.ndarray, np.ndarray] | None = None
        self.starting_before = starting.get(self.pair)
        self.frozen_before = [list(p) for p in get_frozen()]

    def redo(self) -> None:
        self.before = engine.set_filter(self.network, *self.pair, self.kernel)
        if self.before is None:  # no such filter any more: nothing to do or undo
            self.setObsolete(True)
            return
        self.starting[self.pair] = self.kernel
        others = [p for p in self.frozen_before if p != list(self.pair)]
        self.set_frozen(others + [list(self.pair)] if self.frozen else others)

    def undo(self) -> None:
        if self.before is None:
            return
        engine.set_filter(self.network, *self.pair, *self.before)
        if self.starting_before is None:
            self.starting.pop(self.pair, None)
        else:
            self.starting[self.pair] = self.starting_before
        self.set_frozen(self.frozen_before)
