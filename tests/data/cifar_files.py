"""Small synthetic CIFAR-10 binary batches and the official archive's layout, for tests."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import numpy as np

from studio.data.cifar import BATCHES, RECORD

PER_BATCH = 12


def records(count: int, seed: int) -> bytes:
    """`count` CIFAR-10 records: a label byte 0–9, then 3072 random pixel bytes."""
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, 256, (count, RECORD), dtype=np.uint8)
    rows[:, 0] = np.arange(count) % 10
    return rows.tobytes()


def write_batches(folder: Path) -> Path:
    """Six small batches in `folder`, as the official archive extracts them."""
    folder.mkdir(parents=True)
    for seed, name in enumerate(BATCHES):
        (folder / name).write_bytes(records(PER_BATCH, seed))
    return folder


def archive(folder: Path) -> bytes:
    """cifar-10-binary.tar.gz's layout: the batches under cifar-10-batches-bin/, a readme."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in sorted(folder.iterdir()):
            tar.add(path, arcname=f"cifar-10-batches-bin/{path.name}")
        readme = tarfile.TarInfo("cifar-10-batches-bin/readme.html")
        readme.size = 5
        tar.addfile(readme, io.BytesIO(b"hello"))
    return buffer.getvalue()
