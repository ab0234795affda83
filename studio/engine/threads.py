"""Keep BLAS single-threaded while Numba's threads run the kernels.

Each conv kernel calls sgemm from inside a Numba `prange`; if OpenBLAS also
spawned threads, the two pools would fight over the cores and run far slower
(docs/performance.md, 'Threads, chunks and alignment'). The engine's hot loops run
inside `single_threaded_blas()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import numba
import scipy.linalg.cython_blas  # noqa: F401  (Numba's np.dot calls this BLAS: load it first)
from threadpoolctl import ThreadpoolController


@cache
def _controller() -> ThreadpoolController:
    """Made once, after scipy's BLAS is loaded, so it limits that library too."""
    return ThreadpoolController()


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    with _controller().limit(limits=1, user_api="blas"):
        yield


def blas_kernels() -> str:
    """Which kernels the BLAS runs, e.g. "OpenBLAS Haswell": its sgemm is the peak the bench
    measures, and OpenBLAS's AVX-512 kernels ("SkylakeX") run it about twice as fast as its
    256-bit ones ("Haswell", which the OPENBLAS_CORETYPE variable can force)."""
    names = sorted({f"{info.get('internal_api', '?')} {info.get('architecture', '?')}"
                    for info in _controller().info() if info.get("user_api") == "blas"})
    return ", ".join(name.replace("openblas", "OpenBLAS") for name in names) or "unknown"


def serial_in_this_thread() -> None:
    """Run this thread's parallel kernels on one thread (Numba's setting is per thread).

    For a GUI thread that only ever runs one image at a time: if it launched
    parallel regions too, a second OpenMP thread team would compete with the
    training thread's and slow training (docs/performance.md, 'Cost of the live panels').
    """
    numba.set_num_threads(1)
