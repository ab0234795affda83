"""Synthetic handwritten-looking digits, generated here, so a machine with no network can train.

Each digit 0–9 is a few pen strokes (polylines and arcs in a unit box). Every
image draws its digit with a random affine distortion (rotation, scale, shear,
shift), a random pen width and wobble, anti-aliased onto a 28×28 canvas with
the digit in the central 20×20 as in MNIST, then adds a little noise. The same
seed always gives the same images. They are easier than MNIST and look less
varied: the app says so wherever they are used.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .dataset import Dataset

NOTE = "Synthetic digits generated on this machine — not MNIST; easier and less varied."


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, stop: float,
         points: int = 14) -> list[tuple[float, float]]:
    angles = np.radians(np.linspace(start, stop, points))
    return [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in angles]  # y grows downward


#: Strokes of each digit, each a list of (x, y) in [0, 1]², y down.
STROKES: dict[int, list[list[tuple[float, float]]]] = {
    0: [_arc(0.5, 0.5, 0.27, 0.4, 0, 360, 24)],
    1: [[(0.36, 0.26), (0.53, 0.1), (0.53, 0.9)]],
    2: [_arc(0.5, 0.33, 0.25, 0.23, 190, 380) + [(0.25, 0.9), (0.78, 0.9)]],
    3: [_arc(0.5, 0.3, 0.23, 0.2, 200, 450), _arc(0.5, 0.7, 0.26, 0.2, 270, 520)],
    4: [[(0.66, 0.9), (0.66, 0.1), (0.2, 0.65), (0.82, 0.65)]],
    5: [[(0.74, 0.1), (0.33, 0.1), (0.3, 0.46)] + _arc(0.5, 0.66, 0.25, 0.24, 225, 500)],
    6: [[(0.7, 0.1), (0.47, 0.28), (0.31, 0.55)] + _arc(0.51, 0.68, 0.21, 0.22, 180, 540, 20)],
    7: [[(0.22, 0.1), (0.78, 0.1), (0.42, 0.9)]],
    8: [_arc(0.5, 0.29, 0.2, 0.19, 0, 360, 18), _arc(0.5, 0.69, 0.25, 0.21, 0, 360, 20)],
    9: [_arc(0.5, 0.32, 0.22, 0.22, 0, 360, 18), [(0.72, 0.32), (0.67, 0.9)]],
}


def _segments(digit: int) -> np.ndarray:
    """(S, 2, 2): each stroke's consecutive point pairs, centred on (0, 0)."""
    pairs = [(a, b) for stroke in STROKES[digit] for a, b in zip(stroke, stroke[1:])]
    return np.array(pairs, dtype=np.float32) - 0.5


_MAX_SEGMENTS = max(len(_segments(d)) for d in range(10))
_FAR = 1e3  # padding segments far off-canvas never light a pixel


def _segment_table() -> np.ndarray:
    table = np.full((10, _MAX_SEGMENTS, 2, 2), _FAR, dtype=np.float32)
    for digit in range(10):
        segments = _segments(digit)
        table[digit, :len(segments)] = segments
    return table


#: Pens are at most 1.6 pixels half-wide, so a pixel farther than 2.1 from every stroke
#: gets no ink: distances beyond REACH need not be exact.
REACH = 2.5


@njit(parallel=True, cache=True, nogil=True)
def _distance_to_strokes(segments, size):
    """Distance from each pixel centre to the nearest segment, where that is below REACH,
    and at least REACH elsewhere: (B, S, 2, 2) → (B, size, size).

    For segment a→b and pixel p: t = clamp((p − a)·(b − a)/|b − a|², 0, 1),
    distance = |p − a − t(b − a)|. Each segment visits only the pixels within REACH of its
    bounding box — a few dozen instead of the whole canvas.
    """
    count, n_segments = segments.shape[0], segments.shape[1]
    out = np.empty((count, size, size), dtype=np.float32)
    far = np.float32(4 * REACH * REACH)
    for b in prange(count):
        nearest = np.empty((size, size), dtype=np.float32)  # squared distances
        for row in range(size):
            for col in range(size):
                nearest[row, col] = far
        for s in range(n_segments):
            ax, ay = segments[b, s, 0, 0], segments[b, s, 0, 1]
            dx, dy = segments[b, s, 1, 0] - ax, segments[b, s, 1, 1] - ay
            length2 = max(dx * dx + dy * dy, 1e-6)
            # pixel centres (col + 0.5, row + 0.5) within REACH of the segment's box
            left = max(int(np.floor(min(ax, ax + dx) - REACH - 0.5)), 0)
            right = min(int(np.ceil(max(ax, ax + dx) + REACH - 0.5)), size - 1)
            top = max(int(np.floor(min(ay, ay + dy) - REACH - 0.5)), 0)
            bottom = min(int(np.ceil(max(ay, ay + dy) + REACH - 0.5)), size - 1)
            for row in range(top, bottom + 1):
                py = row + 0.5
                for col in range(left, right + 1):
                    px = col + 0.5
                    t = min(max(((px - ax) * dx + (py - ay) * dy) / length2, 0.0), 1.0)
                    ex, ey = px - ax - t * dx, py - ay - t * dy
                    nearest[row, col] = min(nearest[row, col], ex * ex + ey * ey)
        for row in range(size):
            for col in range(size):
                out[b, row, col] = np.sqrt(nearest[row, col])
    return out


def _render(labels: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    """uint8 images (B, size, size) of the digits in `labels`."""
    count = len(labels)
    segments = _segment_table()[labels]  # (B, S, 2, 2)
    angle = np.radians(rng.uniform(-14, 14, count))
    scale = rng.uniform(0.8, 1.08, (count, 2))
    shear = rng.uniform(-0.3, 0.3, count)
    cos, sin = np.cos(angle), np.sin(angle)
    # A = R · Shear · Scale, applied to centred unit coordinates, then to pixels.
    matrix = np.empty((count, 2, 2), dtype=np.float32)
    matrix[:, 0, 0] = cos * scale[:, 0]
    matrix[:, 0, 1] = (cos * shear - sin) * scale[:, 1]
    matrix[:, 1, 0] = sin * scale[:, 0]
    matrix[:, 1, 1] = (sin * shear + cos) * scale[:, 1]
    matrix *= size * 20 / 28
    shift = size / 2 + rng.uniform(-1.5, 1.5, (count, 2)).astype(np.float32)
    wobble = rng.normal(0, 0.025, segments.shape).astype(np.float32)
    points = np.einsum("bij,bskj->bski", matrix, segments + wobble) + shift[:, None, None, :]
    distance = _distance_to_strokes(points.astype(np.float32), size).reshape(count, -1)
    half_width = rng.uniform(0.8, 1.6, (count, 1)).astype(np.float32)
    ink = np.clip(half_width + 0.5 - distance, 0, 1) * rng.uniform(0.75, 1.0, (count, 1))
    ink += rng.normal(0, 0.02, ink.shape)
    return (np.clip(ink, 0, 1) * 255).round().astype(np.uint8).reshape(count, size, size)


def synthetic_digits(count: int, seed: int = 0, size: int = 28) -> tuple[np.ndarray, np.ndarray]:
    """`count` images (N, size, size) uint8 and their labels, balanced over 0–9."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(count) % 10)
    images = np.empty((count, size, size), dtype=np.uint8)
    for start in range(0, count, 2048):
        images[start:start + 2048] = _render(labels[start:start + 2048], rng, size)
    return images, labels.astype(np.int64)


def synthetic_dataset(train: int = 6000, test: int = 1000, seed: int = 0) -> Dataset:
    train_images, train_labels = synthetic_digits(train, seed)
    test_images, test_labels = synthetic_digits(test, seed + 1)
    return Dataset("Synthetic digits", train_images, train_labels, test_images, test_labels,
                   note=NOTE)
