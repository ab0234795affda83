"""`export --pytorch-trainer DIR`: a self-contained torchrun project that comes back as a .npz."""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from studio.cli import main
from studio.engine import Network, TrainConfig
from studio.io import load_preset, save_weights

TORCHRUN = Path(sys.executable).with_name("torchrun")


@pytest.fixture
def trainer(tmp_path: Path) -> tuple[Path, Path]:
    """(initial weights of the tiny preset, the exported trainer folder)."""
    initial = tmp_path / "initial.npz"
    save_weights(initial, Network(load_preset("tiny"), seed=0))
    assert main(["export", str(initial), "--pytorch-trainer", str(tmp_path / "trainer")]) == 0
    return initial, tmp_path / "trainer"


def test_the_folder_holds_the_module_the_network_and_a_script_that_needs_no_studio(trainer):
    _, folder = trainer
    assert sorted(p.name for p in folder.iterdir()) == ["architecture.json", "model.py",
                                                       "train.py"]
    assert json.loads((folder / "architecture.json").read_text()) == load_preset("tiny")
    for name in ("model.py", "train.py"):
        tree = ast.parse((folder / name).read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not any(module.split(".")[0] == "studio" for module in imported), name


def test_train_py_defaults_are_the_studios_recipe(trainer, monkeypatch):
    pytest.importorskip("torch")
    _, folder = trainer
    monkeypatch.syspath_prepend(str(folder))
    spec = importlib.util.spec_from_file_location("exported_train", folder / "train.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    defaults = script.parser().parse_args(["--data", "x"])
    studio = TrainConfig()
    assert (defaults.epochs, defaults.batch_size, defaults.lr, defaults.momentum,
            defaults.weight_decay, defaults.seed) == (
        studio.epochs, studio.batch_size, studio.learning_rate, studio.momentum,
        studio.weight_decay, studio.seed)
    assert (studio.optimizer, studio.nesterov, studio.schedule) == ("sgd", True, "onecycle"), \
        "train.py hard-codes Nesterov SGD and one-cycle: change it with the studio's defaults"


def test_a_file_in_the_way_is_one_clear_error(tmp_path, capsys):
    initial = tmp_path / "initial.npz"
    save_weights(initial, Network(load_preset("tiny"), seed=0))
    (tmp_path / "taken").write_text("")
    assert main(["export", str(initial), "--pytorch-trainer", str(tmp_path / "taken")]) == 2
    assert "is a file" in capsys.readouterr().err


@pytest.mark.slow
def test_torchrun_with_two_processes_matches_the_studio_and_comes_back(trainer, tmp_path,
                                                                       mnist_dir, capsys):
    """Same architecture, starting weights, epochs and global batch (2 processes × 32 = the
    studio's 64): the accuracies agree within half a point, and the studio's eval of the
    result prints what train.py reported."""
    if not TORCHRUN.is_file():
        pytest.skip("torchrun (PyTorch) is not installed")
    initial, folder = trainer
    assert main(["train", "--init", str(initial), "--data", str(mnist_dir), "--epochs", "2",
                 "--metrics", str(tmp_path / "studio.json")]) == 0
    studio_accuracy = json.loads((tmp_path / "studio.json").read_text())["test_accuracy"]
    out = tmp_path / "trained.npz"
    run = subprocess.run([TORCHRUN, "--standalone", "--nproc_per_node=2", folder / "train.py",
                          "--data", mnist_dir, "--epochs", "2", "--batch-size", "32",
                          "--init", initial, "--out", out], capture_output=True, text=True,
                         timeout=600, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    reported = re.findall(r"^test accuracy (\d+\.\d\d)%", run.stdout, re.MULTILINE)
    assert len(reported) == 1, run.stdout
    assert abs(float(reported[0]) / 100 - studio_accuracy) <= 0.005
    capsys.readouterr()
    assert main(["eval", str(out), "--data", str(mnist_dir)]) == 0
    assert capsys.readouterr().out.startswith(f"test accuracy {reported[0]}%")


def _exported(tmp_path: Path, architecture: dict) -> Path:
    initial = tmp_path / "initial.npz"
    save_weights(initial, Network(architecture, seed=0))
    assert main(["export", str(initial), "--pytorch-trainer", str(tmp_path / "trainer")]) == 0
    return tmp_path / "trainer" / "train.py"


def _reported_then_evaluated(command: list, data: Path, out: Path, tmp_path: Path,
                             capsys) -> tuple[str, str]:
    run = subprocess.run([*command, "--data", data, "--epochs", "1", "--batch-size", "8",
                          "--out", out], capture_output=True, text=True, timeout=600,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    reported, = re.findall(r"^test accuracy (\d+\.\d\d)%", run.stdout, re.MULTILINE)
    tested, = re.findall(r"^\d+ training and (\d+) test images", run.stdout, re.MULTILINE)
    capsys.readouterr()
    assert main(["eval", str(out), "--data", str(data)]) == 0
    evaluated = capsys.readouterr().out
    assert f"({tested} images, " in evaluated, "train.py tested on another set"
    return reported, re.match(r"test accuracy (\d+\.\d\d)%", evaluated).group(1)


@pytest.mark.slow
def test_torchrun_reads_cifar10_batches_and_the_studio_reads_its_result(tmp_path,
                                                                      cifar_batches, capsys):
    if not TORCHRUN.is_file():
        pytest.skip("torchrun (PyTorch) is not installed")
    script = _exported(tmp_path, load_preset("lenet5_rgb"))
    reported, evaluated = _reported_then_evaluated(
        [TORCHRUN, "--standalone", "--nproc_per_node=2", script], cifar_batches,
        tmp_path / "cifar.npz", tmp_path, capsys)
    assert reported == evaluated


@pytest.mark.slow
def test_one_process_reads_an_image_folder_with_the_studios_test_split(
        tmp_path, colour_folder, rgb_architecture, capsys):
    pytest.importorskip("torch")
    script = _exported(tmp_path, json.loads(rgb_architecture.read_text()))
    reported, evaluated = _reported_then_evaluated(
        [sys.executable, script], colour_folder, tmp_path / "colours.npz", tmp_path, capsys)
    assert reported == evaluated


def test_train_py_on_a_folder_without_a_dataset_is_one_line_and_status_2(trainer, tmp_path):
    pytest.importorskip("torch")
    _, folder = trainer
    (tmp_path / "empty").mkdir()
    run = subprocess.run([sys.executable, folder / "train.py", "--data", tmp_path / "empty"],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'empty'}: holds no MNIST IDX files, no CIFAR-10 binary batches "
        "and no class sub-folders of images"]
