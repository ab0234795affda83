"""Read a folder of CIFAR-10 binary batches (the "binary version", never the pickled one).

Each batch file is a run of 3073-byte records: one label byte (0–9), then the
3×32×32 pixels, the red plane, the green plane, the blue plane, each row by
row. `data_batch_1.bin` … `data_batch_5.bin` are the 50,000 training images,
`test_batch.bin` the 10,000 test images.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .dataset import Dataset
from .idx import DataError

TRAIN_BATCHES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_BATCH = "test_batch.bin"
BATCHES = (*TRAIN_BATCHES, TEST_BATCH)
SHAPE = (3, 32, 32)
RECORD = 1 + 3 * 32 * 32
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
           "truck"]


def is_cifar_folder(folder: str | os.PathLike) -> bool:
    """True when the folder holds any CIFAR-10 binary batch (or the pickled ones, to refuse)."""
    folder = Path(folder)
    return any((folder / name).is_file() or (folder / name.removesuffix(".bin")).is_file()
               for name in BATCHES)


def read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images (N, 3, 32, 32) and int64 labels of one batch file."""
    if not path.is_file():
        pickled = path.with_suffix("")
        hint = (f" ({pickled.name} is the pickled Python version, which is never loaded: "
                "download the binary version, cifar-10-binary.tar.gz)") if pickled.is_file() else ""
        raise DataError(f"{path.parent}: missing {path.name}{hint} — the folder needs the six "
                        f"CIFAR-10 binary batches ({', '.join(BATCHES)})")
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as error:
        raise DataError(f"{path}: cannot be read ({error.strerror})") from None
    if data.size == 0:
        raise DataError(f"{path}: the file is empty — extract the batch again")
    if data.size % RECORD:
        raise DataError(f"{path}: truncated — {data.size} bytes is not a whole number of "
                        f"{RECORD}-byte records (a label byte and 3×32×32 pixels); extract or "
                        "download the archive again")
    records = data.reshape(-1, RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() >= len(CLASSES):
        first = int(np.argmax(labels >= len(CLASSES)))
        raise DataError(f"{path}: record {first} has label {labels[first]}, but CIFAR-10 labels "
                        "are 0–9 — not a CIFAR-10 binary batch")
    return records[:, 1:].reshape(-1, *SHAPE).copy(), labels


def load_cifar_folder(folder: str | os.PathLike, name: str | None = None) -> Dataset:
    """The dataset in `folder`; every problem raises `DataError` naming the file."""
    folder = Path(folder)
    train = [read_batch(folder / batch) for batch in TRAIN_BATCHES]
    test_images, test_labels = read_batch(folder / TEST_BATCH)
    return Dataset(name or folder.name, np.concatenate([images for images, _ in train]),
                   np.concatenate([labels for _, labels in train]), test_images, test_labels,
                   classes=CLASSES)
