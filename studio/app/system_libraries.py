"""Which system libraries Qt's X11 plugin lacks, and the one apt line that installs them.

Without them Qt aborts with "Could not load the Qt platform plugin "xcb"", which
tells a learner nothing; PySide6's wheels ship Qt but not these libraries.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

#: Debian's names where the usual rule (libfoo.so.N -> libfooN, libfoo2.so.N -> libfoo2-N) fails.
_PACKAGES = {"libglib-2.0.so.0": "libglib2.0-0", "libgthread-2.0.so.0": "libglib2.0-0"}


def debian_package(soname: str) -> str:
    """The Debian/Ubuntu package that ships `soname` (libxcb-cursor.so.0 -> libxcb-cursor0)."""
    if soname in _PACKAGES:
        return _PACKAGES[soname]
    match = re.fullmatch(r"(.+)\.so\.(\d+)(?:\.\d+)*", soname)
    if not match:
        return soname
    name, major = match.group(1).lower(), match.group(2)
    return f"{name}-{major}" if name[-1].isdigit() else f"{name}{major}"


def missing_from_ldd(output: str) -> list[str]:
    """The sonames `ldd` reports as "not found", in its order, each once."""
    found = re.findall(r"^\s*(\S+)\s+=>\s+not found", output, flags=re.MULTILINE)
    return list(dict.fromkeys(found))


def _xcb_plugin() -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    plugin = Path(next(iter(spec.submodule_search_locations))) / "Qt/plugins/platforms/libqxcb.so"
    return plugin if plugin.is_file() else None


def missing_qt_libraries() -> list[str]:
    """Sonames that Qt's xcb plugin needs and this Linux system lacks; [] where Qt will not use
    that plugin (another platform, QT_QPA_PLATFORM set to something else) or ldd is absent."""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if not sys.platform.startswith("linux") or (platform and not platform.startswith("xcb")):
        return []
    plugin, ldd = _xcb_plugin(), shutil.which("ldd")
    if plugin is None or ldd is None:
        return []
    result = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, check=False)
    return missing_from_ldd(result.stdout)


def install_advice(missing: list[str]) -> str:
    """One sentence a learner can act on: what is missing and the apt line that installs it."""
    packages = " ".join(dict.fromkeys(debian_package(name) for name in missing))
    return (f"CNN Studio cannot open a window: Qt needs system libraries this machine lacks "
            f"({', '.join(missing)}). Install them with:\n"
            f"  sudo apt-get install -y {packages}")
