"""Datasets: IDX files, CIFAR-10 batches, the download cache, folders, synthetic digits.

Each name is imported from its module on first use: the synthetic digits' renderer
needs Numba and downloads need pooch, neither of which the window needs to open.
"""

from studio.engine.lazy_exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(__name__, {
    "catalogue": ("SOURCES", "default_source", "folder_files", "is_cached", "load_dataset"),
    "cifar": ("is_cifar_folder", "load_cifar_folder"),
    "dataset": ("Dataset", "LoadingCancelled"),
    "download": ("DownloadCancelled", "DownloadFailed", "fetch"),
    "idx": ("DataError", "read_idx", "write_idx"),
    "idx_folder": ("load_idx_folder",),
    "image_folder": ("ImageFolder", "is_image_folder", "load_image_folder", "read_image",
                     "scan_image_folder"),
    "synthetic": ("synthetic_dataset", "synthetic_digits"),
})
