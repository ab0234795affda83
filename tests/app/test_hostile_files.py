"""The window opens the same crafted files as the CLI and shows the same sentence in a
dialog (never a traceback), keeping the network it had."""

from __future__ import annotations

import json

import pytest

from studio.io import FileFormatError, read_project
from tests.io.test_adversarial_files import CRAFTED_NPZ, checkpoint


def deep_project(path):
    path.write_text('{"format": "cnn-studio.project", "architecture": ' + "[" * 100_000)
    return path


def project_with_bad_weights(path):
    path.write_text(json.dumps({"format": "cnn-studio.project", "version": 1,
                                "architecture": {}, "weights": ["not", "a", "name"]}))
    return path


@pytest.mark.parametrize("make", [make for make, _ in CRAFTED_NPZ] + [
    lambda p: deep_project(p.with_suffix(".cnnproj")),
    lambda p: project_with_bad_weights(p.with_suffix(".cnnproj")),
])
def test_a_crafted_file_gets_the_readers_sentence_in_a_dialog(window, tmp_path, monkeypatch,
                                                              make):
    monkeypatch.setattr("studio.io.npz_archive.available_bytes", lambda: 32 * 2**20)
    path = make(tmp_path / "m.npz")
    with pytest.raises(FileFormatError) as expected:
        read_project(path)
    before = window.document.architecture
    assert not window.open_file(path)
    assert window.errors[-1] == str(expected.value)
    assert window.document.architecture == before


def test_a_checkpoint_opens_as_its_network(window, tmp_path):
    assert window.open_file(checkpoint(tmp_path))
    assert window.document.architecture["name"] == "Tiny CNN"
