"""Datasets: IDX files, the download cache, a folder of IDX files, synthetic digits."""

from .catalogue import SOURCES, default_source, is_cached, load_dataset
from .dataset import Dataset
from .download import DownloadCancelled, fetch
from .idx import DataError, read_idx, write_idx
from .idx_folder import load_idx_folder
from .synthetic import synthetic_dataset, synthetic_digits

__all__ = [
    "SOURCES", "DataError", "Dataset", "DownloadCancelled", "default_source", "fetch",
    "is_cached", "load_dataset", "load_idx_folder", "read_idx", "synthetic_dataset",
    "synthetic_digits", "write_idx",
]
