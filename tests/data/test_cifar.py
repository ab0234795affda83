"""CIFAR-10: the binary batches from a folder, and the archive from a (local) mirror."""

from __future__ import annotations

import numpy as np
import pytest

from studio.cli import main
from studio.data import DataError, catalogue, fetch, load_cifar_folder, load_dataset
from studio.data.cifar import BATCHES, CLASSES, RECORD
from studio.data.download import CIFAR10
from tests.data.cifar_files import PER_BATCH, records


def test_a_folder_of_cifar_batches_loads_with_its_planes_in_rgb_order(cifar_batches):
    dataset = load_dataset("folder", cifar_batches)
    assert dataset.image_shape == (3, 32, 32) and dataset.classes == CLASSES
    assert (len(dataset.train_images), len(dataset.test_images)) == (5 * PER_BATCH, PER_BATCH)
    first = np.frombuffer((cifar_batches / "data_batch_1.bin").read_bytes()[:RECORD], np.uint8)
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
def test_a_broken_folder_is_one_sentence_naming_the_file(cifar_batches, damage, message):
    damage(cifar_batches)
    with pytest.raises(DataError, match=message):
        load_cifar_folder(cifar_batches)


def test_the_catalogue_entry_is_the_official_binary_archive():
    assert CIFAR10.checksums == {"cifar-10-binary.tar.gz": "md5:c32a1d4ab5d03f1284b67883e8d87530"}
    assert CIFAR10.base_url == "https://www.cs.toronto.edu/~kriz/"
    assert catalogue.REMOTE["cifar10"] is CIFAR10


def test_download_verifies_extracts_and_is_cached(cifar_mirror, file_server, tmp_path):
    seen = []
    dataset = load_dataset("cifar10", mirror=cifar_mirror,
                           progress=lambda name, done, total: seen.append((name, done, total)))
    assert dataset.name == "CIFAR-10" and len(dataset.train_images) == 5 * PER_BATCH
    assert seen[-1][0] == "cifar-10-binary.tar.gz" and seen[-1][1] == seen[-1][2] > 0
    assert catalogue.is_cached("cifar10")
    extracted = sorted(p.name for p in (tmp_path / "cache").rglob("*.bin"))
    assert extracted == sorted(BATCHES), "only the six batches are unpacked"
    load_dataset("cifar10", mirror=cifar_mirror)
    assert len(file_server.requests) == 1, "a cached, verified archive was downloaded again"


def test_an_interrupted_download_resumes(cifar_mirror, file_server, tmp_path):
    body = file_server.files["cifar-10-binary.tar.gz"]
    folder = tmp_path / "partial"
    folder.mkdir()
    (folder / "cifar-10-binary.tar.gz.part").write_bytes(body[:1000])
    fetch(catalogue.REMOTE["cifar10"], mirror=cifar_mirror, folder=folder)
    assert file_server.requests == [("cifar-10-binary.tar.gz", "bytes=1000-")]
    assert (folder / "cifar-10-batches-bin" / "test_batch.bin").is_file()


def test_a_corrupt_archive_fails_its_md5(cifar_mirror, file_server, tmp_path):
    file_server.files["cifar-10-binary.tar.gz"] = b"not the archive" * 50
    with pytest.raises(DataError, match=r"its MD5 does not match\) even after a second try"):
        fetch(catalogue.REMOTE["cifar10"], mirror=cifar_mirror, folder=tmp_path / "bad")


@pytest.mark.parametrize("preset", ["lenet5_rgb", "vgg_small"])
def test_train_on_cifar10_from_the_mirror_with_an_rgb_preset(cifar_mirror, capsys, preset):
    assert main(["train", "--arch", preset, "--dataset", "cifar10", "--mirror",
                 cifar_mirror, "--epochs", "1", "--batch-size", "16"]) == 0
    captured = capsys.readouterr()
    assert "CIFAR-10: 60 training and 12 test images of 3×32×32, 10 classes" in captured.err
    assert "test accuracy" in captured.out


def test_a_grayscale_network_on_cifar_is_one_clear_error(cifar_batches, capsys):
    assert main(["train", "--arch", "tiny", "--data", str(cifar_batches), "--epochs", "1"]) == 2
    assert "expects 1×28×28 input but the dataset's images are 3×32×32" in capsys.readouterr().err
