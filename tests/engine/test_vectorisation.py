"""The row copies, the pairs of rows, the Winograd transforms and the 2×2 pool compile to plain
vector loads and stores.

Numba lets a negative index count from the end, so an index it cannot prove
non-negative makes LLVM vectorise a loop with gathers and scatters instead, which
measured 10-16× slower here (see `chunking.known_non_negative`). These kernels
once did; compiling them afresh (the cached ones cannot be inspected) and reading
their LLVM IR keeps them from doing so again. They assert what holds on every target
(NUMBA_CPU_NAME generic, haswell, skylake-avx512, znver4), never a register width.
"""

import platform
import re

import numba
import numpy as np
import pytest
from numba import njit

from studio.engine import pool_kernels
from studio.engine.conv import im2col, pooled_phases, shifted_rows, winograd

f32 = np.float32


def _fresh(kernel, *args, **options):
    """Compile `kernel` for these arguments without running it: any NUMBA_CPU_NAME can be read."""
    fresh = njit(kernel.py_func, **options)  # not from the cache: its code is there to read
    fresh.compile(tuple(numba.typeof(a) for a in args))
    return fresh


def _ir(kernel, *args) -> str:
    options = {k: v for k, v in kernel.targetoptions.items() if k not in ("cache", "nopython")}
    return "\n".join(_fresh(kernel, *args, **options).inspect_llvm().values())


def _vectorised(ir: str) -> bool:
    """Vectors of floats at the width the target prefers (4 on NEON, 8 or 16 on AVX).

    On the baseline `generic` target (SSE2 only) LLVM's cost model keeps some of these loops
    scalar, which is slow but correct; what must hold there too is no gather or scatter.
    """
    return numba.config.CPU_NAME == "generic" or re.search(r"<(4|8|16) x float>", ir) is not None


CASES = {
    "copy_rows": (shifted_rows._copy_rows,
                  (np.ones((3, 25), f32), 0, 5, np.zeros((3, 100), f32), 8, 7, 5, 5)),
    "pad_into": (im2col.pad_into, (np.ones((2, 5, 5), f32), 1, np.zeros((2, 7, 7), f32))),
    "crop_into": (im2col.crop_into, (np.ones((2, 7, 7), f32), 1, np.zeros((2, 5, 5), f32))),
    "pool phases": (pooled_phases._pool_phases,
                    (np.ones((4, 4, 992), f32), np.ones(8, f32), 4, 196, 1, 5,
                     np.zeros(64 * 8 * 196, f32), np.zeros(64 * 8 * 196, np.int8))),
    "phase gradients": (pooled_phases._phase_gradients,
                        (np.ones((64, 8, 14, 14), f32), np.zeros((64, 8, 14, 14), np.int8), 4,
                         1, 5, np.zeros((4, 4, 992), f32))),
    "pair of rows": (shifted_rows._pair_block,
                     (np.ones((6, 4), f32), 4, 0, np.ones((1, 96), f32), np.zeros(4, np.int64),
                      np.arange(4), np.zeros((6, 64), f32), 64, True)),
    "pair of rows' dots": (shifted_rows._pair_dots_block,
                           (np.ones((6, 80), f32), 4, 8, 64, np.ones((1, 96), f32), 0,
                            np.zeros(5, np.int64), np.arange(5), np.zeros((6, 5), f32))),
    "row sums": (shifted_rows.add_row_sums,
                 (np.ones((6, 1000), f32), 8, 896, np.zeros(6, f32))),
    "Winograd input transform": (winograd._input_transform,
                                 (np.ones((16, 16, 32), f32), 7, 7, np.zeros((16, 196, 32), f32),
                                  49, np.zeros((4, 16, 32), f32))),
    "Winograd output transform": (winograd._output_transform,
                                  (np.ones((16, 196, 64), f32), np.ones(64, f32), 7, 7, 49,
                                   np.zeros((64, 14, 14), f32), True,
                                   np.zeros((14, 14, 64), f32))),
    "Winograd output transform, pooled": (winograd._pooled_output_transform,
                                          (np.ones((16, 196, 64), f32), np.ones(64, f32), 7, 49,
                                           14, np.zeros((64, 7, 7), f32),
                                           np.zeros((64, 7, 7), np.int32),
                                           np.zeros((49, 64), f32),
                                           np.zeros((49, 64), np.int32))),
    "maxpool2x2_plane": (pool_kernels.maxpool2x2_plane,
                         (np.ones((2, 900), f32), 1, 0, 30, 28, 14, 14, np.zeros(392, f32),
                          np.zeros(392, np.int32), 196)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rows_are_read_and_written_without_gathers_or_scatters(name):
    kernel, args = CASES[name]
    ir = _ir(kernel, *args)
    assert _vectorised(ir)  # it vectorised...
    assert "masked.gather" not in ir and "masked.scatter" not in ir  # ...with plain accesses


def test_output_gradient_vectorises_its_rows():
    rng = np.random.default_rng(0)
    grad = rng.standard_normal((1, 2, 4, 4)).astype(f32)
    out = np.abs(grad)
    place = im2col.row_places(4, 4, 6)
    ir = _ir(im2col.output_gradient, im2col.RECTIFIED, grad, out,
             np.zeros((1, 2, 4, 4), np.int32), 0, np.zeros((2, 40), f32), 3, place)
    assert _vectorised(ir)  # rows, not a table-driven scatter
    assert "masked.scatter" not in ir and "masked.gather" not in ir


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"),
                    reason="reads x86-64 assembly")
def test_the_pooled_size_columns_are_copied_a_whole_vector_at_a_time():
    fresh = _fresh(pooled_phases._columns, np.ones((4, 300), f32), 15, 2, 14, 14,
                   np.zeros((17, 992), f32), 0)
    asm = "\n".join(fresh.inspect_asm().values())  # the code generator merges the 16 stores
    # Vector moves of whatever width the target prefers (xmm, ymm or zmm: LLVM tunes Intel's
    # AVX-512 cores to 256 bits), never a scalar move and a select per float.
    assert re.search(r"v?movups\s+\S*[xyz]mm", asm)
    assert asm.count("cmov") < 16
