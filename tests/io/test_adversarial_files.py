"""Crafted and hostile files: one sentence naming the file, quickly, in little memory.

Each class of attack is one table: archives whose headers lie, arrays of the wrong
kind, checkpoints missing their state; then writes (links, umask, failures) and
the generated PyTorch code. Fuzzing of every reader is in test_fuzz_readers.py.
"""

from __future__ import annotations

import ast
import io
import json
import os
import stat
import zipfile

import numpy as np
import pytest

from studio.engine import Network
from studio.io import (
    FileFormatError,
    FileWriteError,
    atomic_write_text,
    load_network,
    load_preset,
    read_checkpoint,
    read_weights,
    resolve_architecture,
    save_weights,
)
from studio.io.torch_sequential import pytorch_code
from tests.bounded import refused_within

TINY = load_preset("tiny")


def state(**changes):
    arrays = {k: v.copy() for k, v in Network(TINY).state_dict().items()}
    arrays["architecture"] = np.array(json.dumps(TINY))
    arrays.update(changes)
    return arrays


def npy_bytes(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def zipped(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def huge_header(path):
    """A member whose header declares 10¹² float32 values but holds 16 bytes."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                                  "shape": (10**6, 10**6)})
    members = {f"{k}.npy": npy_bytes(v) for k, v in state().items()}
    members["0.weight.npy"] = header.getvalue() + b"\0" * 16
    return zipped(path, members)


def deflated_bomb(path):
    """A small deflated member that would inflate to 64 MB (the memory guard is lowered)."""
    members = {f"{k}.npy": npy_bytes(v) for k, v in state().items()}
    members["zeros.npy"] = npy_bytes(np.zeros(16 * 2**20, np.float32))
    return zipped(path, members, zipfile.ZIP_DEFLATED)


def saved(path, **changes):
    np.savez(path, **state(**changes))
    return path


CRAFTED_NPZ = [
    (huge_header, r"declares shape \(1000000, 1000000\)"),
    (deflated_bomb, "of memory is available"),
    (lambda p: saved(p, **{"0.weight": np.full((4, 1, 3, 3), "w")}), "holds <U1 values"),
    (lambda p: saved(p, **{"0.weight": np.zeros((4, 1, 3, 3), complex)}), "complex128, not"),
    (lambda p: saved(p, **{"0.weight": np.full((4, 1, 3, 3), 1e39)}), "beyond float32's range"),
    (lambda p: saved(p, architecture=np.array([1.0])), "'architecture' entry must be JSON text"),
    (lambda p: zipped(p, {"architecture": json.dumps(TINY)}), "'architecture' is not a .npy"),
    (lambda p: saved(p, architecture=np.array("[" * 100_000)), "nested too deeply"),
    (lambda p: zipped(p, {"0.weight.npy": b"\x93NUMPY garbage"}), "not a readable .npy"),
    (lambda p: p.write_bytes(saved(p).read_bytes()[:-200]) and p, "corrupt or truncated"),
]


@pytest.mark.parametrize(("make", "expected"), CRAFTED_NPZ)
def test_crafted_weights_are_refused_before_anything_is_inflated(tmp_path, monkeypatch, make,
                                                                 expected):
    monkeypatch.setattr("studio.io.npz_archive.available_bytes", lambda: 32 * 2**20)
    path = make(tmp_path / "m.npz")
    refused_within(load_network, path, FileFormatError, expected, seconds=5, peak_bytes=20 * 2**20)


def checkpoint(tmp_path):
    from studio.engine import TrainConfig, Trainer
    from studio.io import save_checkpoint

    network = Network(TINY)
    images = np.zeros((8, 28, 28), np.uint8)
    trainer = Trainer(network, images, np.arange(8) % 10,
                      config=TrainConfig(epochs=1, batch_size=4, snapshot_interval=0))
    trainer.run()
    path = tmp_path / "c.npz"
    save_checkpoint(path, network, trainer)
    return path


def rewritten(path, change):
    with np.load(path, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    trainer = json.loads(str(arrays["trainer"]))
    change(trainer, arrays)
    arrays["trainer"] = np.array(json.dumps(trainer))
    np.savez(path, **arrays)


@pytest.mark.parametrize(("change", "expected"), [
    (lambda t, a: t.pop("rng"), "has no 'rng'"),
    (lambda t, a: a.pop("trainer.order"), "has no 'order'"),
    (lambda t, a: t.update(step="three"), "'step' is not a count"),
    (lambda t, a: t.update(rng={"bit_generator": "nonsense"}), "random-number state"),
    (lambda t, a: a.update({"trainer.order": np.zeros(8)}), "not a list of image indices"),
    (lambda t, a: t.update(config={"epochs": 1, "nonsense": 2}), "training settings"),
    (lambda t, a: t.clear() or t.update(x=[[[]]]), "has no 'step'"),
])
def test_a_checkpoint_missing_its_state_is_refused_by_name(tmp_path, change, expected):
    path = checkpoint(tmp_path)
    rewritten(path, change)
    with pytest.raises(FileFormatError, match=expected) as caught:
        read_checkpoint(path)
    assert str(path) in str(caught.value)


def test_a_checkpoint_resumed_with_other_data_or_settings_is_refused(tmp_path):
    from studio.engine import TrainConfig, Trainer
    from studio.io import resume_problem

    path = checkpoint(tmp_path)
    _, resumed = read_checkpoint(path)
    same = TrainConfig(epochs=2, batch_size=4)
    assert resume_problem(path, resumed, same, 8) is None
    assert "trained on 8 images but this dataset has 9" in resume_problem(path, resumed, same, 9)
    assert "--batch-size 4" in resume_problem(path, resumed, TrainConfig(epochs=2), 8)
    assert "already finished 1 epochs" in resume_problem(path, resumed,
                                                         TrainConfig(epochs=1, batch_size=4), 8)
    with pytest.raises(ValueError, match="trained on 8 images but this dataset has 9"):
        Trainer(Network(TINY), np.zeros((9, 28, 28), np.uint8), np.arange(9) % 10, config=same,
                resume=resumed)  # the app continues stopped runs through the trainer alone


# --- writes -----------------------------------------------------------------------------

def test_a_write_through_a_symbolic_link_replaces_its_target(tmp_path):
    target, link = tmp_path / "real.json", tmp_path / "link.json"
    target.write_text("old")
    link.symlink_to(target)
    atomic_write_text(link, "new")
    assert link.is_symlink() and target.read_text() == "new"


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_new_files_respect_the_umask_and_replaced_files_keep_their_mode(tmp_path, umask):
    old = os.umask(umask)
    try:
        save_weights(tmp_path / "new.npz", Network(TINY))
        kept = tmp_path / "kept.json"
        kept.write_text("x")
        kept.chmod(0o640)
        atomic_write_text(kept, "y")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.npz").stat().st_mode) == 0o666 & ~umask
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640


@pytest.mark.parametrize(("errno", "reason"), [(28, "No space left on device"),
                                               (30, "Read-only file system")])
def test_a_failed_write_names_the_users_file_and_leaves_the_old_one(tmp_path, monkeypatch,
                                                                     errno, reason):
    path = tmp_path / "m.json"
    path.write_text("old")

    def fail(*_):
        raise OSError(errno, reason)

    monkeypatch.setattr("studio.io.atomic.os.replace", fail)
    with pytest.raises(FileWriteError) as caught:
        atomic_write_text(path, "new")
    assert str(caught.value).startswith(f"{path}: cannot be written ({reason})")
    assert ".tmp" not in str(caught.value) and isinstance(caught.value, OSError)
    assert caught.value.strerror == reason  # the app's save dialog reads it
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"] and path.read_text() == "old"


def test_a_folder_as_a_file_name_is_refused(tmp_path):
    with pytest.raises(FileWriteError, match="is a folder"):
        atomic_write_text(tmp_path, "x")


# --- generated code -----------------------------------------------------------------------

@pytest.mark.parametrize("name", ['say "hi"', 'triple """ quotes', "back\\slash\\",
                                  'ends in a quote"', "new\nline", "\\N{oops}", "nul\x00",
                                  "both ' and \""])
def test_generated_pytorch_code_is_valid_python_for_any_name(name):
    code = pytorch_code({**TINY, "name": name}, weights_name='we"ights\\.npz')
    tree = ast.parse(code)  # a SyntaxError is the failure
    assert ast.get_docstring(tree).split(" — ")[0] == name


# --- architecture files -------------------------------------------------------------------

def test_an_architecture_files_problems_name_the_file(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps({**TINY, "layers": [{"type": "conv2d", "filters": 0,
                                                    "kernel": 3}]}))
    with pytest.raises(FileFormatError, match=f"{path}: layer 0 \\(conv2d\\)"):
        resolve_architecture(str(path))


def test_a_fifo_is_not_read(tmp_path):
    fifo = tmp_path / "a.json"
    os.mkfifo(fifo)
    with pytest.raises(FileFormatError, match="not a regular file"):
        resolve_architecture(str(fifo))
    with pytest.raises(FileFormatError, match="not a regular file"):
        read_weights(fifo)


def test_under_a_memory_limit_a_deflated_bomb_is_one_sentence(tmp_path):
    """A 1 MB archive that inflates to 1 GB, opened by `eval` under `ulimit -v` 2 GB: the
    guard sees the limit and refuses before inflating (it used to end in MemoryError)."""
    import resource
    import subprocess
    import sys

    path = tmp_path / "bomb.npz"
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                                  "shape": (2**28,)})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("0.weight.npy", "w", force_zip64=True) as member:
            member.write(header.getvalue())
            for _ in range(64):
                member.write(bytes(2**24))
        archive.writestr("architecture.npy", npy_bytes(np.array(json.dumps(TINY))))
    limit = 2**31
    result = subprocess.run(
        [sys.executable, "-m", "studio", "eval", str(path), "--dataset", "synthetic"],
        capture_output=True, text=True, timeout=300,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)))
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith(f"error: {path}: its arrays would take 1.1 GB")
