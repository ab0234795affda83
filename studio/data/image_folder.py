"""Your own images: a folder with one sub-folder per class, as a dataset.

`digits/cat/001.png`, `digits/dog/002.jpg`, … Each image is converted to the
network's channels (grayscale or RGB) and resized to its input size; a fixed
share of each class (stratified, seeded) becomes the test set. Pillow decodes
the files, so any PNG, JPEG, BMP or GIF it reads works.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from .dataset import Dataset, LoadingCancelled
from .idx import DataError

SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
TEST_FRACTION = 0.2


@dataclass(frozen=True)
class ImageFolder:
    """What a folder holds, before anything is decoded: for the preview."""

    path: Path
    classes: list[str]
    files: list[list[Path]]  # per class, sorted

    @property
    def counts(self) -> list[int]:
        return [len(files) for files in self.files]

    def describe(self) -> str:
        listing = ", ".join(f"{name} {count}" for name, count in zip(self.classes, self.counts))
        return f"{sum(self.counts)} images in {len(self.classes)} classes: {listing}"


def is_image_folder(folder: str | os.PathLike) -> bool:
    folder = Path(folder)
    return folder.is_dir() and any(
        child.is_dir() and any(f.suffix.lower() in SUFFIXES for f in child.iterdir())
        for child in folder.iterdir())


def scan_image_folder(folder: str | os.PathLike) -> ImageFolder:
    """The classes (sub-folder names, sorted) and their image files; refuses, with the
    reason, a folder that is missing, has no class folders, or has an empty class."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder")
    classes = sorted(child.name for child in folder.iterdir()
                     if child.is_dir() and not child.name.startswith("."))
    if len(classes) < 2:
        raise DataError(f"{folder}: needs one sub-folder of images per class (at least two "
                        f"classes), found {len(classes)}")
    files = [sorted(f for f in (folder / name).iterdir() if f.suffix.lower() in SUFFIXES)
             for name in classes]
    for name, found in zip(classes, files):
        if not found:
            raise DataError(f"{folder / name}: holds no images ({', '.join(SUFFIXES)}) — "
                            "add some or remove the folder")
    return ImageFolder(folder, classes, files)


def read_image(path: Path, shape: tuple[int, int, int]) -> np.ndarray:
    """One image as uint8 (C, H, W): converted to `shape`'s channels, resized to its size."""
    channels, height, width = shape
    try:
        with Image.open(path) as image:
            converted = image.convert("L" if channels == 1 else "RGB")
            resized = converted.resize((width, height), Image.Resampling.BILINEAR)
            array = np.asarray(resized, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise DataError(f"{path}: not a readable image ({error.__class__.__name__}) — "
                        "remove or replace it") from None
    return array[None] if channels == 1 else array.transpose(2, 0, 1)


def load_image_folder(folder: str | os.PathLike, shape: tuple[int, int, int] = (1, 28, 28),
                      seed: int = 0, progress: Callable[[str, int, int], None] | None = None,
                      cancelled: Callable[[], bool] | None = None) -> Dataset:
    """The images of `folder` as a dataset of `shape` (channels 1 or 3)."""
    if shape[0] not in (1, 3):
        raise DataError(f"images can feed a network with 1 (grayscale) or 3 (RGB) input "
                        f"channels, not {shape[0]}")
    scanned = scan_image_folder(folder)
    total = sum(scanned.counts)
    images = np.empty((total, *shape), np.uint8)
    labels = np.empty(total, np.int64)
    is_test = np.zeros(total, bool)
    rng = np.random.default_rng(seed)
    done = 0
    for label, files in enumerate(scanned.files):
        tests = min(len(files) - 1, round(len(files) * TEST_FRACTION)) if len(files) > 1 else 0
        chosen = set(rng.choice(len(files), size=tests, replace=False).tolist())
        for i, path in enumerate(files):
            if cancelled is not None and cancelled():
                raise LoadingCancelled(str(folder))
            images[done] = read_image(path, shape)
            labels[done], is_test[done] = label, i in chosen
            done += 1
            if progress is not None and done % 64 == 0:
                progress(f"reading {scanned.path.name}", done, total)
    squeeze = (lambda a: a[:, 0]) if shape[0] == 1 else (lambda a: a)
    return Dataset(scanned.path.name, squeeze(images[~is_test]), labels[~is_test],
                   squeeze(images[is_test]), labels[is_test], classes=scanned.classes,
                   note=f"Your images: {scanned.describe()}, resized to "
                        f"{shape[1]}×{shape[2]}.")
