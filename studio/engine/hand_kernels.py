"""Hand-made kernels: the image filters people know, run through the textbook conv.

The kernel playground uses these to show that a convolution layer's filter is
the same object as a blur or an edge detector, and to show what stride does
to the backward pass.
"""

from __future__ import annotations

import numpy as np

from .architecture import output_size, resolve_padding
from .conv import reference

_GAUSSIAN_5 = np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]) / 256.0

KERNEL_PRESETS: dict[str, np.ndarray] = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], float),
    "box blur": np.full((3, 3), 1 / 9),
    "Gaussian blur": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16.0,
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], float),
    "Sobel x (vertical edges)": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], float),
    "Sobel y (horizontal edges)": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], float),
    "Laplacian (all edges)": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], float),
    "box blur 5×5": np.full((5, 5), 1 / 25),
    "Gaussian blur 5×5": _GAUSSIAN_5,
}


def _padding(padding: str | int, kernel: int, stride: int) -> int:
    pad, problem = resolve_padding(padding, kernel, stride)
    if problem:
        raise ValueError(problem)
    return int(pad)


def apply_kernel(image: np.ndarray, kernel: np.ndarray, stride: int = 1,
                 padding: str | int = "valid") -> np.ndarray:
    """Y = X ⋆ K for a single-channel image (H, W) and kernel (k, k), by the paper's loop
    (`reference.conv2d_forward`: one image needs no fast path, and on a first launch these
    loops are compiled first, so the playground never waits for the fast kernels)."""
    k = kernel.shape[0]
    pad = _padding(padding, k, stride)
    height, width = image.shape
    out_h, out_w = (output_size(height, k, stride, pad), output_size(width, k, stride, pad))
    if out_h < 1 or out_w < 1:
        raise ValueError(f"a {k}×{k} kernel does not fit a {height}×{width} image with "
                         f"padding {pad}")
    out = reference.conv2d_forward(np.ascontiguousarray(image[None, None], np.float32),
                                   np.ascontiguousarray(kernel[None, None], np.float32),
                                   np.zeros(1, np.float32), stride, pad)
    return out[0, 0]


def dilate(grad_out: np.ndarray, stride: int) -> np.ndarray:
    """dL/dY with stride − 1 zeros between neighbouring values (the stride undone)."""
    height, width = grad_out.shape
    dilated = np.zeros(((height - 1) * stride + 1, (width - 1) * stride + 1), grad_out.dtype)
    dilated[::stride, ::stride] = grad_out
    return dilated


def input_gradient_by_full_convolution(grad_out: np.ndarray, kernel: np.ndarray,
                                       input_shape: tuple[int, int], stride: int,
                                       padding: str | int) -> tuple[np.ndarray, np.ndarray]:
    """(dilated dL/dY, dL/dX) for Y = X ⋆ K, computed the textbook way.

    dL/dX = (dL/dY dilated by s − 1 zeros) full-convolved with the 180°-rotated K:
    the dilated gradient is zero-padded by k − 1 on every side, cross-correlated
    with rot180(K), then cropped by the forward padding p (those positions were
    not inputs); rows and columns the forward pass never reached get zero.
    """
    k = kernel.shape[0]
    pad = _padding(padding, k, stride)
    dilated = dilate(grad_out.astype(np.float64), stride)
    full = np.pad(dilated, k - 1)
    rotated = kernel[::-1, ::-1].astype(np.float64)
    rows, columns = full.shape[0] - k + 1, full.shape[1] - k + 1
    grad_padded = np.zeros((input_shape[0] + 2 * pad, input_shape[1] + 2 * pad))
    for i in range(min(rows, grad_padded.shape[0])):
        for j in range(min(columns, grad_padded.shape[1])):
            grad_padded[i, j] = np.sum(full[i:i + k, j:j + k] * rotated)
    return dilated, grad_padded[pad:pad + input_shape[0], pad:pad + input_shape[1]]
