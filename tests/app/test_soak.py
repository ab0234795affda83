"""Soak: repeated train / stop / start in the real window; memory and threads stay flat.

Thirty minutes by default (SOAK_MINUTES), so it is marked `soak` and left out of
the default run; run it with `pytest -m soak tests/app/test_soak.py -s`.
"""

from __future__ import annotations

import os
import random
import threading
import time

import pytest

from studio.engine import TrainConfig

pytestmark = pytest.mark.soak


def resident_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def test_train_stop_start_for_a_long_time(window, qtbot):
    minutes = float(os.environ.get("SOAK_MINUTES", "30"))
    rng = random.Random(0)
    window.load_preset("lenet5")
    started = time.monotonic()
    samples: list[tuple[float, float, int]] = []
    cycles = 0
    baseline = None
    while time.monotonic() - started < minutes * 60:
        window.start_training(TrainConfig(epochs=1000, snapshot_interval=0.5))
        qtbot.wait(int(rng.uniform(300, 2000)))
        window.stop_training()
        qtbot.waitUntil(lambda: not window.training.running, timeout=2000)
        cycles += 1
        elapsed = (time.monotonic() - started) / 60
        if baseline is None and elapsed > min(2.0, minutes / 5):
            baseline = resident_mb()  # after warm-up: caches, compiled kernels, dataset
        if cycles % 20 == 0:
            samples.append((elapsed, resident_mb(), threading.active_count()))
    final = resident_mb()
    print(f"\nsoak: {cycles} train/stop cycles in {minutes:g} min; resident memory "
          f"{baseline:.0f} MB after warm-up, {final:.0f} MB at the end "
          f"({(final / baseline - 1) * 100:+.1f} %); threads {samples[0][2]} → "
          f"{threading.active_count()}")
    for minute, rss, threads in samples[:: max(1, len(samples) // 10)]:
        print(f"  {minute:5.1f} min  {rss:6.0f} MB  {threads} threads")
    assert final <= baseline * 1.10
    assert threading.active_count() <= samples[0][2]
    assert not window.training.running
