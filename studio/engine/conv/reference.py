"""The paper's equations as plain loops: the textbook every fast path is tested against.

Notation. A batch of images X has shape (N, C, H, W): sample n, channel j, row r,
column c. A convolution has F filters K of shape (F, C, k, k), biases B (F,), stride s
and padding p (zeros around each map). Its output Y has shape (N, F, H_o, W_o) with

    H_o = ⌊(H + 2p − k)/s⌋ + 1,    W_o = ⌊(W + 2p − k)/s⌋ + 1.

"⋆" is cross-correlation (what deep learning calls convolution): the kernel slides over
the image without being flipped. Every function reads like the equation in its
docstring, one multiply-add at a time; `@njit` only compiles the loops as written, so
a learner can run them on real networks (`--engine textbook`) and get the same numbers
as the fast kernels, which `tests/engine/test_reference.py` checks path by path.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """W_o = ⌊(W_i + 2p − f)/s⌋ + 1."""
    return (size + 2 * padding - kernel) // stride + 1


@njit(cache=True, nogil=True)
def padded_pixel(x, n, j, r, c, padding):
    """X_pad[n, j, r, c]: the input with p rows and columns of zeros around each map."""
    r, c = r - padding, c - padding
    if 0 <= r < x.shape[2] and 0 <= c < x.shape[3]:
        return x[n, j, r, c]
    return 0.0


@njit(cache=True, nogil=True)
def conv2d_forward(x, weight, bias, stride, padding):
    """Y_i = B_i + Σ_j X_j ⋆ K_ij, that is

    Y[n, i, a, b] = B[i] + Σ_j Σ_u Σ_v X_pad[n, j, s·a + u, s·b + v] · K[i, j, u, v].
    """
    samples, channels = x.shape[0], x.shape[1]
    filters, kernel = weight.shape[0], weight.shape[2]
    out_h = output_size(x.shape[2], kernel, stride, padding)
    out_w = output_size(x.shape[3], kernel, stride, padding)
    y = np.empty((samples, filters, out_h, out_w), x.dtype)
    for n in range(samples):
        for i in range(filters):
            for a in range(out_h):
                for b in range(out_w):
                    total = bias[i]
                    for j in range(channels):
                        for u in range(kernel):
                            for v in range(kernel):
                                total += (padded_pixel(x, n, j, stride * a + u, stride * b + v,
                                                       padding) * weight[i, j, u, v])
                    y[n, i, a, b] = total
    return y


@njit(cache=True, nogil=True)
def conv2d_weight_gradient(x, grad_y, kernel, stride, padding):
    """dL/dK_ij = X_j ⋆ dL/dY_i (the input correlated with the output's gradient), that is

    dL/dK[i, j, u, v] = Σ_n Σ_a Σ_b X_pad[n, j, s·a + u, s·b + v] · dL/dY[n, i, a, b].
    """
    samples, channels, filters = x.shape[0], x.shape[1], grad_y.shape[1]
    out_h, out_w = grad_y.shape[2], grad_y.shape[3]
    grad_k = np.zeros((filters, channels, kernel, kernel), x.dtype)
    for i in range(filters):
        for j in range(channels):
            for u in range(kernel):
                for v in range(kernel):
                    total = 0.0
                    for n in range(samples):
                        for a in range(out_h):
                            for b in range(out_w):
                                total += (padded_pixel(x, n, j, stride * a + u, stride * b + v,
                                                       padding) * grad_y[n, i, a, b])
                    grad_k[i, j, u, v] = total
    return grad_k


@njit(cache=True, nogil=True)
def conv2d_bias_gradient(grad_y):
    """dL/dB_i = Σ dL/dY_i: every output of filter i adds its bias once."""
    grad_b = np.zeros(grad_y.shape[1], grad_y.dtype)
    for n in range(grad_y.shape[0]):
        for i in range(grad_y.shape[1]):
            for a in range(grad_y.shape[2]):
                for b in range(grad_y.shape[3]):
                    grad_b[i] += grad_y[n, i, a, b]
    return grad_b


@njit(cache=True, nogil=True)
def dilate(grad_y, stride):
    """dL/dY with s − 1 zeros between neighbouring values: where a stride skipped inputs."""
    samples, filters, out_h, out_w = grad_y.shape
    dilated = np.zeros((samples, filters, (out_h - 1) * stride + 1, (out_w - 1) * stride + 1),
                       grad_y.dtype)
    for n in range(samples):
        for i in range(filters):
            for a in range(out_h):
                for b in range(out_w):
                    dilated[n, i, stride * a, stride * b] = grad_y[n, i, a, b]
    return dilated


@njit(cache=True, nogil=True)
def conv2d_input_gradient(grad_y, weight, stride, padding, height, width):
    """dL/dX_j = Σ_i dilate(dL/dY_i, s − 1) full-convolved with rot180(K_ij), then cropped.

    The full convolution pads the dilated gradient D with k − 1 zeros on every side and
    correlates it with the kernel rotated by 180°:
    G[n, j, r, c] = Σ_i Σ_u Σ_v D_pad[n, i, r + u, c + v] · K[i, j, k−1−u, k−1−v].
    G is the gradient of the padded input; dL/dX drops its p outer rows and columns
    (and is zero for rows a stride never reached).
    """
    dilated = dilate(grad_y, stride)
    samples, filters = grad_y.shape[0], grad_y.shape[1]
    channels, kernel = weight.shape[1], weight.shape[2]
    full_h, full_w = dilated.shape[2] + kernel - 1, dilated.shape[3] + kernel - 1
    grad_x = np.zeros((samples, channels, height, width), grad_y.dtype)
    for n in range(samples):
        for j in range(channels):
            for r in range(height):
                for c in range(width):
                    if r + padding >= full_h or c + padding >= full_w:
                        continue  # the last rows or columns the stride never reached
                    total = 0.0
                    for i in range(filters):
                        for u in range(kernel):
                            for v in range(kernel):
                                total += (padded_pixel(dilated, n, i, r + padding + u,
                                                       c + padding + v, kernel - 1)
                                          * weight[i, j, kernel - 1 - u, kernel - 1 - v])
                    grad_x[n, j, r, c] = total
    return grad_x


@njit(cache=True, nogil=True)
def maxpool2d_forward(x, size, stride):
    """P[n, j, a, b] = max over the window X[n, j, s·a : s·a + size, s·b : s·b + size], and
    where that maximum is (its row·W + column: the first, if several are equal)."""
    samples, channels, height, width = x.shape
    out_h, out_w = output_size(height, size, stride, 0), output_size(width, size, stride, 0)
    pooled = np.empty((samples, channels, out_h, out_w), x.dtype)
    argmax = np.empty((samples, channels, out_h, out_w), np.int32)
    for n in range(samples):
        for j in range(channels):
            for a in range(out_h):
                for b in range(out_w):
                    best, where = x[n, j, stride * a, stride * b], stride * a * width + stride * b
                    for u in range(size):
                        for v in range(size):
                            value = x[n, j, stride * a + u, stride * b + v]
                            if value > best:
                                best, where = value, (stride * a + u) * width + stride * b + v
                    pooled[n, j, a, b], argmax[n, j, a, b] = best, where
    return pooled, argmax


@njit(cache=True, nogil=True)
def maxpool2d_backward(grad_p, argmax, height, width):
    """dL/dX = dL/dP routed to each window's arg-max (every other input of it gets 0)."""
    samples, channels, out_h, out_w = grad_p.shape
    grad_x = np.zeros((samples, channels, height, width), grad_p.dtype)
    for n in range(samples):
        for j in range(channels):
            for a in range(out_h):
                for b in range(out_w):
                    where = argmax[n, j, a, b]
                    grad_x[n, j, where // width, where % width] += grad_p[n, j, a, b]
    return grad_x


@njit(cache=True, nogil=True)
def avgpool2d_forward(x, size, stride):
    """P[n, j, a, b] = (1/size²) Σ_u Σ_v X[n, j, s·a + u, s·b + v]."""
    samples, channels, height, width = x.shape
    out_h, out_w = output_size(height, size, stride, 0), output_size(width, size, stride, 0)
    pooled = np.zeros((samples, channels, out_h, out_w), x.dtype)
    for n in range(samples):
        for j in range(channels):
            for a in range(out_h):
                for b in range(out_w):
                    for u in range(size):
                        for v in range(size):
                            pooled[n, j, a, b] += x[n, j, stride * a + u, stride * b + v]
                    pooled[n, j, a, b] /= size * size
    return pooled


@njit(cache=True, nogil=True)
def avgpool2d_backward(grad_p, size, stride, height, width):
    """dL/dX: each window's dL/dP spread evenly, dL/dP / size², over its size² inputs."""
    samples, channels, out_h, out_w = grad_p.shape
    grad_x = np.zeros((samples, channels, height, width), grad_p.dtype)
    for n in range(samples):
        for j in range(channels):
            for a in range(out_h):
                for b in range(out_w):
                    share = grad_p[n, j, a, b] / (size * size)
                    for u in range(size):
                        for v in range(size):
                            grad_x[n, j, stride * a + u, stride * b + v] += share
    return grad_x


@njit(cache=True, nogil=True)
def dense_forward(x, weight, bias):
    """y[n, o] = b[o] + Σ_i W[o, i] · x[n, i]."""
    y = np.empty((x.shape[0], weight.shape[0]), x.dtype)
    for n in range(x.shape[0]):
        for o in range(weight.shape[0]):
            total = bias[o]
            for i in range(weight.shape[1]):
                total += weight[o, i] * x[n, i]
            y[n, o] = total
    return y


@njit(cache=True, nogil=True)
def dense_backward(x, weight, grad_y):
    """dL/dW[o, i] = Σ_n dL/dy[n, o] · x[n, i];  dL/db[o] = Σ_n dL/dy[n, o];
    dL/dx[n, i] = Σ_o dL/dy[n, o] · W[o, i]."""
    samples, outputs, inputs = x.shape[0], weight.shape[0], weight.shape[1]
    grad_w = np.zeros((outputs, inputs), x.dtype)
    grad_b = np.zeros(outputs, x.dtype)
    grad_x = np.zeros((samples, inputs), x.dtype)
    for n in range(samples):
        for o in range(outputs):
            grad_b[o] += grad_y[n, o]
            for i in range(inputs):
                grad_w[o, i] += grad_y[n, o] * x[n, i]
                grad_x[n, i] += grad_y[n, o] * weight[o, i]
    return grad_w, grad_b, grad_x
