"""Every dataset source behind one function: MNIST, Fashion-MNIST, CIFAR-10, a folder,
synthetic."""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from .cifar import is_cifar_folder, load_cifar_folder
from .dataset import Dataset
from .download import CIFAR10, FASHION_MNIST, MNIST, Progress, RemoteDataset, cache_dir, fetch
from .idx_folder import FILES as IDX_FILES
from .idx_folder import load_idx_folder

REMOTE: dict[str, RemoteDataset] = {MNIST.key: MNIST, FASHION_MNIST.key: FASHION_MNIST,
                                    CIFAR10.key: CIFAR10}
SOURCES = ("mnist", "fashion-mnist", "cifar10", "synthetic", "folder")
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot"]


def is_cached(source: str) -> bool:
    """True when the remote dataset's files are already in the cache."""
    folder = cache_dir() / REMOTE[source].key
    return all((folder / name).is_file() for name in REMOTE[source].checksums)


def load_dataset(source: str, folder: str | os.PathLike | None = None, *,
                 mirror: str | None = None, progress: Progress | None = None,
                 cancelled: Callable[[], bool] | None = None,
                 image_shape: tuple[int, int, int] = (1, 28, 28)) -> Dataset:
    """The dataset `source` names; `folder` is required for "folder".

    A folder holds the four MNIST IDX files, the CIFAR-10 binary batches, or images in
    one sub-folder per class, which are converted and resized to `image_shape` (the
    network's input).
    Remote sources are downloaded on first use into the user's cache.
    """
    from .image_folder import is_image_folder, load_image_folder  # Pillow: when needed
    from .synthetic import synthetic_dataset  # Numba: when needed

    if source == "folder":
        if folder is None:
            raise ValueError("a folder dataset needs the folder's path")
        if is_image_folder(folder) or _holds_only_folders(Path(folder)):
            return load_image_folder(folder, image_shape, progress=progress,
                                     cancelled=cancelled)  # says what the classes lack
        if is_cifar_folder(folder):
            return load_cifar_folder(folder)
        return load_idx_folder(folder)
    if source == "synthetic":
        return synthetic_dataset()
    if source not in REMOTE:
        raise ValueError(f"unknown dataset {source!r}; choose one of {', '.join(SOURCES)}")
    remote = REMOTE[source]
    path = fetch(remote, mirror=mirror, progress=progress, cancelled=cancelled)
    if source == "cifar10":
        return load_cifar_folder(path, name=remote.name)
    dataset = load_idx_folder(path, name=remote.name)
    if source == "fashion-mnist":
        return Dataset(dataset.name, dataset.train_images, dataset.train_labels,
                       dataset.test_images, dataset.test_labels, classes=FASHION_CLASSES)
    return dataset


def _holds_only_folders(folder: Path) -> bool:
    """Sub-folders and no IDX file: meant as an image folder, whatever its files are."""
    try:
        children = list(folder.iterdir()) if folder.is_dir() else []
    except OSError:
        return False
    names = {child.name.removesuffix(".gz") for child in children}
    return (any(child.is_dir() and not child.name.startswith(".") for child in children)
            and not names & set(IDX_FILES.values()))


def default_source() -> str:
    """MNIST when it is cached (no network needed), synthetic digits otherwise."""
    return "mnist" if is_cached("mnist") else "synthetic"


def folder_files(folder: str | os.PathLike) -> list[Path]:
    """Every file a folder dataset may read (the IDX names, each class folder's files), so
    that no output of a command can overwrite one."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    files = [folder / f"{stem}{ext}" for stem in IDX_FILES.values() for ext in ("", ".gz")]
    with suppress(OSError):  # unreadable: loading the dataset will say so
        files += [f for child in folder.iterdir() if child.is_dir() for f in child.iterdir()]
    return files
