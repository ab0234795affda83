"""The textbook engine: the layers that differ from the paper's loops, run on those loops.

`Network(architecture, engine="textbook")` builds these in place of the fast layers and
wires no fusion between layers, so every conv, pool and dense layer computes exactly the
equations of `reference.py`, one multiply-add at a time: slow, and the same numbers.
Activations, flatten, dropout and batch norm are already written as their equations.
"""

from __future__ import annotations

import numpy as np

from .conv import reference
from .layers import AvgPool2D, Conv2D, Dense, Layer, MaxPool2D


class TextbookConv2D(Conv2D):
    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        self._x = x = np.ascontiguousarray(x, dtype=self.dtype)
        return reference.conv2d_forward(x, self.params["weight"], self.params["bias"],
                                        self.stride, self.padding)

    def backward(self, grad_y: np.ndarray, need_grad_x: bool) -> np.ndarray | None:
        x, weight = self._x, self.params["weight"]
        grad_y = np.ascontiguousarray(grad_y, dtype=self.dtype)
        self.grads["weight"][...] = reference.conv2d_weight_gradient(
            x, grad_y, self.kernel, self.stride, self.padding)
        self.grads["bias"][...] = reference.conv2d_bias_gradient(grad_y)
        if not need_grad_x:
            return None
        return reference.conv2d_input_gradient(grad_y, weight, self.stride, self.padding,
                                               x.shape[2], x.shape[3])


class TextbookMaxPool2D(MaxPool2D):
    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=self.dtype)
        self._input_batch_shape = x.shape
        self.out, self.argmax = reference.maxpool2d_forward(x, self.size, self.stride)
        return self.out

    def backward(self, grad_y: np.ndarray, need_grad_x: bool) -> np.ndarray | None:
        if not need_grad_x:
            return None
        return reference.maxpool2d_backward(np.ascontiguousarray(grad_y, dtype=self.dtype),
                                            self.argmax, *self._input_batch_shape[2:])


class TextbookAvgPool2D(AvgPool2D):
    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=self.dtype)
        self._input_batch_shape = x.shape
        return reference.avgpool2d_forward(x, self.size, self.stride)

    def backward(self, grad_y: np.ndarray, need_grad_x: bool) -> np.ndarray | None:
        if not need_grad_x:
            return None
        return reference.avgpool2d_backward(np.ascontiguousarray(grad_y, dtype=self.dtype),
                                            self.size, self.stride,
                                            *self._input_batch_shape[2:])


class TextbookDense(Dense):
    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        self._x = np.ascontiguousarray(x, dtype=self.dtype)
        return reference.dense_forward(self._x, self.params["weight"], self.params["bias"])

    def backward(self, grad_y: np.ndarray, need_grad_x: bool) -> np.ndarray | None:
        grad_w, grad_b, grad_x = reference.dense_backward(
            self._x, self.params["weight"], np.ascontiguousarray(grad_y, dtype=self.dtype))
        self.grads["weight"][...], self.grads["bias"][...] = grad_w, grad_b
        return grad_x if need_grad_x else None


TEXTBOOK_CLASSES: dict[str, type[Layer]] = {
    cls.kind: cls for cls in (TextbookConv2D, TextbookMaxPool2D, TextbookAvgPool2D,
                              TextbookDense)
}
