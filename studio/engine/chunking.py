"""How the kernels split work: over Numba's threads, one contiguous run each, and into
runs of whole SIMD registers."""

from __future__ import annotations

import types
from typing import Any

import numba
import numpy as np
from numba import njit

#: Rows are padded to a multiple of 16 float32s: a whole number of vectors on every target
#: (4 lanes on NEON and SSE, 8 on AVX2, 16 on AVX-512), so no loop has a scalar remainder.
LANES = 16


def thread_chunks(count: int) -> int:
    """Runs to split `count` items into: one per Numba thread, at most one per item.

    Passed into the kernels as an argument, because Numba's thread count cannot
    be read inside a cached kernel. One item is one run without asking Numba, whose
    answer is slow next to a single image's pass (docs/performance.md, 'Threads, chunks
    and alignment').
    """
    if count <= 1:
        return 1
    return min(numba.get_num_threads(), count)


class SerialForOneChunk:
    """A parallel kernel, and the same code compiled without threads, which a call with one
    chunk runs: called directly, the kernel's last argument is its `chunks`; a kernel that
    splits by other means (`chosen_by_caller`) is called as `kernel.on(chunks)(...)`.

    One chunk (a single image, or a thread set to one thread) leaves nothing to share, yet
    a parallel region still wakes the thread team and waits at its barrier, which costs
    most when another program holds the other core (docs/performance.md, 'Threads, chunks
    and alignment').
    """

    def __init__(self, kernel: Any, chunks_last: bool = True):
        self.parallel = kernel
        self.chunks_last = chunks_last
        py_func = kernel.py_func
        twin = types.FunctionType(py_func.__code__, py_func.__globals__,
                                  f"{py_func.__name__}_serial", py_func.__defaults__,
                                  py_func.__closure__)
        # its own name, so Numba's cache keeps it apart from the parallel build
        twin.__qualname__ = f"{py_func.__qualname__}_serial"
        twin.__doc__ = py_func.__doc__
        self.serial = njit(cache=True, nogil=True)(twin)
        self.py_func = py_func
        self.__doc__ = py_func.__doc__

    def on(self, chunks: int) -> Any:
        """The build to run for `chunks` (`thread_chunks`) runs of work."""
        return self.serial if chunks == 1 else self.parallel

    @classmethod
    def chosen_by_caller(cls, kernel: Any) -> SerialForOneChunk:
        """For a kernel without a `chunks` argument: called directly it runs in parallel."""
        return cls(kernel, chunks_last=False)

    def __call__(self, *args: Any) -> Any:
        return (self.on(args[-1]) if self.chunks_last else self.parallel)(*args)


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
    loop with gathers and scatters, which measured far slower than the plain vector
    loads and stores it uses once `offset` has passed through this (docs/performance.md,
    'Indices Numba can vectorise').
    """
    return max(offset, 0)


@njit(cache=True, nogil=True)
def aligned_rows(rows, columns, like):
    """An uninitialised (rows, columns) array of `like`'s dtype starting on a 64-byte
    boundary, so that with `columns` a whole number of `LANES` every row does.

    Numba aligns its arrays to 32 bytes, and to 64 only for some sizes: an AVX-512
    load or store 32 bytes off touches two cache lines. The shifted rows' outputs,
    loaded and stored once per four taps, measured faster in aligned rows
    (docs/performance.md, 'Threads, chunks and alignment').
    """
    buffer = np.empty(rows * columns + LANES, like.dtype)
    skip = (-(buffer.ctypes.data // like.itemsize)) % LANES
    return buffer[skip:skip + rows * columns].reshape(rows, columns)


@njit(cache=True, nogil=True)
def aligned_zeros(rows, columns, like):
    """`aligned_rows`, zeroed (in a loop: an array expression inside a parallel kernel
    would become a parallel region of its own)."""
    out = aligned_rows(rows, columns, like)
    flat = out.reshape(-1)
    for i in range(flat.size):
        flat[i] = 0.0
    return out


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
