"""Winograd F(2×2, 3×3): a 3×3, stride-1 convolution with 2.25× fewer multiplications.

Lavin & Gray (2016). Each 2×2 block of outputs needs a 4×4 tile of input d;
with the kernel g transformed once, U = G g Gᵀ, and the tile V = Bᵀ d B, the
block is Y = Aᵀ [Σ_c U_c ⊙ V_c] A — 16 multiplications per channel instead of
36. Summing over channels for every tile at once turns the 16 element-wise
products into 16 matrix products M_k = U_k · V_k (filters × channels times
channels × tiles), which sgemm runs well when there are enough channels:

    G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]
    Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]]
    Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]]

The result equals the cross-correlation `im2col.conv2d_forward` computes,
up to float rounding (tested against it and against PyTorch).

It pays only for wide layers on larger maps (few channels leave sgemm little to do;
small maps leave 2×2 tiles half empty): `plan.use_winograd` encodes where it measured
faster than im2col (figures: docs/performance.md, 'Winograd').
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..chunking import SerialForOneChunk, chunk_bounds, known_non_negative
from .im2col import NO_ARGMAX, pad_into

SAMPLES_PER_BLOCK = 4  # samples whose tiles share one set of 16 GEMMs

@njit(cache=True, nogil=True)
def kernel_transform(weight):
    """U[k, f, c] = (G g Gᵀ)[k // 4, k % 4] for each 3×3 kernel g = K[f, c]."""
    filters, channels = weight.shape[0], weight.shape[1]
    u = np.empty((16, filters, channels), dtype=weight.dtype)
    gg = np.empty((4, 3), dtype=weight.dtype)  # G g
    for f in range(filters):
        for c in range(channels):
            g = weight[f, c]
            for j in range(3):
                gg[0, j] = g[0, j]
                gg[1, j] = 0.5 * (g[0, j] + g[1, j] + g[2, j])
                gg[2, j] = 0.5 * (g[0, j] - g[1, j] + g[2, j])
                gg[3, j] = g[2, j]
            for i in range(4):  # (G g) Gᵀ
                u[4 * i + 0, f, c] = gg[i, 0]
                u[4 * i + 1, f, c] = 0.5 * (gg[i, 0] + gg[i, 1] + gg[i, 2])
                u[4 * i + 2, f, c] = 0.5 * (gg[i, 0] - gg[i, 1] + gg[i, 2])
                u[4 * i + 3, f, c] = gg[i, 2]
    return u


@njit(cache=True, nogil=True)
def _input_transform(xp, tiles_h, tiles_w, v, first):
    """v[k, c, first + t] = (Bᵀ d B)[k // 4, k % 4] for the 4×4 input tile d of tile t.

    The inner loop runs along a row of tiles, so each of the 16 outputs is a
    contiguous run and the loop vectorises.
    """
    channels = xp.shape[0]
    for c in range(channels):
        for ty in range(tiles_h):
            r0, r1 = xp[c, 2 * ty], xp[c, 2 * ty + 1]
            r2, r3 = xp[c, 2 * ty + 2], xp[c, 2 * ty + 3]
            base = first + ty * tiles_w
            for tx in range(tiles_w):
                x0 = 2 * tx
                # Bᵀ d, column by column: rows d0 − d2, d1 + d2, d2 − d1, d1 − d3
                a0, a1, a2, a3 = r0[x0] - r2[x0], r0[x0 + 1] - r2[x0 + 1], \
                    r0[x0 + 2] - r2[x0 + 2], r0[x0 + 3] - r2[x0 + 3]
                b0, b1, b2, b3 = r1[x0] + r2[x0], r1[x0 + 1] + r2[x0 + 1], \
                    r1[x0 + 2] + r2[x0 + 2], r1[x0 + 3] + r2[x0 + 3]
                e0, e1, e2, e3 = r2[x0] - r1[x0], r2[x0 + 1] - r1[x0 + 1], \
                    r2[x0 + 2] - r1[x0 + 2], r2[x0 + 3] - r1[x0 + 3]
                h0, h1, h2, h3 = r1[x0] - r3[x0], r1[x0 + 1] - r3[x0 + 1], \
                    r1[x0 + 2] - r3[x0 + 2], r1[x0 + 3] - r3[x0 + 3]
                column = base + tx
                # · B along each row: r0 − r2, r1 + r2, r2 − r1, r1 − r3
                v[0, c, column], v[1, c, column] = a0 - a2, a1 + a2
                v[2, c, column], v[3, c, column] = a2 - a1, a1 - a3
                v[4, c, column], v[5, c, column] = b0 - b2, b1 + b2
                v[6, c, column], v[7, c, column] = b2 - b1, b1 - b3
                v[8, c, column], v[9, c, column] = e0 - e2, e1 + e2
                v[10, c, column], v[11, c, column] = e2 - e1, e1 - e3
                v[12, c, column], v[13, c, column] = h0 - h2, h1 + h2
                v[14, c, column], v[15, c, column] = h2 - h1, h1 - h3


@njit(cache=True, nogil=True, inline="always")
def _tile_outputs(m, f, column):
    """The 2×2 outputs Aᵀ m A of one tile, before the bias: Aᵀ m, column j, is m0 + m1 + m2
    and m1 − m2 − m3; then · A along each row."""
    s0 = m[0, f, column] + m[4, f, column] + m[8, f, column]
    s1 = m[1, f, column] + m[5, f, column] + m[9, f, column]
    s2 = m[2, f, column] + m[6, f, column] + m[10, f, column]
    s3 = m[3, f, column] + m[7, f, column] + m[11, f, column]
    t0 = m[4, f, column] - m[8, f, column] - m[12, f, column]
    t1 = m[5, f, column] - m[9, f, column] - m[13, f, column]
    t2 = m[6, f, column] - m[10, f, column] - m[14, f, column]
    t3 = m[7, f, column] - m[11, f, column] - m[15, f, column]
    return s0 + s1 + s2, s1 - s2 - s3, t0 + t1 + t2, t1 - t2 - t3


@njit(cache=True, nogil=True)
def _output_transform(m, bias, tiles_h, tiles_w, first, y, rectify, rows):
    """y[f, 2ty + a, 2tx + b] = (Aᵀ m A)[a, b] + b[f] for the 4×4 m of tile t, cropped to y
    (and max(·, 0) when rectify). `rows` (2, 2·tiles) holds one filter's tiles as output
    rows side by side, so that each loop runs over all of a filter's tiles or a whole row
    and vectorises (one row of tiles is too short a loop)."""
    filters, out_h, out_w = y.shape
    first = known_non_negative(first)
    for f in range(filters):
        b = bias[f]
        for t in range(tiles_h * tiles_w):
            y00, y01, y10, y11 = _tile_outputs(m, f, first + t)
            rows[0, 2 * t], rows[0, 2 * t + 1] = y00 + b, y01 + b
            rows[1, 2 * t], rows[1, 2 * t + 1] = y10 + b, y11 + b
        for ty in range(tiles_h):
            for a in range(min(2, out_h - 2 * ty)):
                source, target = known_non_negative(2 * ty * tiles_w), y[f, 2 * ty + a]
                for ox in range(out_w):
                    value = rows[a, source + ox]
                    target[ox] = (0.0 if value <= 0.0 else value) if rectify else value


@njit(cache=True, nogil=True)
def _pooled_output_transform(m, bias, tiles_w, first, out_w, pooled, argmax, best, where):
    """pooled, argmax (F, H_o // 2, W_o // 2) = the 2×2, stride-2 max-pool of max(Y + b, 0)
    and its arg-max y·W_o + x in Y (ties to the first in reading order), as
    `pool_kernels.maxpool2x2_forward` gives, without writing Y: a tile's 2×2 outputs are one
    pool window. Adding b and rectifying commute with the maximum; where a window's maximum
    is ≤ −b its arg-max may differ from the rectified map's (a tie of zeros), but its
    gradient is zero either way. `best` and `where` (tiles,) hold one filter's windows."""
    filters, pooled_h, pooled_w = pooled.shape
    first = known_non_negative(first)
    for f in range(filters):
        for t in range(best.size):
            y00, y01, y10, y11 = _tile_outputs(m, f, first + t)
            top, at = y00, 0
            if y01 > top:
                top, at = y01, 1
            if y10 > top:
                top, at = y10, out_w
            if y11 > top:
                top, at = y11, out_w + 1
            best[t], where[t] = top, at
        b = bias[f]
        for py in range(pooled_h):
            for px in range(pooled_w):
                t = known_non_negative(py * tiles_w + px)
                value = best[t] + b
                pooled[f, py, px] = 0.0 if value <= 0.0 else value  # NaN stays NaN
                argmax[f, py, px] = 2 * py * out_w + 2 * px + where[t]


@SerialForOneChunk
@njit(parallel=True, cache=True, nogil=True)
def winograd_conv3x3_forward(x, weight, bias, pad, out, rectify, pool, pooled, argmax,
                             write_out, chunks):
    """`conv2d_forward` for 3×3 kernels with stride 1, by Winograd F(2×2, 3×3).

    x : (N, C, H, W);  weight : (F, C, 3, 3);  bias : (F,);  out : (N, F, H_o, W_o), written
    when write_out. pool (with rectify): also max-pool 2×2 with stride 2 into pooled and
    argmax (N, F, H_o // 2, W_o // 2) in the output transform, as
    `pool_kernels.maxpool2x2_forward` would.
    """
    n_samples, channels = x.shape[0], x.shape[1]
    filters, out_h, out_w = out.shape[1], out.shape[2], out.shape[3]
    tiles_h, tiles_w = (out_h + 1) // 2, (out_w + 1) // 2
    tiles = tiles_h * tiles_w
    u = kernel_transform(weight)
    for t in prange(chunks):
        start, stop = chunk_bounds(t, chunks, n_samples)
        padded = np.zeros((channels, 2 * tiles_h + 2, 2 * tiles_w + 2), dtype=x.dtype)
        v = np.empty((16, channels, SAMPLES_PER_BLOCK * tiles), dtype=x.dtype)
        m = np.empty((16, filters, SAMPLES_PER_BLOCK * tiles), dtype=x.dtype)
        rows = np.empty((2, 2 * tiles), dtype=x.dtype)
        best = np.empty(tiles, dtype=x.dtype)
        where = np.empty(tiles, dtype=np.int32)
        for block in range(start, stop, SAMPLES_PER_BLOCK):
            count = min(SAMPLES_PER_BLOCK, stop - block)
            for i in range(count):
                pad_into(x[block + i], pad, padded)
                _input_transform(padded, tiles_h, tiles_w, v, i * tiles)
            for k in range(16):
                np.dot(u[k], v[k], m[k])
            for i in range(count):
                if write_out:
                    _output_transform(m, bias, tiles_h, tiles_w, i * tiles, out[block + i],
                                      rectify, rows)
                if pool:
                    _pooled_output_transform(m, bias, tiles_w, i * tiles, out_w,
                                             pooled[block + i], argmax[block + i], best,
                                             where)


def forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, pad: int, out: np.ndarray,
            rectify: bool, chunks: int, pooled: np.ndarray | None = None,
            argmax: np.ndarray | None = None, write_out: bool = True) -> None:
    """`winograd_conv3x3_forward`, pooling (after the ReLU) when given `pooled` and
    `argmax`; `out` is then left unwritten unless `write_out`."""
    pool = pooled is not None and argmax is not None
    winograd_conv3x3_forward(x, weight, bias, pad, out, rectify, pool,
                             pooled if pool else np.empty((1, 1, 1, 1), out.dtype),
                             argmax if pool else NO_ARGMAX, write_out or not pool, chunks)
