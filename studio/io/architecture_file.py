"""Architecture JSON files and the presets shipped in resources/presets (package data)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .atomic import atomic_write_text
from .errors import FileFormatError
from .resources import resource_files


def parse_json(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise FileFormatError(f"{source}: not valid JSON (line {error.lineno}, column "
                              f"{error.colno}: {error.msg})") from None


def read_json(path: str | os.PathLike) -> Any:
    path = Path(path)
    try:
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
    """A preset's name (lenet5, mlp, tiny, …) or the path of a JSON file."""
    if name_or_path in preset_names():
        return load_preset(name_or_path)
    if not name_or_path.endswith(".json") and not Path(name_or_path).exists():
        raise FileFormatError(f"{name_or_path!r} is neither a preset ({', '.join(preset_names())})"
                              f" nor an existing JSON file")
    return read_json(name_or_path)
