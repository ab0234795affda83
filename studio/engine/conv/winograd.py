"""Winograd F(2×2, 3×3): a 3×3, stride-1 convolution with 2.25× fewer multiplications.

Lavin & Gray (2016). Each 2×2 block of outputs needs a 4×4 tile of input d;
with the kernel g transformed once, U = G g Gᵀ, and the tile V = Bᵀ d B, the
block is Y = Aᵀ [Σ_c U_c ⊙ V_c] A — 16 multiplications per channel instead of
36. Summing over channels for every tile at once turns the 16 element-wise
products into 16 matrix products M_k = V_k · U_k (tiles × channels times
channels × filters), which sgemm runs well when there are enough channels:

    G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]
    Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]]
    Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]]

The transforms work channels-last (a tile's channels, or its filters, side by side), so
each one is a loop over channels or filters that vectorises; and sgemm ran the products
faster in that orientation (docs/performance.md, 'Winograd').

The result equals the cross-correlation `im2col.conv2d_forward` computes,
up to float rounding (tested against it and against PyTorch).

It pays only for wide layers on larger maps (few channels leave sgemm little to do;
small maps leave 2×2 tiles half empty): `plan.use_winograd` encodes where it measured
faster than the path the layer would otherwise take, im2col or shifted rows (figures:
docs/performance.md, 'Winograd').
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..chunking import SerialForOneChunk, chunk_bounds, known_non_negative
from ..pool_kernels import max_of_window
from .im2col import NO_ARGMAX

SAMPLES_PER_BLOCK = 4  # samples whose tiles share one set of 16 GEMMs


@njit(cache=True, nogil=True, inline="always")
def _times_g(a, b, c):
    """G · (a, b, c): a, ½(a + b + c), ½(a − b + c), c."""
    return a, 0.5 * (a + b + c), 0.5 * (a - b + c), c


@njit(cache=True, nogil=True)
def kernel_transform(weight):
    """U[k, c, f] = (G g Gᵀ)[k // 4, k % 4] for each 3×3 kernel g = K[f, c], c < C.

    Each plane U[k] has a spare row or two at the end, never written or read: without them
    the sixteen planes could lie a multiple of 4 KB apart (8 KB for 32 channels and 64
    filters), all in the same sets of the L1 cache, and the stores across them ran 2.5×
    slower. The loop runs along the filters, so that each plane is written in order
    (docs/performance.md, 'Winograd')."""
    filters, channels = weight.shape[0], weight.shape[1]
    spare = 2 if (channels + 1) * filters * weight.itemsize % 4096 == 0 else 1
    u = np.empty((16, channels + spare, filters), dtype=weight.dtype)
    for c in range(channels):
        for f in range(filters):  # G g, column by column
            a0, a1, a2, a3 = _times_g(weight[f, c, 0, 0], weight[f, c, 1, 0], weight[f, c, 2, 0])
            b0, b1, b2, b3 = _times_g(weight[f, c, 0, 1], weight[f, c, 1, 1], weight[f, c, 2, 1])
            d0, d1, d2, d3 = _times_g(weight[f, c, 0, 2], weight[f, c, 1, 2], weight[f, c, 2, 2])
            u[0, c, f], u[1, c, f], u[2, c, f], u[3, c, f] = _times_g(a0, b0, d0)  # · Gᵀ
            u[4, c, f], u[5, c, f], u[6, c, f], u[7, c, f] = _times_g(a1, b1, d1)
            u[8, c, f], u[9, c, f], u[10, c, f], u[11, c, f] = _times_g(a2, b2, d2)
            u[12, c, f], u[13, c, f], u[14, c, f], u[15, c, f] = _times_g(a3, b3, d3)
    return u


@njit(cache=True, nogil=True)
def _pad_channels_last(x, pad, padded):
    """padded[y + p, x + p, c] = X[c, y, x]; the border of `padded` stays zero."""
    channels, height, width = x.shape
    pad = known_non_negative(pad)
    for y in range(height):
        for x_ in range(width):
            target = padded[y + pad, x_ + pad]
            for c in range(channels):
                target[c] = x[c, y, x_]


@njit(cache=True, nogil=True)
def _input_transform(xp, tiles_h, tiles_w, v, first, columns):
    """v[k, first + t, c] = (Bᵀ d B)[k // 4, k % 4] for the 4×4 input tile d of tile t, from
    the channels-last padded sample xp (2·tiles_h + 2, 2·tiles_w + 2, C: whole tiles, so
    an odd output size reads one more row or column of zeros). Bᵀ d is done once per row of
    tiles for the whole row (tiles side by side share columns) into `columns` (4,
    2·tiles_w + 2, C); both steps are loops over channels that vectorise."""
    width, channels = xp.shape[1], xp.shape[2]
    for ty in range(tiles_h):
        y = 2 * ty
        for x in range(width):  # Bᵀ d, column by column: rows d0 − d2, d1 + d2, d2 − d1, d1 − d3
            for c in range(channels):
                d1, d2 = xp[y + 1, x, c], xp[y + 2, x, c]
                columns[0, x, c], columns[1, x, c] = xp[y, x, c] - d2, d1 + d2
                columns[2, x, c], columns[3, x, c] = d2 - d1, d1 - xp[y + 3, x, c]
        for tx in range(tiles_w):
            t, x = known_non_negative(first + ty * tiles_w + tx), 2 * tx
            for r in range(4):  # · B along each row: r0 − r2, r1 + r2, r2 − r1, r1 − r3
                row = columns[r]
                for c in range(channels):
                    c1, c2 = row[x + 1, c], row[x + 2, c]
                    v[4 * r, t, c], v[4 * r + 1, t, c] = row[x, c] - c2, c1 + c2
                    v[4 * r + 2, t, c], v[4 * r + 3, t, c] = c2 - c1, c1 - row[x + 3, c]


@njit(cache=True, nogil=True, inline="always")
def _tile_outputs(m, t, f):
    """The 2×2 outputs Aᵀ m A of tile t for filter f, before the bias: Aᵀ m, column j, is
    m0 + m1 + m2 and m1 − m2 − m3; then · A along each row."""
    s0 = m[0, t, f] + m[4, t, f] + m[8, t, f]
    s1 = m[1, t, f] + m[5, t, f] + m[9, t, f]
    s2 = m[2, t, f] + m[6, t, f] + m[10, t, f]
    s3 = m[3, t, f] + m[7, t, f] + m[11, t, f]
    t0 = m[4, t, f] - m[8, t, f] - m[12, t, f]
    t1 = m[5, t, f] - m[9, t, f] - m[13, t, f]
    t2 = m[6, t, f] - m[10, t, f] - m[14, t, f]
    t3 = m[7, t, f] - m[11, t, f] - m[15, t, f]
    return s0 + s1 + s2, s1 - s2 - s3, t0 + t1 + t2, t1 - t2 - t3


@njit(cache=True, nogil=True)
def _output_transform(m, bias, tiles_h, tiles_w, first, y, rectify, outputs):
    """y[f, 2ty + i, 2tx + j] = (Aᵀ m A)[i, j] + bias[f] for the 4×4 m of tile t, cropped to
    y (and max(·, 0) when rectify). The tiles go channels-last into `outputs` (2·tiles_h,
    2·tiles_w, F), in a loop over filters that vectorises, and from there into y."""
    filters, out_h, out_w = y.shape
    for ty in range(tiles_h):
        for tx in range(tiles_w):
            t, y0, x0 = known_non_negative(first + ty * tiles_w + tx), 2 * ty, 2 * tx
            for f in range(filters):
                y00, y01, y10, y11 = _tile_outputs(m, t, f)
                b = bias[f]
                outputs[y0, x0, f], outputs[y0, x0 + 1, f] = y00 + b, y01 + b
                outputs[y0 + 1, x0, f], outputs[y0 + 1, x0 + 1, f] = y10 + b, y11 + b
    for f in range(filters):
        for oy in range(out_h):
            row, target = outputs[oy], y[f, oy]
            for ox in range(out_w):
                value = row[ox, f]
                target[ox] = (0.0 if value <= 0.0 else value) if rectify else value


@njit(cache=True, nogil=True)
def _pooled_output_transform(m, bias, tiles_w, first, out_w, pooled, argmax, best, where):
    """pooled, argmax (F, H_o // 2, W_o // 2) = the 2×2, stride-2 max-pool of max(Y + b, 0)
    and its arg-max y·W_o + x in Y (`pool_kernels.max_of_window`), as
    `pool_kernels.maxpool2x2_forward` gives, without writing Y: a tile's 2×2 outputs are one
    pool window. Adding b and rectifying commute with the maximum, so the arg-max is that of
    the raw outputs. Where a window's maximum is ≤ −b it may differ from the rectified
    map's (a tie of zeros, whose gradient is zero either way); where two raw outputs differ
    by less than adding b rounds away, from the biased map's (a tie there too, and either
    place is a maximum). The windows go channels-last into `best` and `where` (P_h·P_w, F),
    in a loop over filters that vectorises, and from there into place."""
    filters, pooled_h, pooled_w = pooled.shape
    for py in range(pooled_h):
        for px in range(pooled_w):
            t = known_non_negative(first + py * tiles_w + px)
            corner, q = 2 * py * out_w + 2 * px, py * pooled_w + px
            for f in range(filters):
                y00, y01, y10, y11 = _tile_outputs(m, t, f)
                top, at = max_of_window(y00, y01, y10, y11, out_w)
                best[q, f], where[q, f] = top, corner + at
    for f in range(filters):
        b = bias[f]
        for py in range(pooled_h):
            for px in range(pooled_w):
                q = py * pooled_w + px
                value = best[q, f] + b
                pooled[f, py, px] = 0.0 if value <= 0.0 else value  # NaN stays NaN
                argmax[f, py, px] = where[q, f]


@SerialForOneChunk
@njit(parallel=True, cache=True, nogil=True)
def winograd_conv3x3_forward(x, weight, bias, pad, out, rectify, pool, pooled, argmax,
                             write_out, chunks):
    """`conv2d_forward` for 3×3 kernels with stride 1, by Winograd F(2×2, 3×3).

    x : (N, C, H, W);  weight : (F, C, 3, 3);  bias : (F,);  out : (N, F, H_o, W_o), written
    when write_out (max(Y, 0) when rectify). pool: also the 2×2, stride-2 max-pool of
    max(Y, 0) into pooled and argmax (N, F, H_o // 2, W_o // 2), from the output transform
    (see `_pooled_output_transform` for where its arg-max may differ from a pool of `out`).
    """
    n_samples, channels = x.shape[0], x.shape[1]
    filters, out_h, out_w = out.shape[1], out.shape[2], out.shape[3]
    tiles_h, tiles_w = (out_h + 1) // 2, (out_w + 1) // 2
    tiles = tiles_h * tiles_w
    u = kernel_transform(weight)
    for t in prange(chunks):
        start, stop = chunk_bounds(t, chunks, n_samples)
        padded = np.zeros((2 * tiles_h + 2, 2 * tiles_w + 2, channels), dtype=x.dtype)
        block_tiles = min(SAMPLES_PER_BLOCK, stop - start) * tiles  # few images: less to page in
        v = np.empty((16, block_tiles, channels), dtype=x.dtype)
        m = np.empty((16, block_tiles, filters), dtype=x.dtype)
        columns = np.empty((4, 2 * tiles_w + 2, channels), dtype=x.dtype)
        # the buffers of a transform that does not run are empty
        outputs = np.empty((2 * tiles_h, 2 * tiles_w, filters if write_out else 0),
                           dtype=x.dtype)
        best = np.empty((tiles if pool else 0, filters), dtype=x.dtype)
        where = np.empty((tiles if pool else 0, filters), dtype=np.int32)
        for block in range(start, stop, SAMPLES_PER_BLOCK):
            count = min(SAMPLES_PER_BLOCK, stop - block)
            for i in range(count):
                _pad_channels_last(x[block + i], pad, padded)
                _input_transform(padded, tiles_h, tiles_w, v, i * tiles, columns)
            used = count * tiles  # a last block of fewer images: only their tiles
            for k in range(16):
                np.dot(v[k, :used], u[k, :channels], m[k, :used])
            for i in range(count):
                if write_out:
                    _output_transform(m, bias, tiles_h, tiles_w, i * tiles, out[block + i],
                                      rectify, outputs)
                if pool:
                    _pooled_output_transform(m, bias, tiles_w, i * tiles, out_w,
                                             pooled[block + i], argmax[block + i], best,
                                             where)


def forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, pad: int, out: np.ndarray,
            rectify: bool, chunks: int, pooled: np.ndarray | None = None,
            argmax: np.ndarray | None = None, write_out: bool = True) -> None:
    """`winograd_conv3x3_forward`, pooling when given `pooled` and `argmax` (the pooled map
    is always rectified: the epilogue of conv → ReLU → max-pool); `out` is then left
    unwritten unless `write_out`."""
    pool = pooled is not None and argmax is not None
    winograd_conv3x3_forward(x, weight, bias, pad, out, rectify, pool,
                             pooled if pool else np.empty((1, 1, 1, 1), out.dtype),
                             argmax if pool else NO_ARGMAX, write_out or not pool, chunks)
