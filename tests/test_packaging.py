"""The built wheel is complete: installed on its own, it trains a preset and opens the app.

The wheel is built from a copy of the sources (the checkout stays clean) without
network or build isolation, and installed into a fresh venv with nothing else. The
venv borrows the test environment's site-packages for the dependencies (numpy, Qt…)
through a .pth file; that folder holds no `studio` (an editable install reaches it
through a finder which a .pth line does not run), so every `studio` import comes from
the wheel. The commands run outside the source tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess:
    return subprocess.run([str(part) for part in command], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a fresh venv holding only the wheel built from this checkout."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source)
    for name in ("studio", "resources"):
        shutil.copytree(ROOT / name, source / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                 "--no-index", "-q", "-w", base / "dist", source, cwd=base)
    assert built.returncode == 0, built.stderr
    wheel, = (base / "dist").glob("cnn_studio-*.whl")
    venv = base / "venv"
    created = _run(sys._base_executable, "-m", "venv", "--without-pip", venv, cwd=base)
    assert created.returncode == 0, created.stderr
    python = venv / "bin" / "python"
    site = _run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))",
                cwd=base).stdout.strip()
    (Path(site) / "test-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    pip = _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps",
               "--no-index", "-q", wheel, cwd=base)
    assert pip.returncode == 0, pip.stderr
    return python


def test_the_wheel_carries_every_resource(installed: Path, tmp_path: Path) -> None:
    shipped = sorted(p.relative_to(ROOT / "resources").as_posix()
                     for p in (ROOT / "resources").rglob("*")
                     if p.is_file() and "__pycache__" not in p.parts)
    listed = _run(installed, "-c", "import studio, studio.io; from pathlib import Path\n"
                  "package = Path(studio.__file__).parent\n"
                  "print(package, ','.join(studio.io.preset_names()))\n"
                  "print(*sorted(p.relative_to(package / 'resources').as_posix() for p in "
                  "(package / 'resources').rglob('*')"
                  " if p.is_file() and '__pycache__' not in p.parts))", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    where, presets, *files = listed.stdout.split()
    assert Path(where).is_relative_to(installed.parents[1]), "studio came from elsewhere"
    assert files == shipped
    assert presets.split(",") == sorted(p.stem for p in (ROOT / "resources/presets").iterdir())


def test_the_installed_package_trains_a_preset(installed: Path, tmp_path: Path) -> None:
    for command in ([installed, "-m", "studio"], [installed.with_name("cnn-studio")],
                    [installed.with_name("cnn-studio-cli")]):
        version = _run(*command, "--version", cwd=tmp_path)
        assert version.returncode == 0 and version.stdout.split()[-1] == _version(), command
    trained = _run(installed, "-m", "studio", "train", "--arch", "tiny", "--dataset",
                   "synthetic", "--epochs", "1", "--out", "tiny.npz", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    assert "test accuracy" in trained.stdout and (tmp_path / "tiny.npz").is_file()


def test_the_installed_app_opens_with_its_presets_and_icon(installed: Path,
                                                            tmp_path: Path) -> None:
    script = ("from PySide6.QtWidgets import QApplication\n"
              "from studio.app import create_main_window\n"
              "window = create_main_window([])\n"
              "presets = [a.text() for m in window.menuBar().findChildren(type(window.menuBar()"
              ".actions()[0].menu())) for a in m.actions()]\n"
              "print(window.windowTitle())\n"
              "print(QApplication.instance().windowIcon().isNull())\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_CACHE_HOME": str(tmp_path)}
    opened = _run(installed, "-c", script, cwd=tmp_path, env=env)
    assert opened.returncode == 0, opened.stderr
    title, icon_missing = opened.stdout.splitlines()[-2:]
    assert title.endswith("LeNet-5") and icon_missing == "False"


def test_the_desktop_entry_installs_for_the_user(installed: Path, tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "share")}
    done = _run(installed, "-m", "studio", "desktop-entry", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    entry = (tmp_path / "share" / "applications" / "cnn-studio.desktop").read_text()
    assert f'Exec="{installed}" -m studio %f' in entry and "Icon=cnn-studio" in entry
    icon = tmp_path / "share" / "icons" / "hicolor" / "scalable" / "apps" / "cnn-studio.svg"
    assert icon.read_bytes() == (ROOT / "resources" / "icons" / "cnn-studio.svg").read_bytes()


def _version() -> str:
    import studio

    return studio.__version__


def test_the_wheel_lists_every_package_of_the_source_tree() -> None:
    """setuptools gets an explicit package list (resources/ is mapped in as studio.resources),
    so a new sub-package left out of it would be missing from the wheel."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    in_tree = {".".join(init.parent.relative_to(ROOT).parts)
               for init in (ROOT / "studio").rglob("__init__.py")}
    assert in_tree | {"studio.resources"} == listed
