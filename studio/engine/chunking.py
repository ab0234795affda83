"""How the kernels split work over Numba's threads: one contiguous run each."""

from __future__ import annotations

import numba
from numba import njit


def thread_chunks(count: int) -> int:
    """Runs to split `count` items into: one per Numba thread, at most one per item.

    Passed into the kernels as an argument, because Numba's thread count cannot
    be read inside a cached kernel.
    """
    return max(1, min(numba.get_num_threads(), count))


@njit(cache=True, nogil=True)
def chunk_bounds(t, chunks, count):
    """[start, stop) of run `t` of `chunks` over `count` items; runs differ by at most one."""
    return t * count // chunks, (t + 1) * count // chunks
