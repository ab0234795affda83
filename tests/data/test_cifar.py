"""CIFAR-10: the binary batches from a folder, and the archive from a (local) mirror."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import tarfile
from pathlib import Path

import numpy as np
import pytest

from studio.cli import main
from studio.data import DataError, catalogue, fetch, load_cifar_folder, load_dataset
from studio.data.cifar import BATCHES, CLASSES, RECORD
from studio.data.download import CIFAR10

PER_BATCH = 12


def records(count: int, seed: int) -> bytes:
    """`count` CIFAR-10 records: a label byte 0–9, then 3072 random pixel bytes."""
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, 256, (count, RECORD), dtype=np.uint8)
    rows[:, 0] = np.arange(count) % 10
    return rows.tobytes()


@pytest.fixture
def batches(tmp_path) -> Path:
    """A folder of six small binary batches, as the official archive extracts them."""
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
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


def test_a_folder_of_batches_loads_with_its_planes_in_rgb_order(batches):
    dataset = load_dataset("folder", batches)
    assert dataset.image_shape == (3, 32, 32) and dataset.classes == CLASSES
    assert (len(dataset.train_images), len(dataset.test_images)) == (5 * PER_BATCH, PER_BATCH)
    first = np.frombuffer((batches / "data_batch_1.bin").read_bytes()[:RECORD], np.uint8)
    assert dataset.train_labels[0] == first[0]
    red, green, blue = dataset.train_images[0]
    assert red[0, 0] == first[1] and red[0, 1] == first[2] and red[1, 0] == first[33]
    assert green[0, 0] == first[1 + 1024] and blue[31, 31] == first[-1]
    assert np.array_equal(dataset.test_labels, np.arange(PER_BATCH) % 10)


@pytest.mark.parametrize(("damage", "message"), [
    (lambda f: (f / "data_batch_3.bin").unlink(),
     r"missing data_batch_3\.bin — the folder needs the six CIFAR-10 binary batches"),
    (lambda f: (f / "test_batch.bin").rename(f / "test_batch"),
     r"missing test_batch\.bin \(test_batch is the pickled Python version, which is never "
     r"loaded"),
    (lambda f: (f / "data_batch_2.bin").write_bytes(records(3, 0)[:-100]),
     r"data_batch_2\.bin: truncated — 9119 bytes is not a whole number of 3073-byte records"),
    (lambda f: (f / "data_batch_1.bin").write_bytes(b""), r"data_batch_1\.bin: the file is empty"),
    (lambda f: (f / "test_batch.bin").write_bytes(bytes([3]) + bytes(3072) + bytes([10]) +
                                                  bytes(3072)),
     r"test_batch\.bin: record 1 has label 10, but CIFAR-10 labels are 0–9"),
])
def test_a_broken_folder_is_one_sentence_naming_the_file(batches, damage, message):
    damage(batches)
    with pytest.raises(DataError, match=message):
        load_cifar_folder(batches)


def test_the_catalogue_entry_is_the_official_binary_archive():
    assert CIFAR10.checksums == {"cifar-10-binary.tar.gz": "md5:c32a1d4ab5d03f1284b67883e8d87530"}
    assert CIFAR10.base_url == "https://www.cs.toronto.edu/~kriz/"
    assert catalogue.REMOTE["cifar10"] is CIFAR10


@pytest.fixture
def local_cifar(batches, file_server, tmp_path, monkeypatch) -> str:
    """The synthetic archive served locally; the catalogue entry verifies its MD5; the URL."""
    body = archive(batches)
    file_server.files["cifar-10-binary.tar.gz"] = body
    entry = dataclasses.replace(CIFAR10, checksums={
        "cifar-10-binary.tar.gz": f"md5:{hashlib.md5(body).hexdigest()}"})
    monkeypatch.setitem(catalogue.REMOTE, "cifar10", entry)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return f"http://127.0.0.1:{file_server.server_address[1]}/"


def test_download_verifies_extracts_and_is_cached(local_cifar, file_server, tmp_path):
    seen = []
    dataset = load_dataset("cifar10", mirror=local_cifar,
                           progress=lambda name, done, total: seen.append((name, done, total)))
    assert dataset.name == "CIFAR-10" and len(dataset.train_images) == 5 * PER_BATCH
    assert seen[-1][0] == "cifar-10-binary.tar.gz" and seen[-1][1] == seen[-1][2] > 0
    assert catalogue.is_cached("cifar10")
    extracted = sorted(p.name for p in (tmp_path / "cache").rglob("*.bin"))
    assert extracted == sorted(BATCHES), "only the six batches are unpacked"
    load_dataset("cifar10", mirror=local_cifar)
    assert len(file_server.requests) == 1, "a cached, verified archive was downloaded again"


def test_an_interrupted_download_resumes(local_cifar, file_server, tmp_path):
    body = file_server.files["cifar-10-binary.tar.gz"]
    folder = tmp_path / "partial"
    folder.mkdir()
    (folder / "cifar-10-binary.tar.gz.part").write_bytes(body[:1000])
    fetch(catalogue.REMOTE["cifar10"], mirror=local_cifar, folder=folder)
    assert file_server.requests == [("cifar-10-binary.tar.gz", "bytes=1000-")]
    assert (folder / "cifar-10-batches-bin" / "test_batch.bin").is_file()


def test_a_corrupt_archive_fails_its_md5(local_cifar, file_server, tmp_path):
    file_server.files["cifar-10-binary.tar.gz"] = b"not the archive" * 50
    with pytest.raises(DataError, match=r"its MD5 does not match\) even after a second try"):
        fetch(catalogue.REMOTE["cifar10"], mirror=local_cifar, folder=tmp_path / "bad")


def test_train_on_cifar10_from_the_mirror_with_the_rgb_preset(local_cifar, capsys):
    assert main(["train", "--arch", "lenet5_rgb", "--dataset", "cifar10", "--mirror",
                 local_cifar, "--epochs", "1", "--batch-size", "16"]) == 0
    captured = capsys.readouterr()
    assert "CIFAR-10: 60 training and 12 test images of 3×32×32, 10 classes" in captured.err
    assert "test accuracy" in captured.out


def test_a_grayscale_network_on_cifar_is_one_clear_error(batches, capsys):
    assert main(["train", "--arch", "tiny", "--data", str(batches), "--epochs", "1"]) == 2
    assert "expects 1×28×28 input but the dataset's images are 3×32×32" in capsys.readouterr().err
