"""Load a folder holding the four standard MNIST IDX files (plain or .gz)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .dataset import Dataset
from .idx import DataError, read_idx

FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def find_file(folder: Path, stem: str) -> Path:
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    raise DataError(f"{folder}: missing {stem}[.gz] — the folder needs the four MNIST IDX files "
                    f"({', '.join(FILES.values())})")


def _check_pair(images: np.ndarray, labels: np.ndarray, images_path: Path, labels_path: Path,
                classes: int) -> None:
    if images.ndim not in (3, 4) or images.dtype != np.uint8:
        raise DataError(f"{images_path}: expected uint8 images of shape (N, H, W), found "
                        f"{images.dtype} of shape {images.shape}")
    if labels.ndim != 1:
        raise DataError(f"{labels_path}: expected one label per image, found shape "
                        f"{labels.shape}")
    if len(images) != len(labels):
        raise DataError(f"{labels_path}: {len(labels)} labels for {len(images)} images in "
                        f"{images_path.name} — the two files do not belong together")
    if len(labels) and (labels.min() < 0 or labels.max() >= classes):
        raise DataError(f"{labels_path}: labels must be 0–{classes - 1}, found "
                        f"{int(labels.min())}…{int(labels.max())}")


def load_idx_folder(folder: str | os.PathLike, name: str | None = None,
                    classes: int = 10) -> Dataset:
    """The dataset in `folder`; every problem raises `DataError` naming the file."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder — give a folder holding the four MNIST IDX "
                        "files")
    paths = {key: find_file(folder, stem) for key, stem in FILES.items()}
    arrays = {key: read_idx(path) for key, path in paths.items()}
    for split in ("train", "test"):
        _check_pair(arrays[f"{split}_images"], arrays[f"{split}_labels"],
                    paths[f"{split}_images"], paths[f"{split}_labels"], classes)
    if not len(arrays["train_images"]):
        raise DataError(f"{paths['train_images']}: holds no images — a training set needs some")
    train_shape = arrays["train_images"].shape[1:]
    test_shape = arrays["test_images"].shape[1:]
    if train_shape != test_shape:
        raise DataError(f"{paths['test_images']}: test images are {test_shape} but training "
                        f"images are {train_shape}")
    return Dataset(name or folder.name, arrays["train_images"],
                   arrays["train_labels"].astype(np.int64), arrays["test_images"],
                   arrays["test_labels"].astype(np.int64))
