"""Keep BLAS single-threaded while Numba's threads run the kernels.

Each conv kernel calls sgemm from inside a Numba `prange`; if OpenBLAS also
spawned threads, the two pools would fight over the cores and run far slower
(docs/performance.md, 'Threads, chunks and alignment'). The engine's hot loops run
inside `single_threaded_blas()`.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import numba
import scipy
from threadpoolctl import ThreadpoolController

SCIPY_BLAS = "scipy.linalg.cython_blas"


def _load_scipy_blas() -> None:
    """Load the BLAS that Numba's `np.dot` calls (it looks the module up by name) without
    importing `scipy.linalg`, whose package import takes ten times as long and brings modules
    the engine never uses (docs/performance.md, 'Start-up'). If the file is not where SciPy's
    wheels, conda and Debian put it, or does not load, the plain import runs instead. (A later
    `import scipy.linalg` works, but does not set the package's `cython_blas` attribute.)"""
    if SCIPY_BLAS in sys.modules:
        return
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = Path(scipy.__path__[0], "linalg", "cython_blas" + suffix)
        if not path.is_file():
            continue
        spec = importlib.util.spec_from_file_location(SCIPY_BLAS, path)
        if spec is None or spec.loader is None:
            break
        module = importlib.util.module_from_spec(spec)
        sys.modules[SCIPY_BLAS] = module
        try:
            spec.loader.exec_module(module)
            return
        except Exception:  # any failure: leave it to the plain import
            del sys.modules[SCIPY_BLAS]
            break
    importlib.import_module(SCIPY_BLAS)


_load_scipy_blas()  # before the controller below is made, so that it limits this BLAS too


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
