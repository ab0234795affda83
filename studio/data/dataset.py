"""A labelled dataset split into training and test images, as every source yields it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


class LoadingCancelled(Exception):
    """The user stopped a dataset while it was loading."""


@dataclass(frozen=True)
class Dataset:
    """uint8 images (N, H, W) or (N, C, H, W) and int64 labels, for training and test."""

    name: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    classes: list[str] = field(default_factory=lambda: [str(d) for d in range(10)])
    note: str = ""  # shown to the user, e.g. "synthetic digits, not MNIST"

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(channels, height, width) of one image."""
        shape = self.train_images.shape[1:]
        return (1, *shape) if len(shape) == 2 else tuple(shape)  # type: ignore[return-value]

    def describe(self) -> str:
        c, h, w = self.image_shape
        return (f"{self.name}: {len(self.train_images)} training and {len(self.test_images)} "
                f"test images of {c}×{h}×{w}, {len(self.classes)} classes")
