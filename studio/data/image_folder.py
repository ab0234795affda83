"""Your own images: a folder with one sub-folder per class, as a dataset.

`digits/cat/001.png`, `digits/dog/002.jpg`, … Each image is converted to the
network's channels (grayscale or RGB) and resized to its input size; a fixed
share of each class (stratified, seeded) becomes the test set. Pillow decodes
the files, so any PNG, JPEG, BMP or GIF it reads works.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # Pillow is imported when an image is read, not with the package
    from PIL import Image

from .dataset import Dataset, LoadingCancelled
from .idx import DataError

SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
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


def _images(folder: Path) -> list[Path]:
    """The image files of one class folder, sorted: regular files only (a FIFO or a device
    named x.png would block the reader for ever)."""
    return sorted(f for f in folder.iterdir() if f.suffix.lower() in SUFFIXES and f.is_file())


def is_image_folder(folder: str | os.PathLike) -> bool:
    folder = Path(folder)
    try:
        return folder.is_dir() and any(child.is_dir() and _images(child)
                                       for child in folder.iterdir())
    except OSError:
        return False


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
    files = [_images(folder / name) for name in classes]
    for name, found in zip(classes, files):
        if not found:
            others = sorted({f.suffix.lower() for f in (folder / name).iterdir()
                             if f.suffix and f.suffix.lower() not in SUFFIXES})
            seen = f"; it holds {', '.join(others[:5])} files" if others else ""
            raise DataError(f"{folder / name}: holds no images ({', '.join(SUFFIXES)}){seen} "
                            "— add or convert some, or remove the folder")
    return ImageFolder(folder, classes, files)


def _as_shown(image: Image.Image) -> Image.Image:
    """The image as a viewer shows it, in 8 bits: 16- and 32-bit grey scaled down (not
    clipped to 0/255), transparency composited onto white."""
    from PIL import Image

    if image.mode.startswith("I;16") or image.mode in ("I", "F"):
        values = np.asarray(image, dtype=np.float64)
        if image.mode == "F":  # floats: [0, 1] or already [0, 255]
            full = 1.0 if values.max() <= 1 else 255.0
        else:  # 16-bit samples (PNG grey opens as I;16 or, in older Pillow, as I)
            full = 65535.0 if image.mode != "I" or values.max() > 255 else 255.0
        scaled = np.clip(values / full * 255, 0, 255).round().astype(np.uint8)
        return Image.fromarray(scaled, "L")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, image.convert("RGBA")).convert("RGB")
    return image


def read_image(path: Path, shape: tuple[int, int, int]) -> np.ndarray:
    """One image as uint8 (C, H, W): converted to `shape`'s channels, resized to its size."""
    from PIL import Image, UnidentifiedImageError

    channels, height, width = shape
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                converted = _as_shown(image).convert("L" if channels == 1 else "RGB")
                resized = converted.resize((width, height), Image.Resampling.BILINEAR)
                array = np.asarray(resized, dtype=np.uint8)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DataError(f"{path}: has too many pixels to be read safely (over "
                        f"{Image.MAX_IMAGE_PIXELS:,}) — shrink it or remove it") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as error:
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
