"""Download datasets into the user's cache: verified, resumable, mirror-able.

pooch does the caching, the checksum (the one each source publishes: SHA-256
of each MNIST file, MD5 of the CIFAR-10 archive) and the extraction of an
archive's members; `ResumableDownloader` is the
custom downloader pooch allows for: it keeps a `.part` file beside the cache
and asks the server for the remaining bytes (HTTP Range) when a download was
interrupted. A file whose checksum fails is deleted and fetched once more
before the error reaches the user.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from .cifar import BATCHES
from .dataset import LoadingCancelled
from .idx import DataError

#: progress(file name, bytes done, bytes total or 0 when unknown)
Progress = Callable[[str, int, int], None]

MIRROR_VARIABLE = "STUDIO_DATA_MIRROR"
#: the remedy both front ends offer when a download cannot happen
OWN_FILES = "files you already have (--data DIR, or the dataset 'A folder…' in the app)"


class DownloadFailed(DataError):
    """The network did not deliver a dataset: the message is the command line's; `dataset`,
    `host` and `reason` let the window say it in its own terms."""

    def __init__(self, message: str, dataset: str, host: str, reason: str):
        super().__init__(message)
        self.dataset, self.host, self.reason = dataset, host, reason


@dataclass(frozen=True)
class RemoteDataset:
    """Where a dataset lives and the checksum of each of its files: SHA-256 hex, or
    "md5:…" where that is what the source publishes. For an archive, `members` are the
    files extracted from it (beside it, into `folder`), which the loader reads."""

    key: str
    name: str
    base_url: str
    checksums: dict[str, str]
    members: tuple[str, ...] = ()
    folder: str = ""


MNIST = RemoteDataset("mnist", "MNIST", "https://ossci-datasets.s3.amazonaws.com/mnist/", {
    "train-images-idx3-ubyte.gz":
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz":
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz":
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz":
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
})

FASHION_MNIST = RemoteDataset(
    "fashion-mnist", "Fashion-MNIST",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", {
        "train-images-idx3-ubyte.gz":
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1-ubyte.gz":
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3-ubyte.gz":
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1-ubyte.gz":
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    })


CIFAR10 = RemoteDataset(
    "cifar10", "CIFAR-10", "https://www.cs.toronto.edu/~kriz/",
    {"cifar-10-binary.tar.gz": "md5:c32a1d4ab5d03f1284b67883e8d87530"},
    members=BATCHES, folder="cifar-10-batches-bin")


class DownloadCancelled(LoadingCancelled):
    """The user cancelled; the partial file is kept so the next try resumes."""


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("cnn-studio")) / "datasets"


class DownloadTooSlow(OSError):
    """The whole download took longer than its deadline (a server that trickles bytes)."""


class ResumableDownloader:
    """A pooch downloader that resumes from `<cache>/<file>.part` with an HTTP Range request.

    `timeout` bounds each wait for data; `deadline` bounds each file's whole download, so a
    server that sends a byte just often enough to beat the timeout is still given up on
    (the .part file stays, so the next try resumes).
    """

    chunk = 1 << 16

    def __init__(self, progress: Progress | None = None,
                 cancelled: Callable[[], bool] | None = None, timeout: float = 30.0,
                 deadline: float = 900.0):
        self.progress = progress
        self.cancelled = cancelled or (lambda: False)
        self.timeout = timeout
        self.deadline = deadline

    def __call__(self, url: str, output_file: str, _pooch: object, check_only: bool = False
                 ) -> bool | None:
        import urllib.request  # (with http.client and ssl) only when downloading

        if check_only:
            return True
        started = time.monotonic()
        name = url.rsplit("/", 1)[-1]
        part = Path(output_file).parent / f"{name}.part"
        part.parent.mkdir(parents=True, exist_ok=True)
        done = part.stat().st_size if part.exists() else 0
        request = urllib.request.Request(url, headers={"Range": f"bytes={done}-"} if done else {})
        try:
            response = urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as error:
            if error.code != 416:  # 416: the .part already holds the whole file
                raise
            shutil.copyfile(part, output_file)
            part.unlink()
            return None
        with response:
            if done and response.status != 206:  # the server ignored Range: start over
                done = 0
            total = done + int(response.headers.get("Content-Length") or 0)
            with open(part, "ab" if done else "wb") as handle:
                while True:
                    if self.cancelled():
                        raise DownloadCancelled(f"download of {name} cancelled")
                    if time.monotonic() - started > self.deadline:
                        raise DownloadTooSlow(f"{done:,} bytes in {self.deadline:.0f} s, too "
                                              "slow to finish")
                    block = response.read1(self.chunk)  # whatever has arrived, not a full chunk
                    if not block:
                        break
                    handle.write(block)
                    done += len(block)
                    if self.progress:
                        self.progress(name, done, total)
        shutil.copyfile(part, output_file)
        part.unlink()
        return None


def fetch(dataset: RemoteDataset, mirror: str | None = None, folder: Path | None = None,
          progress: Progress | None = None, cancelled: Callable[[], bool] | None = None,
          deadline: float = 900.0) -> Path:
    """Make sure the files are in the cache, verified (and extracted); return the folder
    holding the data.

    The mirror is, in order: `mirror`, `$STUDIO_DATA_MIRROR`, the dataset's own. Each
    file must arrive within `deadline` seconds.
    """
    import http.client  # (with ssl) only when downloading

    import pooch  # about a second to import (requests and more): only when downloading

    pooch.get_logger().setLevel("WARNING")  # progress is ours to show; no "Downloading…"
    base = mirror or os.environ.get(MIRROR_VARIABLE) or dataset.base_url
    _check_mirror(base, "--mirror" if mirror else MIRROR_VARIABLE if base != dataset.base_url
                  else "the dataset's address")
    folder = folder or cache_dir() / dataset.key
    _check_cache(folder)
    downloader = ResumableDownloader(progress, cancelled, deadline=deadline)
    extract = pooch.Untar(members=[f"{dataset.folder}/{m}" for m in dataset.members],
                          extract_dir=".") if dataset.members else None
    for name, checksum in dataset.checksums.items():
        url = base.rstrip("/") + "/" + name
        known_hash = checksum if ":" in checksum else f"sha256:{checksum}"
        for attempt in (1, 2):
            try:
                pooch.retrieve(url, known_hash=known_hash, fname=name, path=folder,
                               downloader=downloader, processor=extract, progressbar=False)
                break
            except ValueError as error:  # pooch: checksum mismatch; the bad file is removed
                if attempt == 2:
                    algorithm = known_hash.split(":")[0].upper()
                    raise DataError(f"{url}: the download is corrupt (its {algorithm} does "
                                    f"not match) even after a second try — try another "
                                    f"mirror (--mirror URL or ${MIRROR_VARIABLE})") from error
            except tarfile.TarError:
                raise DataError(f"{folder / name}: the archive cannot be unpacked — delete "
                                "it and download it again") from None
            except (urllib.error.URLError, ConnectionError, TimeoutError, DownloadTooSlow,
                    http.client.HTTPException) as error:
                reason = getattr(error, "reason", None) or error
                raise DownloadFailed(f"{url}: cannot download ({reason}) — check the network, "
                                     f"give a mirror (--mirror URL or ${MIRROR_VARIABLE}), or "
                                     f"use {OWN_FILES}", dataset.name,
                                     urllib.parse.urlsplit(url).hostname or url,
                                     str(reason)) from None
            except OSError as error:  # the cache, not the network
                raise DataError(f"{error.filename or folder}: the download cache cannot be "
                                f"written ({error.strerror}) — set XDG_CACHE_HOME to a "
                                f"writable folder or use {OWN_FILES}") from None
    return folder / dataset.folder


def _check_mirror(base: str, source: str) -> None:
    """Refuse an address urllib cannot use, before it is mistaken for a corrupt download."""
    try:
        parts = urllib.parse.urlsplit(base)
        valid = parts.scheme in ("http", "https", "file") and bool(parts.netloc or
                                                                  parts.scheme == "file")
        parts.port  # noqa: B018 — raises ValueError on a malformed port
    except ValueError:
        valid = False
    if not valid:
        raise DataError(f"{base!r} ({source}) is not a valid http(s) address — give a URL "
                        "like https://example.org/mnist/")


def _check_cache(folder: Path) -> None:
    """The cache folder must take files: refused with its path, not blamed on the network."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe."):
            pass
    except OSError as error:
        raise DataError(f"{folder}: the download cache cannot be written ({error.strerror}) "
                        f"— set XDG_CACHE_HOME to a writable folder or use {OWN_FILES}") from None
