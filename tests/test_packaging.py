"""The built wheel is complete: installed on its own, it trains a preset and opens the app.

How it is built and installed, and its first launch: tests/installed_app.py. The commands
here load the kernels that first launch compiled.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.installed_app import InstalledApp, run

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_the_wheel_carries_every_resource(installed_app: InstalledApp, tmp_path: Path) -> None:
    shipped = sorted(p.relative_to(ROOT / "resources").as_posix()
                     for p in (ROOT / "resources").rglob("*")
                     if p.is_file() and "__pycache__" not in p.parts)
    listed = run(installed_app.python, "-c",
                 "import studio, studio.io; from pathlib import Path\n"
                 "package = Path(studio.__file__).parent\n"
                 "print(package, ','.join(studio.io.preset_names()))\n"
                 "print(*sorted(p.relative_to(package / 'resources').as_posix() for p in "
                 "(package / 'resources').rglob('*')"
                 " if p.is_file() and '__pycache__' not in p.parts))", cwd=tmp_path,
                 env=installed_app.env())
    assert listed.returncode == 0, listed.stderr
    where, presets, *files = listed.stdout.split()
    assert Path(where).is_relative_to(installed_app.python.parents[1]), "studio from elsewhere"
    assert files == shipped
    assert presets.split(",") == sorted(p.stem for p in (ROOT / "resources/presets").iterdir())


def test_the_installed_package_trains_a_preset(installed_app: InstalledApp,
                                               tmp_path: Path) -> None:
    python = installed_app.python
    for command in ([python, "-m", "studio"], [python.with_name("cnn-studio")],
                    [python.with_name("cnn-studio-cli")]):
        version = run(*command, "--version", cwd=tmp_path, env=installed_app.env())
        assert version.returncode == 0 and version.stdout.split()[-1] == _version(), command
    trained = run(python, "-m", "studio", "train", "--arch", "tiny", "--dataset", "synthetic",
                  "--epochs", "1", "--out", "tiny.npz", cwd=tmp_path, env=installed_app.env())
    assert trained.returncode == 0, trained.stderr
    assert "test accuracy" in trained.stdout and (tmp_path / "tiny.npz").is_file()


def test_the_installed_app_opens_with_its_presets_and_icon(installed_app: InstalledApp,
                                                            tmp_path: Path) -> None:
    script = ("from PySide6.QtWidgets import QApplication\n"
              "from studio.app import create_main_window\n"
              "window = create_main_window([])\n"
              "presets = [a.text() for m in window.menuBar().findChildren(type(window.menuBar()"
              ".actions()[0].menu())) for a in m.actions()]\n"
              "print(window.windowTitle())\n"
              "print(QApplication.instance().windowIcon().isNull())\n"
              "print('|'.join(presets))\n")
    env = installed_app.env(QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path),
                            XDG_CONFIG_HOME=str(tmp_path / "config"),
                            XDG_CACHE_HOME=str(tmp_path))
    opened = run(installed_app.python, "-c", script, cwd=tmp_path, env=env)
    assert opened.returncode == 0, opened.stderr
    title, icon_missing, menus = opened.stdout.splitlines()[-3:]
    assert title.endswith("LeNet-5") and icon_missing == "False"
    from studio.io import load_preset, preset_names

    assert {load_preset(name)["name"] for name in preset_names()} <= set(menus.split("|"))


def test_the_desktop_entry_installs_for_the_user(installed_app: InstalledApp,
                                                 tmp_path: Path) -> None:
    done = run(installed_app.python, "-m", "studio", "desktop-entry", cwd=tmp_path,
               env=installed_app.env(XDG_DATA_HOME=str(tmp_path / "share")))
    assert done.returncode == 0, done.stderr
    entry = (tmp_path / "share" / "applications" / "cnn-studio.desktop").read_text()
    assert f'Exec="{installed_app.python}" -m studio %f' in entry and "Icon=cnn-studio" in entry
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
