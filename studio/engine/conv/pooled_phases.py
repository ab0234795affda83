"""Stride-1 conv → ReLU → 2×2 max-pool, computed at the pooled resolution, phase by phase.

A 2×2, stride-2 max-pool takes the maximum of one output from each phase (r, s) of Y:
Y_rs[i, j] = Y[2i + r, 2j + s]. Each phase is itself a convolution, of subsampled shifts
of the zero-padded input X_p, with the same kernel:

    Y_rs[f, i, j] = Σ_(c,k,l) K[f, c, k, l] · X_p[c, 2(i + m) + a, 2(j + n) + b]
    with r + k = 2m + a and s + l = 2n + b  (a, b ∈ {0, 1}),

so every term reads one of the "pooled-size columns"
x_abmn[c, i, j] = X_p[c, 2(i + m) + a, 2(j + n) + b], a map as large as the pooled one
(16 of them per channel for a 3×3 kernel, 36 for 5×5). Stored flat, one run per column,
`shifted_rows.shifted_rows` sums them into the four phases (a 3×3 kernel's nine
taps in one pass: `shifted_rows_in_nines`), and the pool is the
elementwise maximum of four contiguous runs, the windows' four values side by side in
SIMD lanes. Everything stays in the pooled layout: no row has columns that are not read,
and the pooled map is written as it is stored. Bias and ReLU follow the maximum (they
commute with it).

In place of the pool's arg-max (a flat int32 index per window) the forward pass leaves a
"phase code" per window, one byte: the phase rs that won, or −1 where the ReLU stopped
the maximum. A first layer's backward pass reads only it and dL/dP, 5 bytes a window
where the arg-max, the pooled map and dL/dP made 12: these arrays are long out of cache
by then (`argmax_from_codes` makes the arg-max for the other backward kernels).

The backward pass from the pool's gradient goes the same way. dL/dY is zero but at each
window's arg-max, where it is dL/dP when the ReLU passed the maximum; per phase,
G_rs[f, i, j] is dL/dP[f, i, j] where code rs won and 0 elsewhere (four runs built without
a scatter), and dL/dK[f, c, k, l] = Σ_rs G_rs[f] · x_abmn[c]: dot products of contiguous
runs (`shifted_row_dots`), with a run of ones for dL/db. dL/dX is not done here: these
kernels serve first layers, whose input is the image.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..chunking import (
    LANES,
    SerialForOneChunk,
    chunk_bounds,
    known_non_negative,
    round_up,
    sum_over_chunks,
)
from .shifted_rows import (
    BLOCK,
    DOT_TAPS,
    NINE,
    padded_weights,
    shifted_row_dots,
    shifted_rows,
    shifted_rows_in_nines,
)

# About how long the runs of pooled-size maps are made: 16 samples of the wide net's first
# conv (3,136 floats), which measured faster than the shifted-row kernels' `ROW_FLOATS`
# (figures: docs/performance.md, 'Phase kernels').
RUN_FLOATS = 3200
PHASES = 4  # rs = 2r + s for (r, s) = (0, 0), (0, 1), (1, 0), (1, 1): reading order
STOPPED = np.int8(-1)  # the phase code of a window whose maximum the ReLU stopped
# the codes as int8 constants, so that the kernels compare them in byte-wide SIMD lanes
CODE_0, CODE_1, CODE_2, CODE_3 = np.int8(0), np.int8(1), np.int8(2), np.int8(3)

@njit(cache=True, nogil=True)
def _phase_planes(x, pad, pitch, planes):
    """planes[c·4 + a·2 + b, u·P + v] = X_p[c, 2u + a, 2v + b] with P = pitch, for every
    pixel of X; the padding stays as it is (zero)."""
    channels, height, width = x.shape
    pad = known_non_negative(pad)
    for c in range(channels):
        for y in range(height):
            a, u = (y + pad) % 2, (y + pad) // 2
            for b in range(2):
                first = (b - pad) % 2  # the first x with (x + pad) mod 2 = b
                row = known_non_negative(u * pitch + (first + pad) // 2)
                plane = c * PHASES + a * 2 + b
                for v in range((width - first + 1) // 2):
                    planes[plane, row + v] = x[c, y, first + 2 * v]


@njit(cache=True, nogil=True, inline="always")
def _copy_lanes(source, s, target, t):
    """target[t:t + 16] = source[s:s + 16], all sixteen loads before any store: in that order
    the code generator makes one 64-byte load and store of them. Written as a loop of 16,
    LLVM cannot tell the arrays apart and copies float by float; as a loop of unknown
    length it checks their overlap on every call. The offsets pass through
    `known_non_negative`, without which each float got a select for a negative index
    (docs/performance.md, 'Phase kernels')."""
    s, t = known_non_negative(s), known_non_negative(t)
    (v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15) = (
        source[s], source[s + 1], source[s + 2], source[s + 3], source[s + 4], source[s + 5],
        source[s + 6], source[s + 7], source[s + 8], source[s + 9], source[s + 10],
        source[s + 11], source[s + 12], source[s + 13], source[s + 14], source[s + 15])
    target[t], target[t + 1], target[t + 2], target[t + 3] = v0, v1, v2, v3
    target[t + 4], target[t + 5], target[t + 6], target[t + 7] = v4, v5, v6, v7
    target[t + 8], target[t + 9], target[t + 10], target[t + 11] = v8, v9, v10, v11
    target[t + 12], target[t + 13], target[t + 14], target[t + 15] = v12, v13, v14, v15


@njit(cache=True, nogil=True)
def _columns(planes, pitch, shifts, pooled_h, pooled_w, columns, at):
    """columns[(p·shifts + m)·shifts + n, at + i·W_q + j] = planes[p, (i + m)·P + j + n]:
    the pooled-size columns x_abmn of one sample (p = c·4 + a·2 + b), m, n < shifts.

    Rows go over in whole vectors; a row's last, partial vector spills into the start of
    the next row, which then overwrites it (the last row of a map, and rows shorter than
    half a vector, are copied float by float)."""
    whole = pooled_w // LANES * LANES
    spills = pooled_w > whole and pooled_w >= LANES // 2
    for plane in range(planes.shape[0]):
        source = planes[plane]
        for m in range(shifts):
            for n in range(shifts):
                target = columns[(plane * shifts + m) * shifts + n]
                for i in range(pooled_h):
                    s = known_non_negative((i + m) * pitch + n)
                    t = known_non_negative(at + i * pooled_w)
                    for x in range(0, whole, LANES):
                        _copy_lanes(source, s + x, target, t + x)
                    if spills and i < pooled_h - 1:
                        _copy_lanes(source, s + whole, target, t + whole)
                    else:
                        for x in range(whole, pooled_w):
                            target[t + x] = source[s + x]


@njit(cache=True, nogil=True)
def _phase_taps(channels, kernel, tap_count, zeros):
    """column_of[rs, t]: the pooled-size column that tap t = (c, k, l) reads for phase rs
    (see the module docstring). Taps past C·f·f (rounding the count up to a block) read the
    row of zeros `zeros`."""
    shifts = kernel // 2 + 1
    column_of = np.full((PHASES, tap_count), zeros, np.int64)
    for rs in range(PHASES):
        r, s = rs // 2, rs % 2
        for c in range(channels):
            for k in range(kernel):
                for l_ in range(kernel):
                    plane = c * PHASES + (r + k) % 2 * 2 + (s + l_) % 2
                    column_of[rs, (c * kernel + k) * kernel + l_] = (
                        (plane * shifts + (r + k) // 2) * shifts + (s + l_) // 2)
    return column_of


@njit(cache=True, nogil=True)
def _layout(height, width, kernel, pad, size, group):
    """(pitch, shifts, plane_length, wide): the phase planes' row length (half the padded
    width), how many shifts m, n the pooled-size columns take, how long a phase plane is
    (with what the spilled copies read past it), and how long a run of `group` samples'
    maps of `size` is, in whole SIMD vectors."""
    pitch = (width + 2 * pad + 1) // 2
    return (pitch, kernel // 2 + 1, ((height + 2 * pad + 1) // 2 + 1) * pitch + 2 * LANES,
            round_up(group * size, LANES))


@njit(cache=True, nogil=True)
def _zero_from(rows, start):
    """rows[:, start:] = 0, as loops: an array expression inside a parallel kernel would
    become a parallel region of its own."""
    for r in range(rows.shape[0]):
        for q in range(start, rows.shape[1]):
            rows[r, q] = 0.0


@njit(cache=True, nogil=True)
def _pool_phases(yph, bias, block, size, first, count, pooled, codes):
    """Filters block, block + 1, … of samples first … first + count − 1 of the flat pooled
    and codes, from the phases yph[rs, f − block, g·S + ·] (S = H_q·W_q = size):
    P = max(max over rs + b[f], 0), and the phase code, ties to the first phase in reading
    order.

    On views of one map each: vectorised, where indexing the whole arrays (whose overlap
    the compiler checks and finds it cannot rule out) was slower (docs/performance.md,
    'Phase kernels')."""
    filters = bias.size
    for g in range(count):
        at = g * size
        for f in range(block, min(block + yph.shape[1], filters)):
            b, out = bias[f], known_non_negative(((first + g) * filters + f) * size)
            y0, y1 = yph[0, f - block, at:at + size], yph[1, f - block, at:at + size]
            y2, y3 = yph[2, f - block, at:at + size], yph[3, f - block, at:at + size]
            maxima, code = pooled[out:out + size], codes[out:out + size]
            for p in range(size):
                best, won = y0[p], CODE_0
                if y1[p] > best:
                    best, won = y1[p], CODE_1
                if y2[p] > best:
                    best, won = y2[p], CODE_2
                if y3[p] > best:
                    best, won = y3[p], CODE_3
                best += b
                maxima[p] = 0.0 if best <= 0.0 else best  # NaN stays NaN
                code[p] = won if best > 0.0 else STOPPED


@SerialForOneChunk
@njit(parallel=True, cache=True, nogil=True)
def conv_relu_pool_forward(x, weight, bias, pad, pooled, codes, filter_rows, tap_count,
                           group, chunks):
    """P = maxpool2x2(max(X ⋆ K + b, 0)), stride 1, zero padding `pad`, without Y itself.

    pooled : (N, F, H_o // 2, W_o // 2), as `pool_kernels.maxpool2x2_forward` would write it
        from Y = max(X ⋆ K + b, 0);  codes : the same shape, int8: the phase codes.
    filter_rows, tap_count : F rounded up to whole blocks; C·f·f as `_forward_tap_count`
        gives it.
    group : samples laid along one run, a pooled map apart (`samples_per_run`).
    """
    n_samples, channels, height, width = x.shape
    kernel = weight.shape[2]
    pooled_h, pooled_w = pooled.shape[2], pooled.shape[3]
    size = pooled_h * pooled_w
    pitch, shifts, plane_length, wide = _layout(height, width, kernel, pad, size, group)
    zeros = channels * PHASES * shifts * shifts  # the row of zeros after the columns
    weights = padded_weights(weight, filter_rows, tap_count)
    column_of, offsets = _phase_taps(channels, kernel, tap_count, zeros), np.zeros(tap_count,
                                                                                    np.int64)
    for t in prange(chunks):
        planes = np.zeros((channels * PHASES, plane_length), dtype=x.dtype)
        # each group writes its maps' runs; what lies past them, and the padding taps' row,
        # are zeroed once (zeroing all of it each call measurably slowed the pass)
        columns = np.empty((zeros + 1, wide), dtype=x.dtype)
        _zero_from(columns, group * size)
        _zero_from(columns[zeros:], 0)
        yph = np.empty((PHASES, BLOCK, wide), dtype=x.dtype)  # one block of filters
        flat_pooled, flat_codes = pooled.reshape(-1), codes.reshape(-1)
        start, stop = chunk_bounds(t, chunks, n_samples)
        for first in range(start, stop, group):
            count = min(group, stop - first)  # a short last group leaves stale columns
            for g in range(count):            # behind it, whose outputs are not read
                _phase_planes(x[first + g], pad, pitch, planes)
                _columns(planes, pitch, shifts, pooled_h, pooled_w, columns, g * size)
            for block in range(0, filter_rows, BLOCK):  # pooled while its phases are in cache
                rows = weights[block:block + BLOCK]
                for rs in range(PHASES):
                    if tap_count % NINE == 0:
                        shifted_rows_in_nines(rows, columns, column_of[rs], offsets, yph[rs])
                    else:
                        shifted_rows(rows, columns, column_of[rs], offsets, yph[rs])
                _pool_phases(yph, bias, block, size, first, count, flat_pooled, flat_codes)


@njit(cache=True, nogil=True)
def _phase_gradients(grad_pooled, codes, block, first, count, gph):
    """gph[rs, f − block, g·S + ·] = dL/dP[first + g, f] where the window's code is rs, else
    0, for filters block, block + 1, …. On views of one map each, as `_pool_phases`."""
    filters, size = grad_pooled.shape[1], grad_pooled.shape[2] * grad_pooled.shape[3]
    given, code = grad_pooled.reshape(-1), codes.reshape(-1)
    for g in range(count):
        at = g * size
        for f in range(block, min(block + gph.shape[1], filters)):
            source = known_non_negative(((first + g) * filters + f) * size)
            dp, won = given[source:source + size], code[source:source + size]
            g0, g1 = gph[0, f - block, at:at + size], gph[1, f - block, at:at + size]
            g2, g3 = gph[2, f - block, at:at + size], gph[3, f - block, at:at + size]
            for p in range(size):
                value = dp[p]
                g0[p] = value if won[p] == CODE_0 else 0.0
                g1[p] = value if won[p] == CODE_1 else 0.0
                g2[p] = value if won[p] == CODE_2 else 0.0
                g3[p] = value if won[p] == CODE_3 else 0.0


@njit(cache=True, nogil=True)
def _read_lines_in_order(flat, start, stop):
    """Σ of one element per 64-byte line of flat[start:stop], read in order: a software
    prefetch by other means (Numba offers none). The blocks of `_phase_gradients` read a
    group's dL/dP and codes in runs of 784 and 196 bytes, 25 KB apart: too short for the
    hardware prefetcher, and out of cache by then. Read in order first, the lines stream
    in, and the backward pass measured faster (docs/performance.md, 'Phase kernels'). The
    sum is kept only so that the reads are not optimised away."""
    step = max(1, 64 // flat.itemsize)
    total = 0.0
    for i in range(start, stop, step):
        total += flat[i]
    return total


@njit(parallel=True, cache=True, nogil=True)
def conv_relu_pool_backward(x, weight, grad_pooled, codes, pad, grad_weight, grad_bias,
                            filter_rows, tap_count, group, chunks):
    """dL/dK and dL/db of P = maxpool2x2(max(X ⋆ K + b, 0)) from dL/dP (no dL/dX).

    codes : what `conv_relu_pool_forward` wrote;  grad_weight, grad_bias overwritten.
    tap_count : C·f·f + 1 (the bias's tap) rounded up to whole `DOT_TAPS`; the rest as in
    `conv_relu_pool_forward`.

    One long function on purpose: each thread's workspaces, the loop over its samples and
    the sum of the threads' partial gradients make one `prange` kernel, kept as measured.
    """
    n_samples, channels, height, width = x.shape
    filters, kernel = weight.shape[0], weight.shape[2]
    pooled_h, pooled_w = grad_pooled.shape[2], grad_pooled.shape[3]
    size = pooled_h * pooled_w
    pitch, shifts, plane_length, wide = _layout(height, width, kernel, pad, size, group)
    zeros = channels * PHASES * shifts * shifts
    ones = zeros + 1  # dL/db[f] = Σ dY[f, ·] · 1: the bias's tap reads a row of ones
    taps = channels * kernel * kernel
    column_of, offsets = _phase_taps(channels, kernel, tap_count, zeros), np.zeros(tap_count,
                                                                                    np.int64)
    for rs in range(PHASES):
        column_of[rs, taps] = ones
    partial_w = np.zeros((chunks, filter_rows, tap_count), dtype=x.dtype)
    read_ahead = np.zeros(chunks)  # the sums of `_read_lines_in_order`, not used
    flat_grad, flat_codes, span = grad_pooled.reshape(-1), codes.reshape(-1), filters * size
    for t in prange(chunks):
        planes = np.zeros((channels * PHASES, plane_length), dtype=x.dtype)
        # zeroed only where nothing writes, as in the forward pass: past the group's maps
        # (0 · a stale NaN would be NaN) and the padding taps' row
        columns = np.empty((ones + 1, wide), dtype=x.dtype)
        _zero_from(columns, group * size)
        _zero_from(columns[zeros:zeros + 1], 0)
        columns[ones] = 1.0
        # one block of filters: past the group's maps, and in the rows of padding filters,
        # zero
        gph = np.empty((PHASES, BLOCK, wide), dtype=x.dtype)
        for rs in range(PHASES):
            _zero_from(gph[rs], group * size if filters % BLOCK == 0 else 0)
        start, stop = chunk_bounds(t, chunks, n_samples)
        for first in range(start, stop, group):
            count = min(group, stop - first)
            if count < group:  # what the last full group left there must not count again
                _zero_from(columns[:zeros], count * size)
                for rs in range(PHASES):
                    _zero_from(gph[rs], count * size)
            read_ahead[t] += (
                _read_lines_in_order(flat_grad, first * span, (first + count) * span)
                + _read_lines_in_order(flat_codes, first * span, (first + count) * span))
            for g in range(count):
                _phase_planes(x[first + g], pad, pitch, planes)
                _columns(planes, pitch, shifts, pooled_h, pooled_w, columns, g * size)
            for block in range(0, filter_rows, BLOCK):  # summed while in cache
                _phase_gradients(grad_pooled, codes, block, first, count, gph)
                for rs in range(PHASES):
                    shifted_row_dots(gph[rs], 0, wide, columns, column_of[rs], offsets,
                                     partial_w[t, block:block + BLOCK])
    dk, total = grad_weight.reshape(filters, taps), sum_over_chunks(partial_w)
    for f in range(filters):  # loops, not array expressions: see `sum_over_chunks`
        for t in range(taps):
            dk[f, t] = total[f, t]
        grad_bias[f] = total[f, taps]  # the bias's tap


def samples_per_run(pooled: np.ndarray, chunks: int) -> int:
    """How many samples' pooled-size maps one run holds: as many as fill about `RUN_FLOATS`,
    at most a thread's share of the batch."""
    size, share = pooled.shape[2] * pooled.shape[3], -(-len(pooled) // chunks)
    return max(1, min(share, RUN_FLOATS // size))


@njit(parallel=True, cache=True, nogil=True)
def argmax_from_codes(codes, out_w, argmax):
    """argmax[n, f, i, j]: the flat index into the (H_o, W_o) map of Y of the phase-`codes`
    window's maximum, 2i·W_o + 2j + (0, 1, W_o or W_o + 1), as the pool would have written
    it; a stopped window gets its first place (its gradient is 0 whichever it is)."""
    n_samples, filters, pooled_h, pooled_w = codes.shape
    for plane in prange(n_samples * filters):
        n, f = plane // filters, plane % filters
        for i in range(pooled_h):
            for j in range(pooled_w):
                code = max(codes[n, f, i, j], 0)
                argmax[n, f, i, j] = (2 * i + code // 2) * out_w + 2 * j + code % 2


def _forward_tap_count(taps: int) -> int:
    """The forward pass's tap count: as it is when nines divide it (3×3 kernels, in blocks of
    nine taps: faster than in blocks of four, three of them zero), else rounded up to
    blocks of four."""
    return taps if taps % NINE == 0 else round_up(taps, BLOCK)


def forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, pad: int, pooled: np.ndarray,
            codes: np.ndarray, chunks: int) -> None:
    """`conv_relu_pool_forward` with the block-rounded sizes worked out."""
    filters, channels, kernel, _ = weight.shape
    conv_relu_pool_forward(x, weight, bias, pad, pooled, codes, round_up(filters, BLOCK),
                           _forward_tap_count(channels * kernel * kernel),
                           samples_per_run(pooled, chunks), chunks)


def backward(x: np.ndarray, weight: np.ndarray, grad_pooled: np.ndarray, codes: np.ndarray,
             pad: int, grad_weight: np.ndarray, grad_bias: np.ndarray, chunks: int) -> None:
    """`conv_relu_pool_backward` with the block-rounded sizes worked out."""
    filters, channels, kernel, _ = weight.shape
    conv_relu_pool_backward(x, weight, grad_pooled, codes, pad, grad_weight, grad_bias,
                            round_up(filters, BLOCK),
                            round_up(channels * kernel * kernel + 1, DOT_TAPS),  # + the bias
                            samples_per_run(grad_pooled, chunks), chunks)


__all__ = ["argmax_from_codes", "backward", "forward"]
