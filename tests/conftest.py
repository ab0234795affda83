"""Shared fixtures: the MNIST folder in ../shared (skipped when absent), small datasets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
MNIST_DIR = ROOT.parent / "shared" / "data" / "mnist"


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    if not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"real MNIST not found in {MNIST_DIR}")
    return MNIST_DIR


@pytest.fixture(scope="session")
def mnist(mnist_dir):
    from studio.data import load_idx_folder

    return load_idx_folder(mnist_dir)


@pytest.fixture(scope="session")
def synthetic():
    from studio.data import synthetic_dataset

    return synthetic_dataset(train=2000, test=500)
