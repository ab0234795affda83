"""Outputs checked before any work starts: writable, not an input, not another output.

A command that would write over the file it reads (`--metrics my.json` when
`--arch my.json`), or two outputs into one file, is refused with the two names;
so is an output whose folder cannot be written. Paths are compared after
resolving symbolic links, and as the same file on disk (hard links).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from .errors import FileWriteError

Paths = Mapping[str, Iterable[str | os.PathLike]]


def _same(a: Path, b: Path) -> bool:
    if a == b:
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _resolved(paths: Paths) -> list[tuple[str, str | os.PathLike, Path]]:
    """(label, the path as given, the path with symbolic links followed)."""
    return [(label, path, Path(os.path.realpath(path))) for label, group in paths.items()
            for path in group]


def check_writable(label: str, path: str | os.PathLike) -> None:
    """Refuse, naming `label` and `path`, a file that cannot be created or replaced."""
    target = Path(os.path.realpath(path))
    if target.is_dir():
        raise FileWriteError(path, reason=f"{label} is a folder; give a file name")
    folder = target.parent
    while not folder.exists():  # atomic writes create missing folders
        folder = folder.parent
    if not folder.is_dir():
        raise FileWriteError(path, reason=f"{folder} is not a folder")
    try:  # a real probe: permissions, read-only mounts and root all answer alike
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".cnn-studio-probe."):
            pass
    except OSError as error:
        raise FileWriteError(path, error) from None


def check_outputs(inputs: Paths, outputs: Paths,
                  may_replace: Iterable[tuple[str, str]] = ()) -> None:
    """Refuse an output that is an input or another output, or that cannot be written.

    `inputs` and `outputs` map a label (``"--arch"``) to the paths it names;
    `may_replace` lists (output label, input label) pairs where writing over the
    input is the point (a checkpoint written where the run resumed from).
    """
    allowed = set(may_replace)
    resolved_inputs, resolved_outputs = _resolved(inputs), _resolved(outputs)
    for k, (label, given, path) in enumerate(resolved_outputs):
        for other, _, other_path in resolved_outputs[:k]:
            if _same(path, other_path):
                raise FileWriteError(given, reason=f"{label} and {other} name the same file; "
                                                   "give each output its own name")
        for source, _, source_path in resolved_inputs:
            if (label, source) not in allowed and _same(path, source_path):
                raise FileWriteError(given, reason=f"{label} would overwrite {source}, which "
                                                   "this command reads; write it elsewhere")
    for label, group in outputs.items():
        for path in group:
            check_writable(label, path)
