"""Fuzzing every io reader: weights, checkpoints, projects and architecture JSON.

Whatever the bytes, a reader returns or raises `FileFormatError` naming the file,
within the time and memory bound of `tests.bounded` — never another exception.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.engine import Network, TrainConfig, Trainer
from studio.io import (
    FileFormatError,
    load_network,
    load_preset,
    read_checkpoint,
    read_project,
    resolve_architecture,
    resume_problem,
    save_checkpoint,
    save_weights,
)
from tests.bounded import read_or_refuse

FUZZ = settings(max_examples=30, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
TINY = load_preset("tiny")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4), max_leaves=12)


def mutated(data: bytes, edits: list[tuple[int, int]], cut: int) -> bytes:
    """`data` with some bytes replaced and possibly cut short."""
    raw = bytearray(data)
    for position, value in edits:
        raw[position % len(raw)] = value
    return bytes(raw[:max(cut, 1)] if cut < len(raw) else raw)


edits = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=6)


def valid_weights(tmp_path) -> bytes:
    save_weights(tmp_path / "valid.npz", Network(TINY))
    return (tmp_path / "valid.npz").read_bytes()


def valid_checkpoint(tmp_path) -> bytes:
    network = Network(TINY)
    trainer = Trainer(network, np.zeros((8, 28, 28), np.uint8), np.arange(8) % 10,
                      config=TrainConfig(epochs=2, batch_size=4, snapshot_interval=0))
    save_checkpoint(tmp_path / "valid.checkpoint.npz", network, trainer)
    return (tmp_path / "valid.checkpoint.npz").read_bytes()


@FUZZ
@given(edits=edits, cut=st.integers(0, 10**5))
def test_weights_reader_with_damaged_bytes(tmp_path, edits, cut):
    path = tmp_path / "m.npz"
    path.write_bytes(mutated(valid_weights(tmp_path), edits, cut))
    read_or_refuse(load_network, path, FileFormatError)


def npz_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


npy_headers = st.builds(
    lambda descr, shape: (np.lib.format.magic(1, 0), descr, shape),
    st.sampled_from(["<f4", "<f8", "<i8", "|u1", "<U8", "|S4", "<c8", "|O", "|b1"]),
    st.lists(st.integers(0, 2**40), max_size=4).map(tuple))


@FUZZ
@given(headers=st.dictionaries(st.sampled_from(["architecture.npy", "0.weight.npy", "0.bias",
                                                "x.npy", "trainer.npy"]),
                               st.tuples(npy_headers, st.binary(max_size=64)), max_size=4))
def test_weights_reader_with_lying_headers(tmp_path, headers):
    members = {}
    for name, ((magic, descr, shape), body) in headers.items():
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {"descr": descr, "fortran_order": False,
                                                      "shape": shape})
        members[name] = magic + header.getvalue()[6:] + body
    path = tmp_path / "m.npz"
    path.write_bytes(npz_of(members))
    read_or_refuse(load_network, path, FileFormatError)


@FUZZ
@given(edits=edits, cut=st.integers(0, 10**5), extra=st.dictionaries(
    st.sampled_from(["step", "epoch", "batch", "order", "rng", "layer_rngs", "config",
                     "ordered_epoch", "optimizer.velocity"]), json_values, max_size=3))
def test_checkpoint_reader_with_damaged_bytes_or_state(tmp_path, edits, cut, extra):
    data = valid_checkpoint(tmp_path)
    path = tmp_path / "c.npz"
    if extra:  # a well-formed archive whose training state lies
        path.write_bytes(data)
        with np.load(path, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
        state = {**json.loads(str(arrays["trainer"])), **extra}
        arrays["trainer"] = np.array(json.dumps(state))
        np.savez(path, **arrays)
    else:
        path.write_bytes(mutated(data, edits, cut))
    found = read_or_refuse(read_checkpoint, path, FileFormatError)
    if found is not None:  # what the CLI does next with it must not crash either
        problem = resume_problem(path, found[1], TrainConfig(epochs=2, batch_size=4), 8)
        assert problem is None or str(path) in problem


@FUZZ
@given(document=json_values, keys=st.dictionaries(
    st.sampled_from(["format", "version", "architecture", "training", "weights", "runs"]),
    json_values, max_size=6))
def test_project_reader_with_any_json(tmp_path, document, keys):
    path = tmp_path / "p.cnnproj"
    project = {"format": "cnn-studio.project", "version": 1, "architecture": TINY, **keys}
    path.write_text(json.dumps(project if keys else document))
    read_or_refuse(read_project, path, FileFormatError)


@FUZZ
@given(document=json_values, layers=st.lists(st.dictionaries(
    st.sampled_from(["type", "filters", "kernel", "stride", "padding", "units", "size"]),
    json_values | st.sampled_from(["conv2d", "dense", "relu", "same"]), max_size=4),
    max_size=4), text=st.text(max_size=40))
def test_architecture_reader_with_any_json(tmp_path, document, layers, text):
    path = tmp_path / "a.json"
    for content in (json.dumps(document), json.dumps({**TINY, "layers": layers}), text):
        path.write_text(content)
        read_or_refuse(lambda p: resolve_architecture(str(p)), path, FileFormatError)
