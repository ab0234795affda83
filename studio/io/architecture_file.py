"""Architecture JSON files and the presets shipped in resources/presets (package data)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from studio.engine import ArchitectureError, check

from .atomic import atomic_write_text
from .errors import FileFormatError
from .resources import resource_files


def parse_json(text: str, source: str) -> Any:
    """The JSON value of `text`; `source` names the file in the error."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise FileFormatError(f"{source}: not valid JSON (line {error.lineno}, column "
                              f"{error.colno}: {error.msg})") from None
    except RecursionError:
        raise FileFormatError(f"{source}: the JSON is nested too deeply to be a CNN Studio "
                              "file") from None


def read_json(path: str | os.PathLike) -> Any:
    """The JSON in a regular file (a FIFO or device would block the reader)."""
    path = Path(path)
    try:
        if path.exists() and not path.is_file():
            raise FileFormatError(f"{path}: " + ("is a folder, not a JSON file" if path.is_dir()
                                                 else "is not a regular file"))
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileFormatError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise FileFormatError(f"{path}: not a text file — expected JSON") from None
    except OSError as error:
        raise FileFormatError(f"{path}: cannot be read ({error.strerror})") from None
    return parse_json(text, str(path))


def write_architecture(path: str | os.PathLike, architecture: dict[str, Any]) -> None:
    atomic_write_text(path, json.dumps(architecture, indent=2) + "\n")


def preset_names() -> list[str]:
    return sorted(entry.name.removesuffix(".json") for entry in resource_files().joinpath("presets")
                  .iterdir() if entry.name.endswith(".json"))


def load_preset(name: str) -> dict[str, Any]:
    if name not in preset_names():
        raise FileFormatError(f"no preset named {name!r}; presets: {', '.join(preset_names())}")
    text = resource_files().joinpath("presets").joinpath(f"{name}.json").read_text(encoding="utf-8")
    return parse_json(text, f"preset {name}")


def resolve_architecture(name_or_path: str) -> dict[str, Any]:
    """A preset's name (lenet5, mlp, tiny, …) or the path of a JSON file, checked: every
    problem of a file's architecture is one sentence that names the file."""
    if name_or_path in preset_names():
        return load_preset(name_or_path)
    if not name_or_path.endswith(".json") and not Path(name_or_path).exists():
        raise FileFormatError(f"{name_or_path!r} is neither a preset ({', '.join(preset_names())})"
                              f" nor an existing JSON file")
    architecture = read_json(name_or_path)
    try:
        check(architecture)
    except ArchitectureError as error:
        raise FileFormatError(f"{name_or_path}: {error}") from None
    return architecture
