"""For fuzzing the readers: a call either returns or raises the project's own error naming
the file, within a time and a memory bound."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

SECONDS = 5.0
PEAK_BYTES = 64 * 2**20


def read_or_refuse(read: Callable[[Path], Any], path: Path,
                   errors: type[BaseException] | tuple[type[BaseException], ...]) -> Any:
    """`read(path)`, or None when it raised one of `errors` with a message naming `path`;
    any other exception, a slow read or a large allocation fails the test."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = read(path)
    except errors as error:
        assert str(path) in str(error), f"the message does not name the file: {error}"
        result = None
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert time.perf_counter() - started < SECONDS, "the read took too long"
    assert peak < PEAK_BYTES, f"the read allocated {peak / 2**20:.0f} MB"
    return result


def refused_within(read: Callable[[Path], Any], path: Path, error: type[BaseException],
                   match: str, seconds: float, peak_bytes: int) -> None:
    """`read(path)` raises `error` matching `match` and naming `path`, within the bounds."""
    import pytest

    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(error, match=match) as caught:
            read(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(caught.value)
    assert time.perf_counter() - started < seconds and peak < peak_bytes
