"""Hostile datasets and mirrors: bounded reads, no hangs, images read as a viewer shows them.

One table per class: IDX headers that promise more than the file holds, image
folders with bombs, FIFOs and odd pixel formats, downloads that trickle or point
at an unusable cache. Fuzzing of the readers is in test_fuzz_readers.py.
"""

from __future__ import annotations

import gzip
import os
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from PIL import Image

from studio.data import DataError, fetch, load_dataset, read_idx, read_image
from studio.data.download import RemoteDataset
from tests.bounded import refused_within


def idx_header(count, rows=28, cols=28):
    return bytes([0, 0, 0x08, 3]) + struct.pack(">3I", count, rows, cols)


@pytest.mark.parametrize(("content", "suffix", "expected"), [
    (idx_header(10**9) + b"\0" * 100, "", "more than the file can hold"),
    (gzip.compress(idx_header(4_000_000_000) + b"\0" * 1000, mtime=0), ".gz",
     "more than the file can hold"),
    # a real gzip bomb: 8 MB of zeros in 8 KB; memory is lowered to 4 MB for the test
    (gzip.compress(idx_header(10_000) + bytes(10_000 * 784), mtime=0), ".gz",
     "of memory is available"),
    (idx_header(2) + b"\0" * (2 * 784 + 5), "", "5 unexpected bytes"),
    (gzip.compress(idx_header(2) + b"\0" * (2 * 784 + 3), mtime=0), ".gz", "3 unexpected bytes"),
])
def test_an_idx_header_is_checked_before_the_data_is_read(tmp_path, monkeypatch, content,
                                                          suffix, expected):
    monkeypatch.setattr("studio.data.idx.available_bytes", lambda: 4 * 2**20)
    path = tmp_path / f"train-images-idx3-ubyte{suffix}"
    path.write_bytes(content)
    refused_within(read_idx, path, DataError, expected, seconds=2, peak_bytes=3 * 2**20)


def folder_of(tmp_path, make):
    """Two classes of three small grey images, then `make(root)` adds the case's files."""
    root = tmp_path / "images"
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
        for i in range(3):
            Image.new("L", (8, 8), 40 * i).save(root / name / f"{i}.png")
    make(root)
    return root


def bomb(root):
    Image.new("1", (200, 200)).save(root / "a" / "bomb.png")  # over the lowered limit


@pytest.mark.parametrize(("make", "expected"), [
    (bomb, "bomb.png: has too many pixels"),
    (lambda r: (r / "a" / "x.png").write_bytes(b"not an image"), "x.png: not a readable image"),
    (lambda r: (r / "c").mkdir() or (r / "c" / "1.xyz").write_bytes(b""),
     "holds no images .* it holds .xyz files"),
])
def test_bad_images_are_named(tmp_path, monkeypatch, make, expected):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    with pytest.raises(DataError, match=expected):
        load_dataset("folder", folder_of(tmp_path, make))


def test_a_folder_of_only_unknown_files_says_so_not_missing_idx(tmp_path):
    for name in ("cat", "dog"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "1.heic").write_bytes(b"")
    with pytest.raises(DataError, match="holds no images .* it holds .heic files"):
        load_dataset("folder", tmp_path)


def test_a_fifo_named_like_an_image_is_skipped_not_read(tmp_path):
    root = folder_of(tmp_path, lambda r: os.mkfifo(r / "a" / "x.png"))
    found = []
    reader = threading.Thread(target=lambda: found.append(load_dataset("folder", root)),
                              daemon=True)
    reader.start()
    reader.join(timeout=30)
    assert found, "reading the folder blocked on the FIFO"
    assert len(found[0].train_images) + len(found[0].test_images) == 6


def saved_image(tmp_path, image, name="i.png"):
    path = tmp_path / name
    image.save(path)
    return path


def gradient16(tmp_path):
    values = np.linspace(0, 65535, 64, dtype=np.uint16).reshape(8, 8)
    path = saved_image(tmp_path, Image.fromarray(values))
    with Image.open(path) as image:
        assert image.mode in ("I;16", "I")  # 16 bits on disk
    return path


def black_on_transparent(tmp_path):
    pixels = np.zeros((8, 8, 4), np.uint8)
    pixels[2:6, 3:5, 3] = 255  # an opaque black bar; the rest transparent (black, alpha 0)
    return saved_image(tmp_path, Image.fromarray(pixels, "RGBA"))


def webp(tmp_path):
    return saved_image(tmp_path, Image.new("L", (8, 8), 200), "i.webp")


@pytest.mark.parametrize(("make", "check"), [
    (gradient16, lambda a: len(np.unique(a)) > 20 and a.min() == 0 and a.max() == 255),
    (black_on_transparent, lambda a: a[0, 0, 0] == 255 and a[0, 4, 3] == 0),
    (webp, lambda a: (a == 200).all()),
])
def test_images_are_read_as_a_viewer_shows_them(tmp_path, make, check):
    array = read_image(make(tmp_path), (1, 8, 8))
    assert check(array), array


class Trickle(BaseHTTPRequestHandler):
    """Promises 1 MB, then sends one byte every 0.2 s: each read beats a 1 s timeout."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(2**20))
        self.end_headers()
        try:
            for _ in range(100):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass

    def log_message(self, *args):
        pass


def test_a_trickling_mirror_is_given_up_on_within_the_deadline(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    remote = RemoteDataset("t", "T", "http://unused.invalid/", {"a.gz": "0" * 64})
    started = time.monotonic()
    try:
        with pytest.raises(DataError, match="too slow to finish"):
            fetch(remote, mirror=f"http://127.0.0.1:{server.server_address[1]}/",
                  folder=tmp_path, deadline=1.0)
    finally:
        server.shutdown()
        server.server_close()
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(("setup", "mirror", "expected"), [
    (lambda t, m: m.setenv("XDG_CACHE_HOME", str(t / "a-file")), None,
     "the download cache cannot be written"),
    (lambda t, m: None, "http://[::1", r"is not a valid http\(s\) address"),
    (lambda t, m: None, "ftp://example.org/", r"is not a valid http\(s\) address"),
])
def test_a_bad_cache_or_mirror_is_named_not_blamed_on_the_network(tmp_path, monkeypatch, setup,
                                                                  mirror, expected):
    (tmp_path / "a-file").write_text("x")
    setup(tmp_path, monkeypatch)
    remote = RemoteDataset("t", "T", "http://unused.invalid/", {"a.gz": "0" * 64})
    with pytest.raises(DataError, match=expected) as caught:
        fetch(remote, mirror=mirror)
    assert "check the network" not in str(caught.value)
