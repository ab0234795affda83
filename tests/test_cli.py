"""The command line: a working run, and one line plus a non-zero exit for every error."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from studio.cli import main
from studio.io import load_preset


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "studio", *args], capture_output=True, text=True,
                          timeout=300)


def test_train_writes_weights_and_metrics_then_eval_reads_them(tmp_path, mnist_dir):
    out, metrics = tmp_path / "m.npz", tmp_path / "metrics.json"
    result = run_cli("train", "--arch", "tiny", "--data", str(mnist_dir), "--epochs", "1",
                     "--out", str(out), "--metrics", str(metrics))
    assert result.returncode == 0, result.stderr
    data = json.loads(metrics.read_text())
    assert {"test_accuracy", "test_loss", "train_seconds", "train_images_per_second"} <= set(data)
    assert data["test_accuracy"] > 0.85 and len(data["epochs"]) == 1
    evaluated = run_cli("eval", str(out), "--data", str(mnist_dir))
    assert evaluated.returncode == 0
    assert f"test accuracy {data['test_accuracy']:.2%}" in evaluated.stdout


def test_train_on_synthetic_digits_needs_no_network(tmp_path, capsys):
    assert main(["train", "--arch", "tiny", "--dataset", "synthetic", "--epochs", "1",
                 "--out", str(tmp_path / "m.npz")]) == 0
    captured = capsys.readouterr()
    assert "not MNIST" in captured.err
    assert "test accuracy" in captured.out


def write(path, text):
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(("make_args", "expected"), [
    (lambda t: ["train", "--arch", "nope"], "neither a preset"),
    (lambda t: ["train", "--data", str(t / "missing")], "no such folder"),
    (lambda t: ["train", "--arch", write(t / "a.json", "{oops"), "--dataset", "synthetic"],
     "not valid JSON"),
    (lambda t: ["train", "--arch", write(t / "a.json", json.dumps({"format": "x"})),
                "--dataset", "synthetic"], "'format' must be"),
    (lambda t: ["train", "--arch", "tiny", "--dataset", "synthetic", "--lr", "0"],
     "learning rate must be a positive number"),
    (lambda t: ["train", "--arch", "tiny", "--dataset", "synthetic", "--batch-size", "0"],
     "batch size must be at least 1"),
    (lambda t: ["train", "--arch", "tiny", "--dataset", "synthetic", "--epochs", "1",
                "--lr", "1e6", "--schedule", "constant"], "training diverged"),
    (lambda t: ["eval", str(t / "none.npz"), "--dataset", "synthetic"], "file not found"),
    (lambda t: ["export", write(t / "m.npz", "not a zip"), "--json", str(t / "a.json")],
     "not a .npz archive"),
    (lambda t: ["export", str(t / "m.npz")], "nothing to export"),
    (lambda t: ["train", "--dataset", "synthetic", "--arch", write(t / "a.json", json.dumps(
        {**load_preset("tiny"), "input": {"channels": 1, "height": 32, "width": 32}}))],
     "expects 1×32×32 input but the dataset's images are 1×28×28"),
    (lambda t: ["train", "--init", str(t / "missing.npz"), "--dataset", "synthetic"],
     "file not found"),
])
def test_errors_are_one_line_and_exit_non_zero(tmp_path, capsys, make_args, expected):
    assert main(make_args(tmp_path)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and expected in err[-1]
    assert not any("Traceback" in line for line in err)


def test_errors_in_a_real_process_have_no_traceback(tmp_path):
    result = run_cli("train", "--arch", str(tmp_path / "missing.json"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr


def test_export_every_format_then_eval_the_onnx_and_continue_training(tmp_path, capsys):
    model = str(tmp_path / "m.npz")
    assert main(["train", "--arch", "tiny", "--dataset", "synthetic", "--epochs", "1",
                 "--out", model]) == 0
    assert main(["export", model, "--json", str(tmp_path / "a.json"), "--onnx",
                 str(tmp_path / "m.onnx"), "--pytorch", str(tmp_path / "m.py")]) == 0
    assert json.loads((tmp_path / "a.json").read_text())["name"] == "Tiny CNN"
    assert "def load(npz_path" in (tmp_path / "m.py").read_text()
    capsys.readouterr()
    assert main(["eval", model, "--dataset", "synthetic"]) == 0
    ours = capsys.readouterr().out.split(",")[0]
    assert main(["eval", model, "--dataset", "synthetic", "--onnx",
                 str(tmp_path / "m.onnx")]) == 0
    assert capsys.readouterr().out.split(",")[0] == ours  # same test accuracy
    assert main(["train", "--init", model, "--dataset", "synthetic", "--epochs", "1",
                 "--lr", "0.01", "--out", str(tmp_path / "m2.npz")]) == 0
    first = float(ours.split()[2].rstrip("%"))
    continued = capsys.readouterr().out
    assert "test accuracy" in continued
    assert float(continued.split("test accuracy ")[1].split("%")[0]) >= first - 1


def test_bench_quick_prints_the_table(capsys):
    from studio.bench import run_bench

    rows = run_bench(quick=True)
    assert {row["network"] for row in rows} == {"LeNet-5", "wide 32-64"}
    assert all(row["engine"] > 0 for row in rows)
    out = capsys.readouterr().out
    assert "per-layer time" in out
    from studio.engine.threads import blas_kernels

    # the controller that keeps BLAS on one thread sees the library Numba calls...
    assert blas_kernels().startswith("OpenBLAS")
    assert f"({blas_kernels()} kernels" in out  # ...and the peak says which of its kernels ran


@pytest.mark.slow
def test_a_killed_run_leaves_the_last_epochs_weights_loadable(tmp_path, mnist_dir):
    import signal
    import time

    from studio.io import load_network

    out = tmp_path / "m.npz"
    process = subprocess.Popen([sys.executable, "-m", "studio", "train", "--arch", "lenet5",
                                "--data", str(mnist_dir), "--epochs", "50", "--out", str(out)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not out.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert out.exists(), "no checkpoint after the first epoch"
        time.sleep(0.7)  # land somewhere inside a later epoch, or inside a write
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        process.kill()
    assert load_network(out).analysis.name == "LeNet-5"
    # a kill during a write may strand a hidden temporary file, never a broken file
    assert all(p.name in ("m.npz", "m.checkpoint.npz") or p.name.startswith(".m.")
               for p in tmp_path.iterdir())
    if (tmp_path / "m.checkpoint.npz").exists():
        from studio.io import read_checkpoint

        assert read_checkpoint(tmp_path / "m.checkpoint.npz")[1]["epoch"] >= 1


def test_resume_continues_exactly_like_an_uninterrupted_run(tmp_path):
    import numpy as np

    common = ["--arch", "tiny", "--dataset", "synthetic", "--schedule", "constant",
              "--seed", "3"]
    assert main(["train", *common, "--epochs", "1", "--out", str(tmp_path / "a.npz")]) == 0
    assert (tmp_path / "a.checkpoint.npz").is_file()
    assert main(["train", *common, "--epochs", "2", "--resume",
                 str(tmp_path / "a.checkpoint.npz"), "--out", str(tmp_path / "b.npz")]) == 0
    assert main(["train", *common, "--epochs", "2", "--out", str(tmp_path / "c.npz")]) == 0
    with np.load(tmp_path / "b.npz") as resumed, np.load(tmp_path / "c.npz") as whole:
        for name in whole.files:
            np.testing.assert_array_equal(resumed[name], whole[name], err_msg=name)


def test_resume_from_plain_weights_says_to_use_init(tmp_path, capsys):
    from studio.engine import Network
    from studio.io import save_weights

    save_weights(tmp_path / "m.npz", Network(load_preset("tiny")))
    assert main(["train", "--resume", str(tmp_path / "m.npz"), "--dataset", "synthetic"]) == 2
    assert "no training state — use --init" in capsys.readouterr().err


def test_train_and_eval_on_a_folder_of_rgb_images(tmp_path, rgb_architecture, colour_folder,
                                                   capsys):
    model = tmp_path / "rgb.npz"
    assert main(["train", "--arch", str(rgb_architecture), "--data", str(colour_folder),
                 "--epochs", "15", "--batch-size", "8", "--out", str(model)]) == 0
    assert main(["eval", str(model), "--data", str(colour_folder)]) == 0
    accuracy = float(capsys.readouterr().out.split("test accuracy")[-1].split("%")[0])
    assert accuracy == 100.0  # three solid colours are easy to tell apart
