"""Datasets: IDX files, CIFAR-10 batches, the download cache, folders, synthetic digits."""

from .catalogue import SOURCES, default_source, folder_files, is_cached, load_dataset
from .cifar import is_cifar_folder, load_cifar_folder
from .dataset import Dataset, LoadingCancelled
from .download import DownloadCancelled, fetch
from .idx import DataError, read_idx, write_idx
from .idx_folder import load_idx_folder
from .image_folder import (
    ImageFolder,
    is_image_folder,
    load_image_folder,
    read_image,
    scan_image_folder,
)
from .synthetic import synthetic_dataset, synthetic_digits

__all__ = [
    "SOURCES", "DataError", "Dataset", "DownloadCancelled", "ImageFolder", "LoadingCancelled",
    "default_source", "fetch", "folder_files", "is_cached", "is_cifar_folder", "is_image_folder",
    "load_cifar_folder", "load_dataset", "load_idx_folder", "load_image_folder", "read_idx",
    "read_image", "scan_image_folder", "synthetic_dataset", "synthetic_digits", "write_idx",
]
