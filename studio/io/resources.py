"""The files of resources/ (presets, icon, desktop entry), wherever the studio is installed.

The repository keeps `resources/` at its top; setuptools maps it into the wheel
as the package `studio.resources` (see pyproject.toml), so an installed copy
finds its files through importlib.resources. A source checkout has no such
package, and the folder beside `studio/` is used instead.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path


def resource_files() -> Traversable:
    """The resources folder: package data when installed, the checkout's folder otherwise."""
    try:
        return files("studio.resources")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "resources"
