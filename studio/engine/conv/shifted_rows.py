"""Stride-1 convolution as sums of shifted rows, with no im2col.

Lay a sample's zero-padded input out flat per channel, x_p[c, y·W_p + x]. For
stride 1, the input that kernel tap (c, i, j) multiplies into every output is
then one contiguous run of x_p[c] starting at i·W_p + j, if the outputs are kept
W_p wide too ("wide rows": Y_w[f, y·W_p + x], whose last W_p − W_o columns of each
row are never read):

    Y_w[f, ·] = Σ_(c,i,j) K[f, c, i, j] · x_p[c, i·W_p + j + ·]

Each term is a scaled vector add the CPU runs at full SIMD width. The kernels
below take four outputs and four taps at a time, so each loaded input vector
serves four filters and each output vector is stored once per four taps
(`shifted_rows_in_nines`, which `pooled_phases` uses, takes a 3×3 kernel's nine
taps at once); the dot products of the backward pass, four rows and five taps.

The backward pass uses the same two shapes:
- dL/dK[f, (c,i,j)] = Σ_p dY_w[f, p] · x_p[c, i·W_p + j + p]: dot products of two
  contiguous runs (the unused columns of dY_w hold zeros).
- dL/dX is the full convolution of dY with the 180°-rotated kernel. In wide rows
  that is again a sum of shifted rows, of dY_w (zero-bordered in front and behind),
  with taps (f, i, j) at offsets −(i·W_p + j):
  dX_p[c, q] = Σ_(f,i,j) K[f, c, i, j] · dY_w[f, q − i·W_p − j].

dL/db is one more of those dot products, with a run of ones (the bias is the weight
of a constant input). With a 2×2 max-pool after the ReLU, the forward pass also pools
each map while it is in cache. When a sample's rows are short, the forward pass lays
several samples side by side along one row (`samples_per_row`).

For few filters this is faster than im2col + sgemm, whose small matrix products run far
from peak (see `plan.use_shifted_rows`; figures: docs/performance.md, 'Shifted rows or
im2col').
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..chunking import (
    LANES,
    SerialForOneChunk,
    aligned_rows,
    aligned_zeros,
    chunk_bounds,
    known_non_negative,
    round_up,
    sum_over_chunks,
)
from ..pool_kernels import maxpool2x2_plane
from .im2col import GRADIENT, NO_ARGMAX, col2im, crop_into, output_gradient, row_places

BLOCK = 4  # outputs and taps per step of the micro-kernels
TAIL = 2  # rows of the last block when rows come in fours and a pair (6 filters: 4 + 2)
NINE = 9  # a 3×3 kernel's taps: one step of `_nine_taps_block`
DOT_TAPS = 5  # taps per step of `_dots_block`
ROW_FLOATS = 1024  # about how long the forward pass's wide rows are made (`samples_per_row`)

@njit(cache=True, nogil=True, inline="always")
def _run(source, channel_of, offsets, t, width):
    """The run of `source` that tap t reads: source[channel_of[t], offsets[t]:][:width]."""
    return source[channel_of[t], offsets[t]:offsets[t] + width]


@njit(cache=True, nogil=True, inline="always")
def _four_runs(source, channel_of, offsets, t, width):
    """The runs taps t … t + 3 read."""
    return (_run(source, channel_of, offsets, t, width),
            _run(source, channel_of, offsets, t + 1, width),
            _run(source, channel_of, offsets, t + 2, width),
            _run(source, channel_of, offsets, t + 3, width))


@njit(cache=True, nogil=True, inline="always")
def _four(weights, r, t):
    """weights[r, t:t + 4] as a tuple."""
    return weights[r, t], weights[r, t + 1], weights[r, t + 2], weights[r, t + 3]


@njit(cache=True, nogil=True, inline="always")
def _plus_four(start, w, v0, v1, v2, v3):
    """start + w[0]·v0 + … + w[3]·v3, in that order: four chained fused multiply-adds."""
    return start + w[0] * v0 + w[1] * v1 + w[2] * v2 + w[3] * v3


# Contraction only: a·b + c may become one fused multiply-add (one rounding instead of two).
@njit(cache=True, nogil=True, fastmath={"contract"})
def _rows_block(weights, r, t, source, channel_of, offsets, out, width, accumulate):
    """out[r:r+4, p] (+)= Σ_(k<4) weights[r:r+4, t+k] · source[channel_of[t+k], offsets[t+k] + p],
    added to what out holds when `accumulate`, written over it otherwise.

    A function of its own, called per block rather than written inside the loops over
    blocks: there, the loops' own state left LLVM short of registers, and it spilled row
    pointers or weights into the inner loop (docs/performance.md, 'Shifted-row kernels').
    """
    y0, y1, y2, y3 = out[r], out[r + 1], out[r + 2], out[r + 3]
    x0, x1, x2, x3 = _four_runs(source, channel_of, offsets, t, width)
    a, b, c, d = _four(weights, r, t), _four(weights, r + 1, t), _four(weights, r + 2, t), \
        _four(weights, r + 3, t)
    zero = out.dtype.type(0)
    # `accumulate` is the same throughout, so the compiler makes two loops of this one
    for p in range(width):
        v0, v1, v2, v3 = x0[p], x1[p], x2[p], x3[p]
        y0[p] = _plus_four(y0[p] if accumulate else zero, a, v0, v1, v2, v3)
        y1[p] = _plus_four(y1[p] if accumulate else zero, b, v0, v1, v2, v3)
        y2[p] = _plus_four(y2[p] if accumulate else zero, c, v0, v1, v2, v3)
        y3[p] = _plus_four(y3[p] if accumulate else zero, d, v0, v1, v2, v3)


@njit(cache=True, nogil=True, fastmath={"contract"})  # contraction only, as `_rows_block`
def _pair_block(weights, r, t, source, channel_of, offsets, out, width, accumulate):
    """`_rows_block` for the last two rows, r and r + 1, where rows come in fours and a
    pair: LeNet-5's first conv has six filters, which blocks of four padded to eight
    (a quarter of its arithmetic on zero weights)."""
    y0, y1 = out[r], out[r + 1]
    x0, x1, x2, x3 = _four_runs(source, channel_of, offsets, t, width)
    a, b = _four(weights, r, t), _four(weights, r + 1, t)
    zero = out.dtype.type(0)
    for p in range(width):
        v0, v1, v2, v3 = x0[p], x1[p], x2[p], x3[p]
        y0[p] = _plus_four(y0[p] if accumulate else zero, a, v0, v1, v2, v3)
        y1[p] = _plus_four(y1[p] if accumulate else zero, b, v0, v1, v2, v3)


@njit(cache=True, nogil=True, inline="always")
def _nine(weights, r, t):
    """weights[r, t:t + 9] as a tuple."""
    return (weights[r, t], weights[r, t + 1], weights[r, t + 2], weights[r, t + 3],
            weights[r, t + 4], weights[r, t + 5], weights[r, t + 6], weights[r, t + 7],
            weights[r, t + 8])


@njit(cache=True, nogil=True, inline="always")
def _plus_nine(start, w, v0, v1, v2, v3, v4, v5, v6, v7, v8):
    """start + w[0]·v0 + … + w[8]·v8, in that order: a chain of fused multiply-adds."""
    return (start + w[0] * v0 + w[1] * v1 + w[2] * v2 + w[3] * v3 + w[4] * v4 + w[5] * v5
            + w[6] * v6 + w[7] * v7 + w[8] * v8)


@njit(cache=True, nogil=True, fastmath={"contract"})  # contraction only, as `_rows_block`
def _nine_taps_block(weights, r, t, source, channel_of, offsets, out, width, accumulate):
    """`_rows_block` for nine taps, t … t + 8: a 3×3 kernel's in one pass over the four
    rows, where blocks of four taps make three passes over twelve, three of them zero
    weights.

    Two loops rather than `_rows_block`'s choice inside one: reading the rows inside the
    choice left this longer loop scalar, and reading them before it, or rows of zeros,
    was slower too (docs/performance.md, 'Shifted-row kernels')."""
    y0, y1, y2, y3 = out[r], out[r + 1], out[r + 2], out[r + 3]
    x0, x1, x2 = (_run(source, channel_of, offsets, t, width),
                  _run(source, channel_of, offsets, t + 1, width),
                  _run(source, channel_of, offsets, t + 2, width))
    x3, x4, x5 = (_run(source, channel_of, offsets, t + 3, width),
                  _run(source, channel_of, offsets, t + 4, width),
                  _run(source, channel_of, offsets, t + 5, width))
    x6, x7, x8 = (_run(source, channel_of, offsets, t + 6, width),
                  _run(source, channel_of, offsets, t + 7, width),
                  _run(source, channel_of, offsets, t + 8, width))
    a, b, c, d = _nine(weights, r, t), _nine(weights, r + 1, t), _nine(weights, r + 2, t), \
        _nine(weights, r + 3, t)
    if accumulate:
        for p in range(width):
            v0, v1, v2, v3, v4, v5, v6, v7, v8 = (x0[p], x1[p], x2[p], x3[p], x4[p], x5[p],
                                                  x6[p], x7[p], x8[p])
            y0[p] = _plus_nine(y0[p], a, v0, v1, v2, v3, v4, v5, v6, v7, v8)
            y1[p] = _plus_nine(y1[p], b, v0, v1, v2, v3, v4, v5, v6, v7, v8)
            y2[p] = _plus_nine(y2[p], c, v0, v1, v2, v3, v4, v5, v6, v7, v8)
            y3[p] = _plus_nine(y3[p], d, v0, v1, v2, v3, v4, v5, v6, v7, v8)
    else:
        zero = out.dtype.type(0)
        for p in range(width):
            v0, v1, v2, v3, v4, v5, v6, v7, v8 = (x0[p], x1[p], x2[p], x3[p], x4[p], x5[p],
                                                  x6[p], x7[p], x8[p])
            y0[p] = _plus_nine(zero, a, v0, v1, v2, v3, v4, v5, v6, v7, v8)
            y1[p] = _plus_nine(zero, b, v0, v1, v2, v3, v4, v5, v6, v7, v8)
            y2[p] = _plus_nine(zero, c, v0, v1, v2, v3, v4, v5, v6, v7, v8)
            y3[p] = _plus_nine(zero, d, v0, v1, v2, v3, v4, v5, v6, v7, v8)


@njit(cache=True, nogil=True)
def shifted_rows(weights, source, channel_of, offsets, out):
    """out[r, p] = Σ_t weights[r, t] · source[channel_of[t], offsets[t] + p].

    Rows and taps come in blocks of four (callers pad with zero weights; rows may end
    in a pair, `block_rows`), so every loaded source vector feeds four outputs and each
    output is written once per four taps. The first block of taps writes the rows, rather
    than adding to rows zeroed first: faster (docs/performance.md, 'Shifted-row kernels').
    """
    width, rows = out.shape[1], out.shape[0]
    whole = rows - rows % BLOCK
    for r in range(0, whole, BLOCK):
        for t in range(0, weights.shape[1], BLOCK):
            _rows_block(weights, r, t, source, channel_of, offsets, out, width, t > 0)
    for r in range(whole, rows, TAIL):
        for t in range(0, weights.shape[1], BLOCK):
            _pair_block(weights, r, t, source, channel_of, offsets, out, width, t > 0)


@njit(cache=True, nogil=True)
def shifted_rows_in_nines(weights, source, channel_of, offsets, out):
    """`shifted_rows` for tap counts nines divide (3×3 kernels), in blocks of nine taps
    (`_nine_taps_block`). The first block's call is written apart, with `accumulate` False,
    and so are the later ones: faster than one call with `t > 0`. (On the shifted-row
    kernels' own wide rows it measured no faster than blocks of four, or slower: there it
    is not used; docs/performance.md, 'Shifted-row kernels'.)"""
    width = out.shape[1]
    for r in range(0, out.shape[0], BLOCK):
        _nine_taps_block(weights, r, 0, source, channel_of, offsets, out, width, False)
        for t in range(NINE, weights.shape[1], NINE):
            _nine_taps_block(weights, r, t, source, channel_of, offsets, out, width, True)


@njit(cache=True, nogil=True, inline="always")
def _add_five(out, r, t, s0, s1, s2, s3, s4):
    """out[r, t:t + 5] += (s0, …, s4)."""
    out[r, t] += s0
    out[r, t + 1] += s1
    out[r, t + 2] += s2
    out[r, t + 3] += s3
    out[r, t + 4] += s4


# Reassociation and contraction only: the twenty running sums may be split into SIMD
# lanes and added up at the end, with fused multiply-adds. NaN and infinity keep their
# IEEE meaning (no other fastmath flag).
@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _dots_block(rows, r, start, width, source, t, channel_of, offsets, out):
    """out[r:r+4, t:t+5] += the 4×5 dot products of `shifted_row_dots` (a function of its
    own for the reason `_rows_block` gives). Twenty running sums, four rows and five
    taps in SIMD registers: five taps, not four, as a 3×3 kernel and its bias make ten
    (two blocks, not three of four: faster, docs/performance.md, 'Shifted-row kernels')."""
    g0, g1 = rows[r, start:start + width], rows[r + 1, start:start + width]
    g2, g3 = rows[r + 2, start:start + width], rows[r + 3, start:start + width]
    x0, x1, x2, x3 = _four_runs(source, channel_of, offsets, t, width)
    x4 = _run(source, channel_of, offsets, t + 4, width)
    zero = out.dtype.type(0)  # sums in the arrays' precision
    a0 = a1 = a2 = a3 = a4 = b0 = b1 = b2 = b3 = b4 = zero
    c0 = c1 = c2 = c3 = c4 = d0 = d1 = d2 = d3 = d4 = zero
    for p in range(width):
        v0, v1, v2, v3, v4 = x0[p], x1[p], x2[p], x3[p], x4[p]
        e0, e1, e2, e3 = g0[p], g1[p], g2[p], g3[p]
        a0, a1, a2, a3, a4 = a0 + e0 * v0, a1 + e0 * v1, a2 + e0 * v2, a3 + e0 * v3, a4 + e0 * v4
        b0, b1, b2, b3, b4 = b0 + e1 * v0, b1 + e1 * v1, b2 + e1 * v2, b3 + e1 * v3, b4 + e1 * v4
        c0, c1, c2, c3, c4 = c0 + e2 * v0, c1 + e2 * v1, c2 + e2 * v2, c3 + e2 * v3, c4 + e2 * v4
        d0, d1, d2, d3, d4 = d0 + e3 * v0, d1 + e3 * v1, d2 + e3 * v2, d3 + e3 * v3, d4 + e3 * v4
    _add_five(out, r, t, a0, a1, a2, a3, a4)
    _add_five(out, r + 1, t, b0, b1, b2, b3, b4)
    _add_five(out, r + 2, t, c0, c1, c2, c3, c4)
    _add_five(out, r + 3, t, d0, d1, d2, d3, d4)


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})  # as `_dots_block`
def _pair_dots_block(rows, r, start, width, source, t, channel_of, offsets, out):
    """`_dots_block` for the last two rows, r and r + 1 (see `_pair_block`)."""
    g0, g1 = rows[r, start:start + width], rows[r + 1, start:start + width]
    x0, x1, x2, x3 = _four_runs(source, channel_of, offsets, t, width)
    x4 = _run(source, channel_of, offsets, t + 4, width)
    zero = out.dtype.type(0)
    a0 = a1 = a2 = a3 = a4 = b0 = b1 = b2 = b3 = b4 = zero
    for p in range(width):
        v0, v1, v2, v3, v4 = x0[p], x1[p], x2[p], x3[p], x4[p]
        e0, e1 = g0[p], g1[p]
        a0, a1, a2, a3, a4 = a0 + e0 * v0, a1 + e0 * v1, a2 + e0 * v2, a3 + e0 * v3, a4 + e0 * v4
        b0, b1, b2, b3, b4 = b0 + e1 * v0, b1 + e1 * v1, b2 + e1 * v2, b3 + e1 * v3, b4 + e1 * v4
    _add_five(out, r, t, a0, a1, a2, a3, a4)
    _add_five(out, r + 1, t, b0, b1, b2, b3, b4)


# Reassociation only, as `_dots_block`: the sums may be split into SIMD lanes.
@njit(cache=True, nogil=True, fastmath={"reassoc"})
def add_row_sums(rows, start, width, out):
    """out[r] += Σ_p rows[r, start + p], p < width, for the rows `out` has."""
    for r in range(out.shape[0]):
        row, total = rows[r, start:start + width], rows.dtype.type(0)
        for p in range(width):
            total += row[p]
        out[r] += total


@njit(cache=True, nogil=True)
def shifted_row_dots(rows, start, width, source, channel_of, offsets, out):
    """out[r, t] += Σ_p rows[r, start + p] · source[channel_of[t], offsets[t] + p], p < width.

    Blocks of four rows (rows may end in a pair, `block_rows`) by five taps (`DOT_TAPS`;
    callers pad with zero-weight taps), each summed by `_dots_block`.
    """
    count = out.shape[0]
    whole = count - count % BLOCK
    for r in range(0, whole, BLOCK):
        for t in range(0, out.shape[1], DOT_TAPS):
            _dots_block(rows, r, start, width, source, t, channel_of, offsets, out)
    for r in range(whole, count, TAIL):
        for t in range(0, out.shape[1], DOT_TAPS):
            _pair_dots_block(rows, r, start, width, source, t, channel_of, offsets, out)


@njit(cache=True, nogil=True)
def _forward_taps(channels, kernel, padded_width, tap_count, zeros_at):
    """channel_of and offsets of taps (c, i, j) in x_p. The zero-weight taps that round the
    count up to a block read the run of zeros at `zeros_at`, so that 0 · NaN cannot turn
    a real output into NaN."""
    channel_of = np.zeros(tap_count, np.int64)
    offsets = np.full(tap_count, zeros_at, np.int64)
    for c in range(channels):
        for i in range(kernel):
            for j in range(kernel):
                t = (c * kernel + i) * kernel + j
                channel_of[t] = c
                offsets[t] = i * padded_width + j
    return channel_of, offsets


@njit(cache=True, nogil=True)
def _full_convolution_taps(weight, channel_rows, base, padded_width, zeros_at, needed):
    """dL/dX's shifted rows: K[f, c, i, j] as weights[c, (f, i, j)], reading dY_w row f from
    base − i·W_p − j (the 180°-rotated kernel); padding taps read zeros. Empty if not needed."""
    filters, channels, kernel = weight.shape[0], weight.shape[1], weight.shape[2]
    taps = round_up(filters * kernel * kernel, BLOCK) if needed else 0
    weights = np.zeros((channel_rows, taps), dtype=weight.dtype)
    channel_of = np.zeros(taps, np.int64)
    offsets = np.full(taps, zeros_at, np.int64)
    for f in range(filters if needed else 0):
        for i in range(kernel):
            for j in range(kernel):
                t = (f * kernel + i) * kernel + j
                channel_of[t] = f
                offsets[t] = base - i * padded_width - j
                for c in range(channels):
                    weights[c, t] = weight[f, c, i, j]
    return weights, channel_of, offsets


@njit(cache=True, nogil=True)
def padded_weights(weight, rows, taps):
    """K as a (rows, taps) matrix, zero beyond (F, C·f·f)."""
    flat = weight.reshape(weight.shape[0], -1)
    padded = np.zeros((rows, taps), dtype=weight.dtype)
    for f in range(flat.shape[0]):  # loops, not slice assignments: Numba compiles them faster
        for t in range(flat.shape[1]):
            padded[f, t] = flat[f, t]
    return padded


@njit(cache=True, nogil=True)
def _copy_rows(source, source_start, source_pitch, target, target_start, target_pitch,
               width, height):
    """target[f, target_start + y·target_pitch + x] = source[f, source_start + y·source_pitch + x]
    for x < width, y < height, over the rows both have: moves maps between the dense layout
    (pitch W) and wide rows (pitch W_p). Whatever lies between the rows is left as it is."""
    for f in range(min(source.shape[0], target.shape[0])):
        for y in range(height):
            begin = known_non_negative(source_start + y * source_pitch)
            at = known_non_negative(target_start + y * target_pitch)
            for x in range(width):
                target[f, at + x] = source[f, begin + x]


@njit(cache=True, nogil=True)
def _fill_wide(x, pad, pitch, xp, at):
    """x_p[c, at + (y + p)·pitch + x + p] = X[c, y, x]; everything else in x_p stays as it
    is (zero, where the padding lies). The pitch is W_p, or a multiple of it when samples
    lie side by side."""
    height, width = x.shape[1], x.shape[2]
    _copy_rows(x.reshape(x.shape[0], -1), 0, width, xp, at + pad * pitch + pad, pitch, width,
               height)


@njit(cache=True, nogil=True)
def _bias_into(yw, at, pitch, bias, rectify, out):
    """out[f, y, x] = Y_w[f, at + y·pitch + x] + b[f], then max(·, 0) when rectify."""
    for f in range(out.shape[0]):
        b = bias[f]
        for y in range(out.shape[1]):
            row, src = out[f, y], yw[f, known_non_negative(at + y * pitch):]
            for x_ in range(out.shape[2]):
                value = src[x_] + b
                if rectify:
                    value = 0.0 if value <= 0.0 else value  # NaN stays NaN
                row[x_] = value


@njit(cache=True, nogil=True)
def _pool_then_bias(yw, at, pitch, out_w, bias, pooled_h, pooled_w, pooled, argmax, first):
    """Maps first, first + 1, … of the flat pooled and argmax: max(maxpool(Y_w[f, at:]) +
    b[f], 0), the max-pool of max(Y + b, 0), as adding b and rectifying commute with the
    maximum, without passing over the whole map. Where a window's maximum is ≤ −b its
    arg-max may differ from the rectified map's (a tie of zeros there), but its gradient
    is zero either way."""
    size = pooled_h * pooled_w
    for f in range(bias.size):
        begin = known_non_negative((first + f) * size)
        maxpool2x2_plane(yw, f, at, pitch, out_w, pooled_h, pooled_w, pooled, argmax, begin)
        b = bias[f]
        for q in range(begin, begin + size):
            value = pooled[q] + b
            pooled[q] = 0.0 if value <= 0.0 else value  # NaN stays NaN


def block_rows(count: int) -> int:
    """Rows for `count` filters or channels: whole blocks of four, and a pair when two
    are left over (6 → 4 + 2, 7 → 8)."""
    return round_up(count, TAIL)


def samples_per_row(out_height: int, padded_width: int, samples: int) -> int:
    """How many samples one wide row holds: as many as fill about `ROW_FLOATS` with
    outputs, at most `samples`. Row y of the wide row is row y of each sample side by
    side, W_p apart, so the micro-kernel runs on long rows, which measured faster. Only the
    W_p − W_o columns after each sample's outputs are computed and not read; laid one
    padded map after another, the H_p − H_o rows between samples would be too
    (docs/performance.md, 'Shifted-row kernels')."""
    return max(1, min(samples, ROW_FLOATS // (out_height * padded_width)))


@SerialForOneChunk
@njit(parallel=True, cache=True, nogil=True)
def conv2d_forward(x, weight, bias, pad, out, rectify, pool, pooled, argmax, write_out,
                   filter_rows, tap_count, group, chunks):
    """Y[n, f] = Σ_c X[n, c] ⋆ K[f, c] + b[f], stride 1, zero padding `pad`.

    out : (N, F, H_o, W_o), written in full when write_out; rectify: max(Y, 0) instead.
    pool : also max-pool each map of max(Y, 0) 2×2 with stride 2 while it is in cache, into
        pooled and argmax (N, F, H_o // 2, W_o // 2) as `pool_kernels.maxpool2x2_forward`
        would; then `out` may be left unwritten (write_out False) when nobody reads it.
    filter_rows, tap_count : F and C·f·f rounded up to whole blocks (`block_rows`).
    group : samples laid along one wide row (`samples_per_row`).
    """
    n_samples, channels, _, width = x.shape
    filters, kernel = weight.shape[0], weight.shape[2]
    out_h, out_w = out.shape[2], out.shape[3]
    padded_width = width + 2 * pad
    pitch = group * padded_width  # a row of x_p and Y_w: that row of each sample, side by side
    # whole SIMD loops: the extra outputs are computed and never read, which costs less
    # than a scalar remainder loop would
    wide = round_up(out_h * pitch, LANES)
    length = (kernel - 1) * (pitch + 1) + wide
    weights = padded_weights(weight, filter_rows, tap_count)
    channel_of, offsets = _forward_taps(channels, kernel, pitch, tap_count, length)
    pooled_h, pooled_w = pooled.shape[2], pooled.shape[3]
    for t in prange(chunks):
        xp = np.zeros((channels, length + wide), dtype=x.dtype)
        yw = aligned_rows(filter_rows, wide, x)
        maps = out.reshape(-1, out_h * out_w)  # one row per (sample, filter), as the pool reads
        flat_pooled, flat_argmax = pooled.reshape(-1), argmax.reshape(-1)
        start, stop = chunk_bounds(t, chunks, n_samples)
        for first in range(start, stop, group):
            count = min(group, stop - first)  # a short last group leaves stale maps beside
            for j in range(count):            # it, whose outputs are not read
                _fill_wide(x[first + j], pad, pitch, xp, j * padded_width)
            shifted_rows(weights, xp, channel_of, offsets, yw)
            for j in range(count):
                n = first + j
                if write_out:
                    _bias_into(yw, j * padded_width, pitch, bias, rectify, out[n])
                    for f in range(filters if pool else 0):
                        plane = n * filters + f
                        maxpool2x2_plane(maps, plane, 0, out_w, out_w, pooled_h, pooled_w,
                                         flat_pooled, flat_argmax, plane * pooled_h * pooled_w)
                else:
                    _pool_then_bias(yw, j * padded_width, pitch, out_w, bias, pooled_h,
                                    pooled_w, flat_pooled, flat_argmax, n * filters)


@njit(parallel=True, cache=True, nogil=True)
def conv2d_backward(x, weight, grad_out, out, argmax, mode, pad, grad_x, grad_weight,
                    grad_bias, need_grad_x, filter_rows, tap_count, chunks):
    """dL/dK, dL/db and (when need_grad_x) dL/dX of the stride-1 convolution.

    Arguments as in `im2col.conv2d_backward` (without the stride), plus
    filter_rows as in `conv2d_forward` and tap_count, `backward_tap_count`.
    One long function on purpose: each thread's workspaces, the loop over its samples and
    the sum of the threads' partial gradients make one `prange` kernel, kept as measured.
    """
    n_samples, channels, height, width = x.shape
    filters, kernel = weight.shape[0], weight.shape[2]
    padded_width = width + 2 * pad
    out_h = height + 2 * pad - kernel + 1
    out_w = width + 2 * pad - kernel + 1
    wide = round_up(out_h * padded_width, LANES)
    length = (kernel - 1) * (padded_width + 1) + wide
    input_wide = round_up(height * padded_width, LANES)
    # dL/db[f] = Σ_p dY_w[f, p] · 1: where the taps' last block has room, one more tap,
    # reading a run of ones (row C of x_p), gives it from the same dot products as dL/dK;
    # else (whole blocks, as a 5×5 kernel's 25 taps make) the rows' sums do.
    taps = channels * kernel * kernel
    bias_tap = tap_count > taps
    channel_of, offsets = _forward_taps(channels, kernel, padded_width, tap_count, length)
    if bias_tap:
        channel_of[taps], offsets[taps] = channels, 0
    # dY_w sits after a zero margin long enough for the most negative tap offset of dL/dX.
    margin = round_up((kernel - 1) * (padded_width + 1), LANES)  # the dots' rows aligned
    grad_length = margin + max(wide, pad * padded_width + input_wide)
    channel_rows = round_up(channels, TAIL)  # as `block_rows`, which is not compiled
    # The full convolution in wide rows sweeps every input position, where sgemm + col2im
    # covers only the outputs: with little padding ("valid") the rows do up to twice the work,
    # and sgemm + col2im measured faster; with "same" padding the rows did (figures:
    # docs/performance.md, 'Shifted-row kernels'). The rows' tables are made only if used.
    full_rows = height * padded_width <= 1.5 * out_h * out_w
    back_weights, back_channel, back_offsets = _full_convolution_taps(
        weight, channel_rows, margin + pad * padded_width, padded_width, grad_length,
        need_grad_x and full_rows)
    w2t = np.ascontiguousarray(weight.reshape(filters, -1).T)
    partial_w = np.zeros((chunks, filter_rows, max(tap_count, taps + 1)), dtype=x.dtype)
    place = row_places(out_h, out_w, padded_width)
    for t in prange(chunks):
        xp = np.zeros((channels + 1, length + wide), dtype=x.dtype)
        xp[channels, :wide] = 1.0
        dyw = aligned_zeros(filter_rows, round_up(grad_length + input_wide, LANES), x)
        dxw = aligned_rows(channel_rows, input_wide, x)
        dy = np.empty((filters, out_h * out_w), dtype=x.dtype)
        dcols = np.empty((taps, out_h * out_w), dtype=x.dtype)
        grad_padded = np.zeros((channels, height + 2 * pad, width + 2 * pad), dtype=x.dtype)
        start, stop = chunk_bounds(t, chunks, n_samples)
        for n in range(start, stop):
            if mode == GRADIENT:
                _copy_rows(grad_out[n].reshape(filters, -1), 0, out_w, dyw, margin,
                           padded_width, out_w, out_h)
            else:
                output_gradient(mode, grad_out, out, argmax, n, dyw, margin, place)
            _fill_wide(x[n], pad, padded_width, xp, 0)
            shifted_row_dots(dyw, margin, wide, xp, channel_of, offsets,
                             partial_w[t, :, :tap_count])
            if not bias_tap:
                add_row_sums(dyw, margin, wide, partial_w[t, :, taps])
            if need_grad_x and not full_rows:
                _copy_rows(dyw, margin, padded_width, dy, 0, out_w, out_w, out_h)
                np.dot(w2t, dy, dcols)
                if pad == 0:
                    col2im(dcols, kernel, 1, out_h, out_w, grad_x[n])
                else:
                    col2im(dcols, kernel, 1, out_h, out_w, grad_padded)
                    crop_into(grad_padded, pad, grad_x[n])
            if need_grad_x and full_rows:
                shifted_rows(back_weights, dyw, back_channel, back_offsets, dxw)
                for c in range(channels):
                    for y in range(height):
                        row, begin = grad_x[n, c, y], known_non_negative(y * padded_width + pad)
                        for x_ in range(width):
                            row[x_] = dxw[c, begin + x_]
    dk, total = grad_weight.reshape(filters, taps), sum_over_chunks(partial_w)
    for f in range(filters):  # loops, not array expressions: see `sum_over_chunks`
        for t in range(taps):
            dk[f, t] = total[f, t]
        grad_bias[f] = total[f, taps]  # the bias's tap, or the rows' sums


def forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, pad: int, out: np.ndarray,
            rectify: bool, chunks: int, pooled: np.ndarray | None = None,
            argmax: np.ndarray | None = None, write_out: bool = True) -> None:
    """`conv2d_forward` with the block-rounded sizes worked out; pooling when given
    `pooled` and `argmax`."""
    filters, channels, kernel, _ = weight.shape
    pool = pooled is not None and argmax is not None
    group = samples_per_row(out.shape[2], x.shape[3] + 2 * pad, -(-len(x) // chunks))
    conv2d_forward(x, weight, bias, pad, out, rectify, pool,
                   pooled if pool else np.empty((1, 1, 1, 1), out.dtype),
                   argmax if pool else NO_ARGMAX,
                   write_out or not pool, block_rows(filters),
                   round_up(channels * kernel * kernel, BLOCK), group, chunks)


def backward(x: np.ndarray, weight: np.ndarray, grad_out: np.ndarray, out: np.ndarray,
             argmax: np.ndarray, mode: int, pad: int, grad_x: np.ndarray,
             grad_weight: np.ndarray, grad_bias: np.ndarray, need_grad_x: bool,
             chunks: int) -> None:
    """`conv2d_backward` with the block-rounded sizes worked out."""
    filters, channels, kernel, _ = weight.shape
    conv2d_backward(x, weight, grad_out, out, argmax, mode, pad, grad_x, grad_weight,
                    grad_bias, need_grad_x, block_rows(filters),
                    backward_tap_count(channels * kernel * kernel), chunks)


def backward_tap_count(taps: int) -> int:
    """Taps of the backward pass's dot products, in whole blocks of `DOT_TAPS`: with the
    bias as one more tap where the last block has room for it (a 3×3 kernel's nine: ten),
    without it where the taps fill whole blocks (a 5×5 kernel's 25: not 30 with the bias,
    whose gradient the rows' sums then give: faster, docs/performance.md, 'Shifted-row
    kernels')."""
    return taps if taps % DOT_TAPS == 0 else round_up(taps + 1, DOT_TAPS)


__all__ = ["GRADIENT", "backward", "forward"]
