from __future__ import annotations

import numpy as np

from studio.data import synthetic_digits


def test_synthetic_digits_are_deterministic_balanced_and_inked():
    images, labels = synthetic_digits(200, seed=3)
    again, _ = synthetic_digits(200, seed=3)
    other, _ = synthetic_digits(200, seed=4)
    np.testing.assert_array_equal(images, again)
    assert not np.array_equal(images, other)
    assert images.shape == (200, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [20] * 10
    ink = (images > 128).mean(axis=(1, 2))
    assert np.all(ink > 0.03) and np.all(ink < 0.4)
    # the border stays dark, as in MNIST
    assert images[:, :2].mean() < 10


def test_digit_classes_differ_on_average():
    images, labels = synthetic_digits(500)
    means = np.stack([images[labels == d].mean(axis=0) for d in range(10)])
    distances = np.abs(means[:, None] - means[None]).mean(axis=(2, 3))
    assert distances[~np.eye(10, dtype=bool)].min() > 5
