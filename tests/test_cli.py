"""The command line: a working run, and one line plus a non-zero exit for every error."""

from __future__ import annotations

import json
import os
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
    (lambda t: ["export", str(t / "m.npz"), "--onnx", str(t / "m.bin")],
     "the ending .bin names no export format"),  # the window's refusal, word for word
    (lambda t: ["export", str(t / "m.npz"), "--onnx", str(t / "m.py")],
     "m.py: the file's name must end in .onnx"),
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
    from studio.engine import blas_kernels

    # the controller that keeps BLAS on one thread sees the library Numba calls...
    assert blas_kernels().startswith("OpenBLAS")
    assert f"({blas_kernels()} kernels" in out  # ...and the peak says which of its kernels ran
    faster = [line for line in out.splitlines() if "× faster" in line]  # the textbook engine's
    assert [line.split()[0] for line in faster] == ["training", "inference"]
    assert all(line.split()[3] == "textbook" for line in faster)


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


# --- adversarial use: nothing lost, nothing crashes, nothing hangs ------------------------

SMALL: list = []  # the folder of `small_data`, for the argument tables below


def tiny(*more: str) -> list[str]:
    """Train the tiny preset for one epoch on 64 images (later options win)."""
    return ["--arch", "tiny", "--data", str(SMALL[0]), "--epochs", "1", *more]


@pytest.fixture(scope="module", autouse=True)
def small_data(tmp_path_factory):
    SMALL[:] = [idx_folder(tmp_path_factory.mktemp("small"), train=64, test=16)]


@pytest.fixture(scope="module")
def trained(small_data, tmp_path_factory):
    """A folder with `a.npz` and `a.checkpoint.npz` from one epoch on the small data."""
    folder = tmp_path_factory.mktemp("trained")
    assert main(["train", *tiny(), "--out", str(folder / "a.npz")]) == 0
    return folder


def idx_folder(folder, train=20, test=20, classes=10):
    """A small MNIST-format folder of random images."""
    import numpy as np

    from studio.data import write_idx

    rng = np.random.default_rng(0)
    folder.mkdir(exist_ok=True)
    for split, count in (("train", train), ("t10k", test)):
        write_idx(folder / f"{split}-images-idx3-ubyte.gz",
                  rng.integers(0, 256, (count, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz",
                  (np.arange(count) % classes).astype(np.uint8))
    return folder


def files_in(folder):
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def prepared(t):
    """A folder with an architecture, trained-looking weights and an IDX dataset."""
    from studio.engine import Network
    from studio.io import save_weights

    write(t / "my.json", json.dumps(load_preset("tiny")))
    save_weights(t / "w.npz", Network(load_preset("tiny")))
    idx_folder(t / "data")
    (t / "link.json").symlink_to(t / "my.json")
    os.link(t / "my.json", t / "hard.json")
    (t / "folder.npz").mkdir()
    (t / "afile").write_text("x")
    return t


@pytest.mark.parametrize(("make_args", "expected"), [
    (lambda t: ["train", *tiny(), "--out", str(t / "m.npz"), "--metrics", str(t / "m.npz")],
     "--metrics and --out name the same file"),
    (lambda t: ["train", "--dataset", "synthetic", "--arch", str(t / "my.json"), "--metrics",
                str(t / "my.json")], "--metrics would overwrite --arch"),
    (lambda t: ["train", "--dataset", "synthetic", "--arch", str(t / "my.json"), "--metrics",
                str(t / "link.json")], "--metrics would overwrite --arch"),  # through a link
    (lambda t: ["train", "--dataset", "synthetic", "--arch", str(t / "my.json"), "--metrics",
                str(t / "hard.json")], "--metrics would overwrite --arch"),  # a hard link
    (lambda t: ["train", "--dataset", "synthetic", "--init", str(t / "w.npz"), "--out",
                str(t / "w.npz")],
     "--out would overwrite --init"),
    (lambda t: ["train", "--arch", "tiny", "--data", str(t / "data"), "--out",
                str(t / "data" / "train-images-idx3-ubyte.gz")], "would overwrite --data"),
    (lambda t: ["train", *tiny(), "--out", str(t / "x.npz"), "--metrics",
                str(t / "x.checkpoint.npz")], "name the same file"),
    (lambda t: ["export", str(t / "w.npz"), "--onnx", str(t / "w.npz")],
     "--onnx would overwrite the model"),
    (lambda t: ["export", str(t / "w.npz"), "--pytorch", str(t / "w.npz")],
     "--pytorch would overwrite the model"),
    (lambda t: ["export", str(t / "w.npz"), "--json", str(t / "a.json"), "--pytorch",
                str(t / "a.json")], "--pytorch and --json name the same file"),
    (lambda t: ["train", *tiny(), "--out", str(t / "folder.npz")], "is a folder"),
    (lambda t: ["train", *tiny(), "--metrics", str(t / "afile" / "m.json")], "is not a folder"),
])
def test_outputs_that_would_destroy_a_file_are_refused_before_any_work(tmp_path, capsys,
                                                                       make_args, expected):
    before = files_in(prepared(tmp_path))
    assert main(make_args(tmp_path)) == 2
    err = capsys.readouterr().err
    assert expected in err.splitlines()[-1] and "Traceback" not in err
    assert "training and" not in err  # refused before the dataset was even loaded
    assert files_in(tmp_path) == before  # nothing written, nothing replaced


def failing_save(monkeypatch, fail_for):
    """Make saves to paths ending in `fail_for` fail as a full disk does."""
    import studio.io as io
    from studio.io import FileWriteError

    real_weights, real_text = io.save_weights, io.atomic_write_text

    def check(path):
        if str(path).endswith(fail_for):
            raise FileWriteError(path, OSError(28, "No space left on device"))

    monkeypatch.setattr(io, "save_weights", lambda p, n: (check(p), real_weights(p, n)))
    monkeypatch.setattr(io, "atomic_write_text", lambda p, t: (check(p), real_text(p, t)))


@pytest.mark.parametrize(("fail_for", "extra", "kept_in"), [
    ("m.npz", ["--out", "m.npz"], "rescued"),  # --out itself fails after training
    ("metrics.json", ["--metrics", "metrics.json"], "rescued"),  # no --out: weights rescued
    ("metrics.json", ["--out", "m.npz", "--metrics", "metrics.json"], "m.npz"),
])
def test_a_late_write_failure_keeps_the_trained_weights(tmp_path, monkeypatch, capsys, fail_for,
                                                        extra, kept_in):
    from studio.io import load_network

    monkeypatch.chdir(tmp_path)
    failing_save(monkeypatch, fail_for)
    assert main(["train", *tiny(), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"error: {fail_for}: cannot be written (No space left on device)")
    assert ".tmp" not in err[-1]  # the user's path, never the temporary file
    kept = next(p for p in tmp_path.iterdir() if kept_in in p.name and p.suffix == ".npz")
    assert str(kept.name) in err[-1]
    assert load_network(kept).analysis.name == "Tiny CNN"


def test_a_closed_pipe_does_not_stop_training(tmp_path):
    out = tmp_path / "m.npz"
    process = subprocess.Popen([sys.executable, "-m", "studio", "train", *tiny("--epochs", "3"),
                                "--out", str(out)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    process.stdout.readline()  # `| head -1`
    process.stdout.close()
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert "Broken pipe" not in err and out.is_file()


def image_folder(root, classes, per_class, size=8):
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(1)
    for c in range(classes):
        (root / f"c{c:02d}").mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 256, (size, size), dtype=np.uint8)
            Image.fromarray(pixels, "L").save(root / f"c{c:02d}" / f"{i}.png")
    return root


@pytest.mark.parametrize(("make_args", "expected"), [
    # a finished run resumed with the same number of epochs
    (lambda t, m: ["train", *tiny(), "--resume", str(m / "a.checkpoint.npz")],
     "already finished 1 epochs — give --epochs more than 1"),
    # another batch size, other data, another optimiser than the checkpoint's run
    (lambda t, m: ["train", *tiny("--epochs", "2"), "--batch-size", "32", "--resume",
                str(m / "a.checkpoint.npz")], "give --batch-size 64 to continue it"),
    (lambda t, m: ["train", "--epochs", "2", "--data", str(idx_folder(t / "d")), "--batch-size",
                "4", "--resume", str(m / "a.checkpoint.npz")], "trained on 64 images"),
    (lambda t, m: ["train", *tiny("--epochs", "2"), "--optimizer", "adam", "--resume",
                str(m / "a.checkpoint.npz")], "give --optimizer sgd"),
    (lambda t, m: ["train", "--arch", "lenet5", "--dataset", "synthetic", "--init",
                str(m / "a.npz")], "--arch lenet5 is not the architecture of the --init file"),
    (lambda t, m: ["train", *tiny(), "--init", str(m / "a.npz"), "--resume",
                str(m / "a.checkpoint.npz")], "not both"),
    (lambda t, m: ["eval", str(m / "a.npz"), "--dataset", "synthetic", "--onnx",
                str(t / "nope.onnx")], "nope.onnx: file not found"),
    (lambda t, m: ["eval", str(m / "a.npz"), "--dataset", "synthetic", "--onnx",
                write(t / "x.onnx", "not onnx")], "x.onnx: onnxruntime cannot run it"),
    (lambda t, m: ["eval", str(m / "a.npz"), "--data", str(image_folder(t / "twelve", 12, 3))],
     "tells 10 classes apart but twelve has 12"),
    (lambda t, m: ["eval", str(m / "a.npz"), "--data", str(idx_folder(t / "e", test=0))],
     "has no test images"),
    (lambda t, m: ["train", *tiny(), "--data", str(idx_folder(t / "z", train=0))],
     "train-images-idx3-ubyte.gz: holds no images"),
    (lambda t, m: ["train", "--dataset", "mnist", "--mirror", "http://[::1"],
     "is not a valid http(s) address"),
])
def test_ordinary_mistakes_get_one_sentence_not_a_traceback(tmp_path, trained, capsys,
                                                             make_args, expected):
    pytest.importorskip("onnxruntime")
    capsys.readouterr()
    assert main(make_args(tmp_path, trained)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and expected in err[-1], err[-1]
    assert not any("Traceback" in line for line in err)


def test_resuming_may_write_the_checkpoint_it_started_from(tmp_path):
    from studio.io import read_checkpoint

    assert main(["train", *tiny(), "--out", str(tmp_path / "a.npz")]) == 0
    assert main(["train", *tiny("--epochs", "2"), "--resume", str(tmp_path / "a.checkpoint.npz"),
                 "--out", str(tmp_path / "a.npz")]) == 0
    assert read_checkpoint(tmp_path / "a.checkpoint.npz")[1]["epoch"] == 2


def test_a_checkpoint_is_weights_for_eval_and_init(tmp_path, capsys):
    assert main(["train", *tiny(), "--out", str(tmp_path / "a.npz")]) == 0
    capsys.readouterr()
    assert main(["eval", str(tmp_path / "a.npz"), "--dataset", "synthetic"]) == 0
    plain = capsys.readouterr().out.split(" (")[0]
    assert main(["eval", str(tmp_path / "a.checkpoint.npz"), "--dataset", "synthetic"]) == 0
    assert capsys.readouterr().out.split(" (")[0] == plain
    assert main(["train", *tiny(), "--init", str(tmp_path / "a.checkpoint.npz")]) == 0


def test_no_test_set_is_said_not_reported_as_zero(tmp_path, capsys):
    folder = image_folder(tmp_path / "two", classes=10, per_class=2)
    metrics = tmp_path / "m.json"
    assert main(["train", "--arch", "tiny", "--data", str(folder), "--epochs", "1",
                 "--batch-size", "2", "--metrics", str(metrics)]) == 0
    captured = capsys.readouterr()
    assert "no test set" in captured.out and "0.00%" not in captured.out.split("no test")[1]
    assert "has no test images" in captured.err
    assert json.loads(metrics.read_text())["test_accuracy"] is None


@pytest.mark.parametrize(("argv", "expected"), [
    (["trian", "--arch", "tiny"], "unknown command 'trian' — did you mean 'train'?"),
    (["evl", "m.npz"], "did you mean 'eval'?"),
    (["train", "--seed", "-1"], "a seed is a whole number from 0 up, not -1"),
])
def test_usage_mistakes_are_answered_in_plain_words(capsys, argv, expected):
    try:
        status = main(argv)
    except SystemExit as exit_:  # argparse's own refusal
        status = exit_.code
    assert status == 2
    assert expected in capsys.readouterr().err


def test_download_progress_shows_without_a_terminal(capsys, monkeypatch):
    from studio.cli import _LogProgress

    clock = iter([0.0, 1.0, 6.0, 7.0])
    monkeypatch.setattr("studio.cli.time.monotonic", lambda: next(clock))
    log = _LogProgress()
    for done in (1_000_000, 2_000_000, 3_000_000, 4_000_000):
        log("t10k-images-idx3-ubyte.gz", done, 4_000_000)
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["downloading t10k-images-idx3-ubyte.gz: 1.0 of 4.0 MB (25%)",
                     "downloading t10k-images-idx3-ubyte.gz: 3.0 of 4.0 MB (75%)",
                     "downloading t10k-images-idx3-ubyte.gz: 4.0 of 4.0 MB (100%)"]


def test_a_read_only_install_caches_kernels_in_the_first_writable_folder(tmp_path, monkeypatch,
                                                                         capsys):
    from studio.cli import _use_writable_kernel_cache

    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    (tmp_path / "a-file").write_text("x")
    unwritable = [tmp_path / "a-file" / "install", tmp_path / "a-file" / "cache"]
    _use_writable_kernel_cache([*unwritable, tmp_path / "temp"])
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "temp")
    assert "compiled kernels are cached in" in capsys.readouterr().err
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    _use_writable_kernel_cache([tmp_path / "install"])  # writable: Numba's own choice stays
    assert "NUMBA_CACHE_DIR" not in os.environ


def test_the_textbook_engine_trains_and_evaluates_to_the_fast_engines_numbers(tmp_path, capsys):
    from studio import cli

    results = {}
    for engine in ("fast", "textbook"):
        out = tmp_path / f"{engine}.npz"
        assert cli.main(["train", "--arch", "tiny", "--dataset", "synthetic", "--epochs", "1",
                         "--engine", engine, "--out", str(out)]) == 0
        capsys.readouterr()
        assert cli.main(["eval", str(out), "--dataset", "synthetic", "--engine", "textbook"]) == 0
        results[engine] = capsys.readouterr().out.strip()
    assert results["fast"].split("(")[0] == results["textbook"].split("(")[0]  # accuracy, loss


def test_bench_engine_textbook_runs_only_the_textbook_comparison(monkeypatch):
    """Its lines are checked in the quick bench's test, which prints them too; timing the
    textbook loops twice cost the suite 12 s."""
    from studio import bench, cli

    asked = []
    monkeypatch.setattr(bench, "textbook_comparison", asked.append)
    monkeypatch.setattr(bench, "run_bench", lambda *a, **k: pytest.fail("the whole bench ran"))
    assert cli.main(["bench", "--engine", "textbook", "--quick"]) == 0
    assert asked == [True]  # quick
