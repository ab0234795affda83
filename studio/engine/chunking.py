"""How the kernels split work: over Numba's threads, one contiguous run each, and into
runs of whole SIMD registers."""

from __future__ import annotations

import numba
from numba import njit

LANES = 16  # float32 lanes of an AVX-512 register: loops this long have no scalar remainder


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


@njit(cache=True, nogil=True)
def round_up(count, unit):
    """`count` rounded up to a whole number of `unit`s (blocks of a micro-kernel, SIMD lanes)."""
    return -(-count // unit) * unit


@njit(cache=True, nogil=True, inline="always")
def known_non_negative(offset):
    """`offset`, which the caller knows is ≥ 0, in a form the compiler knows is too.

    Numba lets a negative index count from the end, so `a[offset + i]` compiles to a
    select per element unless it can prove `offset + i` ≥ 0. LLVM then vectorises the
    loop with gathers and scatters, which measured 10-16× slower here than the plain
    vector loads and stores it uses once `offset` has passed through this.
    """
    return max(offset, 0)


@njit(cache=True, nogil=True)
def sum_over_chunks(partial):
    """partial[0] + partial[1] + …: the per-thread sums of a parallel kernel added up.

    In scalar loops, in a function of its own: an array expression written inside a
    parallel kernel would become a parallel region of its own for each element.
    """
    flat = partial.reshape(partial.shape[0], -1)
    total = flat[0].copy()
    for chunk in range(1, flat.shape[0]):
        for i in range(total.size):
            total[i] += flat[chunk, i]
    return total.reshape(partial.shape[1:])
