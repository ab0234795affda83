"""Your own images, one sub-folder per class: converted, resized, split, refused clearly."""

from __future__ import annotations

import numpy as np
import pytest

from studio.data import DataError, LoadingCancelled, load_dataset, scan_image_folder


def test_a_folder_of_classes_becomes_a_grayscale_dataset(colour_folder):
    dataset = load_dataset("folder", colour_folder)
    assert dataset.classes == ["blue", "green", "red"]
    assert dataset.train_images.shape == (24, 28, 28) and dataset.test_images.shape == (6, 28, 28)
    assert np.bincount(dataset.test_labels).tolist() == [2, 2, 2]  # 20 % of each class
    assert dataset.train_images.dtype == np.uint8
    assert "30 images in 3 classes: blue 10, green 10, red 10" in dataset.note


def test_rgb_input_keeps_the_colours(colour_folder):
    dataset = load_dataset("folder", colour_folder, image_shape=(3, 16, 12))
    assert dataset.image_shape == (3, 16, 12)
    means = dataset.train_images.mean(axis=(2, 3))  # (N, 3)
    for label, channel in ((0, 2), (1, 1), (2, 0)):  # blue, green, red
        assert (means[dataset.train_labels == label].argmax(axis=1) == channel).all()


def test_the_split_is_reproducible(colour_folder):
    first = load_dataset("folder", colour_folder)
    second = load_dataset("folder", colour_folder)
    np.testing.assert_array_equal(first.test_images, second.test_images)


@pytest.mark.parametrize(("make", "message"), [
    (lambda root: root / "missing", "no such folder"),
    (lambda root: (root / "only").mkdir() or root, "at least two classes"),
    (lambda root: ([(root / n).mkdir() for n in "ab"] and (root / "a" / "x.png").write_bytes(b""))
     or root, "b: holds no images"),
])
def test_unusable_folders_are_refused_with_the_reason(tmp_path, make, message):
    with pytest.raises(DataError, match=message):
        scan_image_folder(make(tmp_path))


def test_a_broken_image_is_named(colour_folder):
    (colour_folder / "red" / "broken.png").write_bytes(b"not a png at all")
    with pytest.raises(DataError, match=r"broken.png: not a readable image"):
        load_dataset("folder", colour_folder)


def test_loading_can_be_cancelled(colour_folder):
    with pytest.raises(LoadingCancelled):
        load_dataset("folder", colour_folder, cancelled=lambda: True)


def test_only_grayscale_or_rgb_inputs_can_take_images(colour_folder):
    with pytest.raises(DataError, match="1 .grayscale. or 3 .RGB. input channels, not 2"):
        load_dataset("folder", colour_folder, image_shape=(2, 28, 28))
