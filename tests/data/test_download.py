"""Downloads against a local HTTP server that serves ../shared/data/mnist (with Range support)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from studio.data import DataError, fetch, load_idx_folder
from studio.data.download import DownloadCancelled, RemoteDataset


def local_dataset(server) -> RemoteDataset:
    hashes = {name: hashlib.sha256(body).hexdigest() for name, body in server.files.items()}
    return RemoteDataset("test", "Test MNIST", "http://unused.invalid/", hashes)


def url(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/mnist/"


def test_download_verifies_caches_and_loads(mirror, tmp_path):
    seen = []
    folder = fetch(local_dataset(mirror), mirror=url(mirror), folder=tmp_path,
                   progress=lambda name, done, total: seen.append((name, done, total)))
    assert len(load_idx_folder(folder).test_images) == 10000
    assert {name for name, _, _ in seen} == set(mirror.files)
    assert seen[-1][1] == seen[-1][2] > 0
    count = len(mirror.requests)
    fetch(local_dataset(mirror), mirror=url(mirror), folder=tmp_path)
    assert len(mirror.requests) == count, "a cached, verified file was downloaded again"


def test_mirror_comes_from_the_environment(mirror, tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_DATA_MIRROR", url(mirror))
    fetch(local_dataset(mirror), folder=tmp_path)
    assert len(mirror.requests) == 4


def test_interrupted_download_resumes_with_a_range_request(mirror, tmp_path):
    name = "t10k-images-idx3-ubyte.gz"
    body = mirror.files[name]
    (tmp_path / f"{name}.part").write_bytes(body[: len(body) // 2])
    fetch(local_dataset(mirror), mirror=url(mirror), folder=tmp_path)
    assert (name, f"bytes={len(body) // 2}-") in mirror.requests
    assert (tmp_path / name).read_bytes() == body


def test_cancel_keeps_the_partial_file_for_next_time(mirror, tmp_path):
    with pytest.raises(DownloadCancelled):
        fetch(local_dataset(mirror), mirror=url(mirror), folder=tmp_path,
              cancelled=lambda: True)
    assert not any(tmp_path.glob("*-ubyte.gz"))


def test_corrupt_download_is_retried_then_reported(mirror, tmp_path):
    name = "t10k-labels-idx1-ubyte.gz"
    dataset = local_dataset(mirror)
    mirror.files[name] = b"garbage" * 100
    with pytest.raises(DataError, match="corrupt .*even after a second try"):
        fetch(dataset, mirror=url(mirror), folder=tmp_path)
    assert [r for r in mirror.requests if r[0] == name] == [(name, None), (name, None)]
    assert not (tmp_path / name).exists()


def test_unreachable_mirror_is_one_sentence(tmp_path, mirror):
    dataset = local_dataset(mirror)
    mirror.files.clear()
    with pytest.raises(DataError, match="cannot download .*--mirror URL.*--data DIR.*in the app"):
        fetch(dataset, mirror=url(mirror), folder=Path(tmp_path))
