"""IDX files: round trips, and one clear sentence for every way a file can be broken."""

from __future__ import annotations

import gzip
import shutil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from studio.data import DataError, load_idx_folder, read_idx, write_idx


@settings(max_examples=40, deadline=None)
@given(array=arrays(st.sampled_from([np.uint8, np.int8, ">i2", ">i4", ">f4", ">f8"]),
                    st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple)),
       compressed=st.booleans())
def test_write_then_read_gives_the_same_array(tmp_path_factory, array, compressed):
    path = tmp_path_factory.mktemp("idx") / ("a.idx.gz" if compressed else "a.idx")
    write_idx(path, array)
    back = read_idx(path)
    np.testing.assert_array_equal(back, array)
    assert back.shape == array.shape


def test_real_mnist_reads_with_the_documented_label_counts(mnist):
    assert mnist.train_images.shape == (10000, 28, 28)
    assert np.bincount(mnist.test_labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958,
                                                       1028, 974, 1009]


def write_folder(folder, images=20, labels=20, label_values=None):
    rng = np.random.default_rng(0)
    folder.mkdir(exist_ok=True)
    for split in ("train", "t10k"):
        write_idx(folder / f"{split}-images-idx3-ubyte.gz",
                  rng.integers(0, 256, (images, 28, 28), dtype=np.uint8))
        values = label_values if label_values is not None else rng.integers(0, 10, labels)
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", np.asarray(values, dtype=np.uint8))
    return folder


def test_a_good_folder_loads(tmp_path):
    dataset = load_idx_folder(write_folder(tmp_path / "ok"))
    assert dataset.train_images.shape == (20, 28, 28)
    assert dataset.image_shape == (1, 28, 28)


def break_file(folder, name, how):
    path = folder / name
    if how == "truncate":
        raw = gzip.decompress(path.read_bytes())
        path.write_bytes(gzip.compress(raw[:-100]))
    elif how == "magic":
        raw = bytearray(gzip.decompress(path.read_bytes()))
        raw[2] = 0x42
        path.write_bytes(gzip.compress(bytes(raw)))
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "not-gzip":
        path.write_bytes(b"this is not gzip at all")
    elif how == "bad-gzip":
        path.write_bytes(path.read_bytes()[:30])
    elif how == "delete":
        path.unlink()


@pytest.mark.parametrize(("name", "how", "expected"), [
    ("train-images-idx3-ubyte.gz", "truncate", "train-images-idx3-ubyte.gz: truncated"),
    ("t10k-images-idx3-ubyte.gz", "magic", "t10k-images-idx3-ubyte.gz: not an IDX file"),
    ("train-labels-idx1-ubyte.gz", "empty", "train-labels-idx1-ubyte.gz: the file is empty"),
    ("t10k-labels-idx1-ubyte.gz", "not-gzip", "named .gz but is not gzip-compressed"),
    ("train-images-idx3-ubyte.gz", "bad-gzip", "gzip data is corrupt or cut short"),
    ("t10k-labels-idx1-ubyte.gz", "delete", "missing t10k-labels-idx1-ubyte[.gz]"),
])
def test_broken_files_are_named_with_the_problem(tmp_path, name, how, expected):
    folder = write_folder(tmp_path / "d")
    break_file(folder, name, how)
    with pytest.raises(DataError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        load_idx_folder(folder)


def test_label_count_mismatch(tmp_path):
    with pytest.raises(DataError, match="19 labels for 20 images"):
        load_idx_folder(write_folder(tmp_path / "d", labels=19))


def test_labels_outside_0_to_9(tmp_path):
    with pytest.raises(DataError, match="labels must be 0–9, found 0…12"):
        load_idx_folder(write_folder(tmp_path / "d", label_values=[0, 12] * 10))


def test_missing_folder(tmp_path):
    with pytest.raises(DataError, match="no such folder"):
        load_idx_folder(tmp_path / "nowhere")


def test_plain_files_load_as_well_as_gz(tmp_path, mnist_dir):
    folder = tmp_path / "plain"
    folder.mkdir()
    for path in mnist_dir.glob("t10k-*.gz"):
        (folder / path.stem).write_bytes(gzip.decompress(path.read_bytes()))
    for path in mnist_dir.glob("train-*.gz"):
        shutil.copy(path, folder / path.name)
    assert len(load_idx_folder(folder).test_images) == 10000
