"""The wheel built from this checkout, installed on its own and launched once from cold.

The wheel is built from a copy of the sources (the checkout stays clean) without
network or build isolation, and installed into a fresh venv with nothing else. The
venv borrows the test environment's site-packages for the dependencies (numpy, Qt…)
through a .pth file; that folder holds no `studio` (an editable install reaches it
through a finder which a .pth line does not run), so every `studio` import comes from
the wheel. The commands run outside the source tree.

Its first launch, with an empty kernel cache, is the one first launch the suite pays
for: every kernel compiles once, in the app's background warm-up, and every later
command of the installed package loads them from that cache.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIRST_LAUNCH = ROOT / "tests" / "app" / "scripts" / "first_launch.py"


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(part) for part in command], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


@dataclass(frozen=True)
class InstalledApp:
    """`python` of the venv holding only the wheel; `first_launch`, the report of
    tests/app/scripts/first_launch.py run there with an empty `kernel_cache`."""

    python: Path
    kernel_cache: Path
    first_launch: dict

    def env(self, **settings: str) -> dict[str, str]:
        """This environment with the kernels the first launch compiled, and `settings`."""
        return {**os.environ, "NUMBA_CACHE_DIR": str(self.kernel_cache), **settings}


def install(base: Path, environ: dict[str, str]) -> InstalledApp:
    """Build and install the wheel under `base`, then launch the app there once from cold,
    every step in `environ` (the session's environment when it started, not whatever a test
    running meanwhile has patched)."""
    python = _install_wheel(base, environ)
    kernel_cache, home = base / "numba", base / "home"
    launched = run(python, FIRST_LAUNCH, cwd=base, env={
        **environ, "NUMBA_CACHE_DIR": str(kernel_cache), "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"), "XDG_CACHE_HOME": str(home / "cache")},
        timeout=1200)  # every kernel compiles: minutes on 2 busy cores
    assert launched.returncode == 0, launched.stderr[-2000:]
    return InstalledApp(python, kernel_cache, json.loads(launched.stdout.strip().splitlines()[-1]))


def _install_wheel(base: Path, environ: dict[str, str]) -> Path:
    """The python of a fresh venv under `base` holding only the wheel built from this checkout."""
    source = base / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source)
    for name in ("studio", "resources"):
        shutil.copytree(ROOT / name, source / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                "--no-index", "-q", "-w", base / "dist", source, cwd=base, env=environ)
    assert built.returncode == 0, built.stderr
    wheel, = (base / "dist").glob("cnn_studio-*.whl")
    venv = base / "venv"
    created = run(sys._base_executable, "-m", "venv", "--without-pip", venv, cwd=base, env=environ)
    assert created.returncode == 0, created.stderr
    python = venv / "bin" / "python"
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))",
               cwd=base, env=environ).stdout.strip()
    (Path(site) / "test-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    pip = run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps",
              "--no-index", "-q", wheel, cwd=base, env=environ)
    assert pip.returncode == 0, pip.stderr
    return python
