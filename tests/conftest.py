"""Shared fixtures: the MNIST folder in ../shared (skipped when absent), small datasets."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, wait
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.installed_app import InstalledApp, install

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
MNIST_DIR = ROOT.parent / "shared" / "data" / "mnist"


#: The installed wheel's cold first launch, started with the session (see `compiled_kernels`).
_INSTALLING = pytest.StashKey[Future]()


@pytest.fixture(scope="session", autouse=True)
def compiled_kernels(request: pytest.FixtureRequest,
                     tmp_path_factory: pytest.TempPathFactory) -> None:
    """Compile every kernel once before the tests (minutes on a fresh checkout, under a
    second from Numba's cache), so timed tests see the app as on its second launch; the
    first launch is tested on its own (tests/app/test_kernel_warmup.py).

    If any selected test needs the installed wheel, its build and cold first launch (minutes
    of compiling, in processes of their own with their own kernel cache) start first, on a
    daemon thread, and run beside this process's compiling; the tests start once both are
    done. (Beside tests that train, the first launch's window missed its 500 ms bound.)"""
    from studio.engine.warmup import compile_kernels

    if any("installed_app" in getattr(item, "fixturenames", ()) for item in request.session.items):
        request.config.stash[_INSTALLING] = _in_the_background(
            install, tmp_path_factory.mktemp("wheel"), dict(os.environ))
    compile_kernels()
    if _INSTALLING in request.config.stash:
        wait([request.config.stash[_INSTALLING]])  # its error, if any, goes to its tests


def _in_the_background(work: Callable[..., InstalledApp], *args: object) -> Future:
    """`work(*args)` on a daemon thread: a session interrupted while it runs does not wait
    for it at exit."""
    future: Future = Future()

    def run() -> None:
        try:
            future.set_result(work(*args))
        except BaseException as error:  # handed to the test that needs it
            future.set_exception(error)

    threading.Thread(target=run, name="installed app", daemon=True).start()
    return future


@pytest.fixture(scope="session")
def installed_app(request: pytest.FixtureRequest,
                  tmp_path_factory: pytest.TempPathFactory) -> InstalledApp:
    """The wheel installed in a venv of its own and launched once from cold; its later
    commands load the kernels that launch compiled."""
    if _INSTALLING in request.config.stash:
        return request.config.stash[_INSTALLING].result()
    return install(tmp_path_factory.mktemp("wheel"), dict(os.environ))


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


class MirrorHandler(BaseHTTPRequestHandler):
    """Serves files from `server.files` (name → bytes), honouring `Range: bytes=N-`."""

    def do_GET(self):
        name = self.path.rsplit("/", 1)[-1]
        body = self.server.files.get(name)
        self.server.requests.append((name, self.headers.get("Range")))
        if body is None:
            self.send_error(404)
            return
        start = 0
        if self.headers.get("Range"):
            start = int(self.headers["Range"].split("=")[1].rstrip("-"))
            if start >= len(body):
                self.send_error(416)
                return
            self.send_response(206)
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        self.wfile.write(body[start:])

    def log_message(self, *args):
        pass


@pytest.fixture
def file_server():
    """A local HTTP server of `.files` (name → bytes, Range honoured); `.requests` records
    what was asked."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), MirrorHandler)
    server.files = {}
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def mirror(mnist_dir, file_server):
    """A local HTTP mirror of ../shared/data/mnist."""
    file_server.files.update({p.name: p.read_bytes() for p in mnist_dir.glob("*.gz")})
    return file_server


@pytest.fixture
def cifar_batches(tmp_path) -> Path:
    """A folder of six small synthetic CIFAR-10 binary batches."""
    from tests.data.cifar_files import write_batches

    return write_batches(tmp_path / "cifar-10-batches-bin")


@pytest.fixture
def cifar_mirror(cifar_batches, file_server, tmp_path, monkeypatch) -> str:
    """The batches as cifar-10-binary.tar.gz on a local server, the catalogue's entry
    verifying that archive's MD5, an empty cache; the mirror's URL."""
    import dataclasses
    import hashlib

    from studio.data import catalogue
    from tests.data.cifar_files import archive

    body = archive(cifar_batches)
    file_server.files["cifar-10-binary.tar.gz"] = body
    entry = dataclasses.replace(catalogue.REMOTE["cifar10"], checksums={
        "cifar-10-binary.tar.gz": f"md5:{hashlib.md5(body).hexdigest()}"})
    monkeypatch.setitem(catalogue.REMOTE, "cifar10", entry)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return f"http://127.0.0.1:{file_server.server_address[1]}/"


COLOURS = {"red": (220, 30, 30), "green": (30, 200, 40), "blue": (40, 50, 230)}


@pytest.fixture
def colour_folder(tmp_path) -> Path:
    """Three classes of noisy solid-colour images in assorted sizes, modes and formats."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    root = tmp_path / "colours"
    for name, rgb in COLOURS.items():
        (root / name).mkdir(parents=True)
        for i in range(10):
            size = (int(rng.integers(12, 40)), int(rng.integers(12, 40)))
            pixels = np.clip(np.array(rgb) + rng.normal(0, 20, (size[1], size[0], 3)), 0, 255)
            image = Image.fromarray(pixels.astype(np.uint8), "RGB")
            if i % 3 == 1:
                image = image.convert("RGBA")
            suffix = ".jpg" if i % 2 else ".png"
            mode = "RGB" if suffix == ".jpg" else image.mode  # JPEG has no alpha
            image.convert(mode).save(root / name / f"{i}{suffix}")
    return root


@pytest.fixture
def rgb_architecture(tmp_path) -> Path:
    """A small network for 3×16×16 colour images of three classes, as a JSON file."""
    import json

    path = tmp_path / "rgb.json"
    path.write_text(json.dumps({
        "format": "cnn-studio.architecture", "version": 1, "name": "colours",
        "input": {"channels": 3, "height": 16, "width": 16},
        "layers": [{"type": "conv2d", "filters": 4, "kernel": 3, "padding": "same"},
                   {"type": "relu"}, {"type": "maxpool2d", "size": 2}, {"type": "flatten"},
                   {"type": "dense", "units": 3}]}))
    return path
