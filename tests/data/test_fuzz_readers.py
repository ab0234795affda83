"""Fuzzing the dataset readers: IDX files (plain and gzip) and image folders.

Whatever the bytes, a reader returns or raises `DataError` naming the file, within
the time and memory bound of `tests.bounded` — never another exception.
"""

from __future__ import annotations

import gzip
import io
import struct

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from studio.data import DataError, load_dataset, read_idx
from tests.bounded import read_or_refuse

FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

headers = st.builds(
    lambda code, dims, body: bytes([0, 0, code, len(dims)]) + struct.pack(
        f">{len(dims)}I", *dims) + body,
    st.sampled_from([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x42]),
    st.lists(st.integers(0, 2**32 - 1) | st.integers(0, 6), max_size=5),
    st.binary(max_size=256))


@FUZZ
@given(content=headers | st.binary(max_size=512), compress=st.booleans(),
       suffix=st.sampled_from(["", ".gz"]))
def test_idx_reader_with_any_bytes(tmp_path, content, compress, suffix):
    path = tmp_path / f"train-images-idx3-ubyte{suffix}"
    path.write_bytes(gzip.compress(content) if compress else content)
    read_or_refuse(read_idx, path, DataError)


def png(size: tuple[int, int], mode: str) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, "PNG")
    return buffer.getvalue()


image_bytes = (st.binary(max_size=200)
               | st.builds(png, st.tuples(st.integers(1, 40), st.integers(1, 40)),
                           st.sampled_from(["1", "L", "LA", "P", "RGB", "RGBA", "I;16"]))
               | st.builds(lambda data, cut: data[:cut],
                           st.builds(png, st.just((16, 16)), st.just("L")),
                           st.integers(0, 100)))


@FUZZ
@given(files=st.lists(st.tuples(st.sampled_from(["a", "b", "c"]),
                                st.sampled_from([".png", ".jpg", ".gif", ".webp", ".bmp"]),
                                image_bytes), min_size=1, max_size=6),
       channels=st.sampled_from([1, 3]))
def test_image_folder_reader_with_any_files(tmp_path_factory, files, channels):
    root = tmp_path_factory.mktemp("images")
    for k, (label, suffix, data) in enumerate(files):
        (root / label).mkdir(exist_ok=True)
        (root / label / f"{k}{suffix}").write_bytes(data)
    dataset = read_or_refuse(lambda p: load_dataset("folder", p, image_shape=(channels, 8, 8)),
                             root, DataError)
    if dataset is not None:
        assert dataset.train_images.dtype == np.uint8
