"""`python -m studio`: the GUI by default, or `train`, `eval`, `export`, `bench` headless.

Every expected failure (a bad file, a bad setting, a diverging run) prints one
line on stderr and exits non-zero; `--debug` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from studio.engine import Trainer, TrainResult
    from studio.training_setup import CheckpointPolicy

COMMANDS = ("train", "eval", "export", "bench", "gui", "desktop-entry")
EXIT_ERROR = 2


class CommandError(Exception):
    """A user-facing failure of a command: one sentence."""


def _progress_enabled() -> bool:
    return sys.stderr.isatty()


def _say(line: str) -> None:
    """Print a result line; a reader that went away (`| head -1`) does not stop the work."""
    try:
        print(line, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


class _LogProgress:
    """Download progress without a terminal: a line every few seconds and one at the end."""

    interval = 5.0

    def __init__(self) -> None:
        self.last = -math.inf  # the first call prints

    def __call__(self, name: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < self.interval and done != total:
            return
        self.last = now
        of = f" of {total / 1e6:.1f} MB ({done / total:.0%})" if total else " MB"
        print(f"downloading {name}: {done / 1e6:.1f}{of}", file=sys.stderr, flush=True)


def _download_progress():
    """A download progress callback: a tqdm bar on a terminal, log lines otherwise; and a
    function that closes the bar."""
    bar = None
    log = _LogProgress()

    def progress(name: str, done: int, total: int) -> None:
        nonlocal bar
        if not _progress_enabled():
            log(name, done, total)
            return
        from tqdm import tqdm

        if bar is None or bar.desc != name:
            if bar is not None:
                bar.close()
            bar = tqdm(total=total or None, desc=name, unit="B", unit_scale=True, leave=False)
        bar.n = done
        bar.refresh()

    return progress, lambda: bar is not None and bar.close()


def _dataset(args: argparse.Namespace, image_shape: tuple[int, int, int]):
    """The dataset the arguments name, for a network whose input is `image_shape`."""
    from studio.training_setup import training_data

    if args.data:
        return training_data(image_shape, "folder", args.data)
    progress, close = _download_progress()
    try:
        return training_data(image_shape, args.dataset, mirror=args.mirror, progress=progress)
    finally:
        close()


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", metavar="DIR",
                        help="folder with the four MNIST IDX files (.gz or plain), the "
                             "CIFAR-10 binary batches (data_batch_1.bin … test_batch.bin), or "
                             "one sub-folder of images per class")
    parser.add_argument("--dataset", default="mnist",
                        choices=("mnist", "fashion-mnist", "cifar10", "synthetic"),
                        help="without --data: which dataset (downloaded and cached on first "
                             "use; 'synthetic' needs no network)")
    parser.add_argument("--mirror", metavar="URL",
                        help="download from this mirror (also $STUDIO_DATA_MIRROR)")


def _add_engine_option(parser: argparse.ArgumentParser,
                       meaning: str = "textbook: every layer on reference.py's plain loops "
                                      "(slow, the same numbers)") -> None:
    parser.add_argument("--engine", choices=("fast", "textbook"), default="fast", help=meaning)


def _seed(text: str) -> int:
    """An argparse type: a seed is a whole number from 0 up, refused in plain words."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"a seed is a whole number from 0 up, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from studio import __version__

    parser = argparse.ArgumentParser(prog="python -m studio", description=__doc__.split("\n")[0])
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--version", action="version", version=f"CNN Studio {__version__}")
    commands = parser.add_subparsers(dest="command")
    _add_train_command(commands)
    _add_eval_and_export_commands(commands)
    bench = commands.add_parser("bench", help="measure training and inference speed")
    bench.add_argument("--vs-torch", action="store_true",
                       help="also measure PyTorch CPU on the same threads (needs torch)")
    bench.add_argument("--vs-onnxruntime", action="store_true",
                       help="only inference, against onnxruntime on the engine's own ONNX "
                            "export (needs onnxruntime)")
    bench.add_argument("--quick", action="store_true", help="fewer repetitions")
    _add_engine_option(bench, "textbook: only LeNet-5 on the textbook loops beside the fast "
                              "engine (the full bench prints that comparison too)")
    bench.add_argument("--gui", action="store_true",
                       help="train in the real window (offscreen) and compare with headless")
    bench.add_argument("--data", metavar="DIR",
                       help="also time start-up to the first batch on this IDX folder "
                            "(--vs-onnxruntime: take its test images)")

    gui = commands.add_parser("gui", help="open the desktop app (the default)")
    gui.add_argument("file", nargs="?", help="a project or architecture JSON to open")
    gui.add_argument("--data", metavar="DIR", help="dataset folder: MNIST IDX files, or "
                                                   "one sub-folder of images per class")
    commands.add_parser("desktop-entry", help="add CNN Studio to this user's Linux desktop "
                                              "menu (a .desktop entry and its icon)")
    return parser


def _add_train_command(commands: Any) -> None:
    from studio.engine import OPTIMIZERS, SCHEDULES

    train = commands.add_parser("train", help="train a network headless")
    train.add_argument("--arch",
                       help="a preset name (lenet5 by default, mlp, tiny, …) or an "
                            "architecture JSON file")
    _add_data_options(train)
    train.add_argument("--epochs", type=int, default=5)
    train.add_argument("--batch-size", type=int, default=64)
    train.add_argument("--lr", type=float, default=None,
                       help="peak learning rate (default: sgd 0.05, adam 0.002)")
    train.add_argument("--optimizer", choices=OPTIMIZERS, default="sgd")
    train.add_argument("--schedule", choices=SCHEDULES, default="onecycle")
    train.add_argument("--weight-decay", type=float, default=5e-4)
    train.add_argument("--seed", type=_seed, default=0)
    train.add_argument("--init", metavar="MODEL.npz",
                       help="continue from these weights (their architecture is used)")
    train.add_argument("--resume", metavar="CHECKPOINT.npz",
                       help="continue an interrupted run exactly where its checkpoint left it")
    train.add_argument("--out", metavar="MODEL.npz",
                       help="write the trained weights here (after every epoch), and a "
                            "checkpoint for --resume beside it (MODEL.checkpoint.npz)")
    train.add_argument("--metrics", metavar="FILE.json", help="write metrics as JSON here")
    _add_engine_option(train)


def _add_eval_and_export_commands(commands: Any) -> None:
    evaluate = commands.add_parser("eval", help="evaluate saved weights on a test set")
    evaluate.add_argument("model", help="weights file (.npz) written by CNN Studio")
    _add_engine_option(evaluate)
    _add_data_options(evaluate)
    evaluate.add_argument("--onnx", metavar="MODEL.onnx",
                          help="evaluate this ONNX file through onnxruntime instead")

    export = commands.add_parser("export", help="export saved weights to other formats")
    export.add_argument("model", help="weights file (.npz) written by CNN Studio")
    export.add_argument("--json", metavar="ARCH.json", help="write the architecture JSON alone")
    export.add_argument("--onnx", metavar="MODEL.onnx", help="write an ONNX model")
    export.add_argument("--pytorch", metavar="MODEL.py", help="write a PyTorch module")
    export.add_argument("--pytorch-trainer", metavar="DIR",
                        help="write DIR/model.py and DIR/train.py, which trains the network "
                             "with torchrun (DistributedDataParallel) and writes a studio .npz")


def _checked_paths(args: argparse.Namespace, inputs: dict[str, str | None],
                   outputs: dict[str, Path | str | None],
                   may_replace: tuple[tuple[str, str], ...] = ()) -> None:
    """Before any work: no output is an input (the data folder's files included) or another
    output, and every output can be written."""
    from studio.data import folder_files
    from studio.io import check_outputs

    sources = {label: [path] for label, path in inputs.items() if path}
    if getattr(args, "data", None):
        sources["--data"] = folder_files(args.data)
    check_outputs(sources, {label: [path] for label, path in outputs.items() if path},
                  may_replace)


def _rescue(network: Any, failed: Exception) -> CommandError:
    """Save the trained weights somewhere writable after `failed` (a late write); the error
    to report, which says where they went."""
    import tempfile

    from studio.io import FileWriteError, save_weights

    name = f"cnn-studio-rescued-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.npz"
    for folder in (Path.cwd(), Path.home(), Path(tempfile.gettempdir())):
        try:
            save_weights(folder / name, network)
        except FileWriteError:
            continue
        return CommandError(f"{failed}; the trained weights were saved to {folder / name}")
    return CommandError(f"{failed}; the trained weights could not be saved anywhere")


def _architecture(args: argparse.Namespace) -> tuple[Any, dict[str, Any] | None]:
    """(the network to continue or None, the resume state or None), from --init/--resume.
    Their file carries its own architecture: an --arch that differs from it is refused."""
    from studio.engine import analyse
    from studio.io import load_network, read_checkpoint, resolve_architecture

    given = [flag for flag in ("--init", "--resume") if getattr(args, flag[2:])]
    if len(given) == 2:
        raise CommandError("give --init (start from weights) or --resume (continue a run), "
                           "not both")
    if args.resume:
        network, state = read_checkpoint(args.resume)
    else:
        network, state = (load_network(args.init) if args.init else None), None
    if network is not None and args.arch and (
            analyse(resolve_architecture(args.arch)).to_architecture()
            != analyse(network.architecture).to_architecture()):
        raise CommandError(f"--arch {args.arch} is not the architecture of the {given[0]} file "
                           f"{getattr(args, given[0][2:])}, which is used — leave out --arch")
    return network, state


def _train(args: argparse.Namespace) -> int:
    from studio.engine import Network, TrainConfig, check
    from studio.io import resolve_architecture
    from studio.training_setup import CheckpointPolicy, checkpoint_beside, trainer_for

    checkpoint = checkpoint_beside(args.out) if args.out else None
    arch_file = args.arch if args.arch and Path(args.arch).is_file() else None
    _checked_paths(args, {"--arch": arch_file, "--init": args.init, "--resume": args.resume},
                   {"--out": args.out, "the checkpoint beside --out": checkpoint,
                    "--metrics": args.metrics},
                   may_replace=(("the checkpoint beside --out", "--resume"),))
    # the files given are checked before any (slow) dataset download
    initial, resume = _architecture(args)
    architecture = initial.architecture if initial else resolve_architecture(args.arch or
                                                                             "lenet5")
    dataset = _dataset(args, check(architecture).input_shape)
    network = initial or Network(architecture, seed=args.seed)
    network.use_engine(args.engine)
    config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, optimizer=args.optimizer,
                         lr=args.lr, weight_decay=args.weight_decay, schedule=args.schedule,
                         seed=args.seed, snapshot_interval=0)
    trainer = trainer_for(network, dataset, config, resume, args.resume)
    print(f"{dataset.describe()}", file=sys.stderr)
    if dataset.note:
        print(f"note: {dataset.note}", file=sys.stderr)
    if trainer.test_images is None:
        print(f"note: {dataset.name} has no test images, so no test accuracy is measured",
              file=sys.stderr)
    policy = CheckpointPolicy(checkpoint, lambda text: print(f"warning: {text}",
                                                             file=sys.stderr),
                              weights=args.out)
    started = time.perf_counter()
    result, epochs = _run_training(trainer, policy, args.epochs)
    _report_training(args, trainer, result, epochs, dataset.name, time.perf_counter() - started)
    return 0


def _run_training(trainer: Trainer, policy: CheckpointPolicy, epoch_count: int
                  ) -> tuple[TrainResult, list[dict[str, Any]]]:
    """Run with a progress bar on a terminal (a line per epoch otherwise), saving as the
    policy says; the result and one metrics row per epoch."""
    from studio.engine import BatchEnd, EpochEnd

    bar = None
    if _progress_enabled():
        from tqdm import tqdm

        bar = tqdm(total=len(trainer.train_images) * epoch_count, unit="img", leave=False)
    epochs: list[dict[str, Any]] = []

    def report(event: Any) -> None:
        if isinstance(event, BatchEnd) and bar is not None:
            bar.update(event.images - bar.n)
            bar.set_description(f"epoch {event.epoch + 1}/{epoch_count} loss {event.loss:.3f}")
        elif isinstance(event, EpochEnd):
            row = {"epoch": event.epoch + 1, "train_loss": event.train_loss,
                   "train_accuracy": event.train_accuracy, "seconds": event.seconds,
                   "test_loss": event.test.loss if event.test else None,
                   "test_accuracy": event.test.accuracy if event.test else None}
            epochs.append(row)
            test = (f"test loss {row['test_loss']:.4f}, accuracy {row['test_accuracy']:.2%}"
                    if event.test else "no test set")
            line = (f"epoch {row['epoch']}: train loss {row['train_loss']:.4f}, accuracy "
                    f"{row['train_accuracy']:.2%}; {test}")
            bar.write(line) if bar is not None else _say(line)
            policy.after_epoch(trainer)  # a kill from now on leaves weights and a checkpoint

    try:
        result = trainer.run(report)
    finally:
        if bar is not None:
            bar.close()
    policy.after_run(trainer)
    return result, epochs


def _report_training(args: argparse.Namespace, trainer: Trainer, result: TrainResult,
                     epochs: list[dict[str, Any]], dataset_name: str, seconds: float) -> None:
    """The closing line, the final weights in --out and the --metrics file."""
    from studio.io import FileWriteError, atomic_write_text, save_weights

    network, config = trainer.network, trainer.config
    final = result.epochs[-1].test if result.epochs else None
    speed = f"{result.images_per_second:.0f} images/s"
    _say(f"test accuracy {final.accuracy:.2%}, test loss {final.loss:.4f}; {speed}" if final
         else f"no test set; {speed}")
    if args.out:
        try:
            save_weights(args.out, network)
        except FileWriteError as error:
            raise _rescue(network, error) from None
        print(f"weights written to {args.out}", file=sys.stderr)
    if not args.metrics:
        return
    metrics = {"architecture": network.architecture.get("name", args.arch),
               "dataset": dataset_name, "test_accuracy": final.accuracy if final else None,
               "test_loss": final.loss if final else None,
               "train_seconds": result.train_seconds, "wall_seconds": seconds,
               "train_images_per_second": result.images_per_second,
               "epochs": epochs, "settings": {"epochs": args.epochs,
                                              "batch_size": args.batch_size,
                                              "optimizer": args.optimizer,
                                              "lr": config.learning_rate,
                                              "schedule": args.schedule, "seed": args.seed}}
    try:
        atomic_write_text(args.metrics, json.dumps(metrics, indent=2) + "\n")
    except FileWriteError as error:
        raise (CommandError(f"{error}; the trained weights are in {args.out}") if args.out
               else _rescue(network, error)) from None


def _onnx_logits(path: str, images: Any) -> Any:
    """The logits onnxruntime computes for `images` with the model at `path`."""
    from studio.engine import as_input

    try:
        import onnxruntime
    except ImportError:
        raise CommandError("--onnx needs onnxruntime: pip install onnxruntime") from None
    if not Path(path).is_file():
        raise CommandError(f"{path}: file not found")
    try:
        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        return session.run(["logits"], {"input": as_input(images)})[0]
    except Exception as error:  # onnxruntime raises its own types, not exported as a base
        reason = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(
            error).__name__
        raise CommandError(f"{path}: onnxruntime cannot run it as a CNN Studio export with an "
                           f"'input' and a 'logits' ({reason}) — export it again with "
                           "`export --onnx`") from None


def _eval(args: argparse.Namespace) -> int:
    from studio.engine import evaluate, softmax_cross_entropy
    from studio.io import load_network
    from studio.training_setup import image_shape_problem

    network = load_network(args.model)
    network.use_engine(args.engine)
    dataset = _dataset(args, network.input_shape)
    problem = image_shape_problem(network.input_shape, dataset, args.model)
    if problem:
        raise CommandError(problem)
    outputs = network.analysis.output_shape[0]
    if len(dataset.classes) > outputs:
        raise CommandError(f"{args.model} tells {outputs} classes apart but {dataset.name} has "
                           f"{len(dataset.classes)} — evaluate on data with at most {outputs} "
                           "classes, or train a network for these")
    images, labels = dataset.test_images, dataset.test_labels
    if not len(images):
        raise CommandError(f"{dataset.name} has no test images to evaluate on — add images "
                           "(each class needs at least three for one to be held out)")
    if args.onnx:
        logits = _onnx_logits(args.onnx, images)
        if logits.ndim != 2 or logits.shape != (len(images), outputs):
            raise CommandError(f"{args.onnx}: gives logits of shape {logits.shape}, not "
                               f"({len(images)}, {outputs}) — it is not this network's export")
        loss, _ = softmax_cross_entropy(logits, labels)
        accuracy = float((logits.argmax(axis=1) == labels).mean())
        source = f"{args.onnx} through onnxruntime"
    else:
        result = evaluate(network, images, labels)
        loss, accuracy, source = result.loss, result.accuracy, args.model
    _say(f"test accuracy {accuracy:.2%}, test loss {loss:.4f} ({len(images)} images, {source})")
    return 0


#: the export options and the ending each one's file name must have
_EXPORT_OPTIONS = {"--json": ".json", "--onnx": ".onnx", "--pytorch": ".py"}


def _export(args: argparse.Namespace) -> int:
    from studio.io import export_format, export_model, load_network, write_pytorch_trainer

    files = {option: getattr(args, option[2:]) for option in _EXPORT_OPTIONS}
    if not (any(files.values()) or args.pytorch_trainer):
        raise CommandError("nothing to export — give --json, --onnx, --pytorch and/or "
                           "--pytorch-trainer")
    outputs: dict[str, Path | str | None] = dict(files)
    if args.pytorch_trainer and Path(args.pytorch_trainer).is_dir():
        from studio.io import PYTORCH_TRAINER_FILES

        outputs.update({f"--pytorch-trainer's {name}": Path(args.pytorch_trainer) / name
                        for name in PYTORCH_TRAINER_FILES})
    _checked_paths(args, {"the model": args.model}, outputs)
    for option, path in files.items():
        if path and export_format(path) != _EXPORT_OPTIONS[option]:
            raise CommandError(f"{option} {path}: the file's name must end in "
                               f"{_EXPORT_OPTIONS[option]}")
    network = load_network(args.model)
    for path in filter(None, files.values()):
        _say(f"{path}: {export_model(path, network, weights_file=args.model)}")
    if args.pytorch_trainer:
        write_pytorch_trainer(args.pytorch_trainer, network.architecture, args.model)
        _say(f"PyTorch trainer written to {args.pytorch_trainer}; run it with: torchrun "
             f"--standalone --nproc_per_node=2 {Path(args.pytorch_trainer) / 'train.py'} "
             f"--data DIR --out trained.npz")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from studio.bench import onnxruntime_comparison, print_header, run_bench, textbook_comparison

    if args.vs_onnxruntime:
        print_header("onnxruntime")
        onnxruntime_comparison(quick=args.quick, data=args.data)
    elif args.engine == "textbook":
        textbook_comparison(args.quick)
    elif args.gui:
        from studio.app.bench_window import run_gui_bench

        run_gui_bench()
    else:
        run_bench(vs_torch=args.vs_torch, quick=args.quick, data=args.data)
    return 0


def _desktop_entry(args: argparse.Namespace) -> int:
    from studio.desktop_entry import install_desktop_entry

    entry, icon = install_desktop_entry()
    print(f"desktop entry written to {entry}, icon to {icon}")
    return 0


def _gui(args: argparse.Namespace) -> int:
    from studio.app import run

    return run(args.file, args.data)


def _expected_errors() -> tuple[type[BaseException], ...]:
    from studio.data import DataError, LoadingCancelled
    from studio.engine import ArchitectureError, TrainingDiverged, WeightsError
    from studio.io import FileFormatError

    return (CommandError, DataError, LoadingCancelled, ArchitectureError, TrainingDiverged,
            WeightsError, FileFormatError, ValueError, OSError)


def _mistyped_command(argv: list[str]) -> str | None:
    """The command a first word that is neither a command nor a file was meant to be."""
    import difflib

    first = next((arg for arg in argv if arg != "--debug"), None)
    if first is None or first.startswith("-") or first in COMMANDS or Path(first).exists():
        return None
    close = difflib.get_close_matches(first, COMMANDS, n=1, cutoff=0.6)
    return close[0] if close else None


def _use_writable_kernel_cache(candidates: Sequence[Path] | None = None) -> None:
    """Numba caches compiled kernels beside the package; on a read-only install it falls
    back to the user's cache and, when that is read-only too, fails at import. Point it at
    the first folder that takes a file: the install's, the user's cache, the temp folder."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    import tempfile

    import platformdirs

    if candidates is None:
        candidates = [Path(__file__).resolve().parent,
                      Path(platformdirs.user_cache_dir("cnn-studio")) / "numba",
                      Path(tempfile.gettempdir()) / "cnn-studio-numba"]
    for k, folder in enumerate(candidates):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".cnn-studio-probe."):
                pass
        except OSError:
            continue
        if k:
            os.environ["NUMBA_CACHE_DIR"] = str(folder)
        if k == len(candidates) - 1:
            print(f"note: compiled kernels are cached in {folder} (the install folder and "
                  "the user's cache cannot be written)", file=sys.stderr)
        return


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    meant = _mistyped_command(argv)
    if meant:
        typed = next(arg for arg in argv if arg != "--debug")
        print(f"error: unknown command {typed!r} — did you mean {meant!r}? (commands: "
              f"{', '.join(COMMANDS)})", file=sys.stderr)
        return EXIT_ERROR
    _use_writable_kernel_cache()
    asks_parser = {"-h", "--help", "--version"} & set(argv)
    if not any(arg in COMMANDS for arg in argv[:2]) and not asks_parser:
        argv = [*(["--debug"] if "--debug" in argv else []), "gui",
                *(a for a in argv if a != "--debug")]
    args = build_parser().parse_args(argv)
    handlers = {"train": _train, "eval": _eval, "export": _export, "bench": _bench, "gui": _gui,
                "desktop-entry": _desktop_entry}
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except _expected_errors() as error:
        if args.debug:
            raise
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR

