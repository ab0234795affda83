"""Install the Linux desktop entry and icon for the current user (XDG data folders).

The entry shipped in resources/ says `Exec=cnn-studio`; the installed copy
names this interpreter instead, so the launcher works whether or not the
folder holding the `cnn-studio` script (a venv, pipx's ~/.local/bin) is on the
desktop session's PATH.
"""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs

from studio.io import atomic_write_bytes, atomic_write_text, resource_files

ENTRY = "cnn-studio.desktop"
ICON = "cnn-studio.svg"


def _exec_line() -> str:
    interpreter = sys.executable.replace("\\", "\\\\").replace('"', '\\"')
    return f'Exec="{interpreter}" -m studio %f'


def install_desktop_entry(data_home: Path | None = None) -> tuple[Path, Path]:
    """Write the entry to <data>/applications and the icon to the hicolor theme; return both
    paths. `data_home` defaults to $XDG_DATA_HOME (~/.local/share)."""
    data_home = data_home or Path(platformdirs.user_data_dir())
    template = resource_files().joinpath(ENTRY).read_text(encoding="utf-8")
    entry = "\n".join(_exec_line() if line.startswith("Exec=") else line
                      for line in template.splitlines()) + "\n"
    entry_path = data_home / "applications" / ENTRY
    icon_path = data_home / "icons" / "hicolor" / "scalable" / "apps" / ICON
    for folder in (entry_path.parent, icon_path.parent):
        folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(entry_path, entry)
    atomic_write_bytes(icon_path, resource_files().joinpath("icons").joinpath(ICON).read_bytes())
    return entry_path, icon_path
