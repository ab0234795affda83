"""`python -m studio`: the GUI by default, or `train`, `eval`, `export`, `bench` headless.

Every expected failure (a bad file, a bad setting, a diverging run) prints one
line on stderr and exits non-zero; `--debug` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

COMMANDS = ("train", "eval", "export", "bench", "gui", "desktop-entry")
EXIT_ERROR = 2


class CommandError(Exception):
    """A user-facing failure of a command: one sentence."""


def _progress_enabled() -> bool:
    return sys.stderr.isatty()


def _dataset(args: argparse.Namespace, image_shape: tuple[int, int, int] = (1, 28, 28)):
    """The dataset the arguments name; a folder of class sub-folders of images is converted
    to `image_shape`, the network's input."""
    from studio.data import load_dataset

    if args.data:
        return load_dataset("folder", args.data, image_shape=image_shape)
    bar = None

    def progress(name: str, done: int, total: int) -> None:
        nonlocal bar
        if not _progress_enabled():
            return
        from tqdm import tqdm

        if bar is None or bar.desc != name:
            if bar is not None:
                bar.close()
            bar = tqdm(total=total or None, desc=name, unit="B", unit_scale=True, leave=False)
        bar.n = done
        bar.refresh()

    try:
        return load_dataset(args.dataset, mirror=args.mirror, progress=progress)
    finally:
        if bar is not None:
            bar.close()


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
                        help="download from this mirror (also $STUDIO_MNIST_MIRROR)")


def build_parser() -> argparse.ArgumentParser:
    from studio import __version__
    from studio.engine import OPTIMIZERS, SCHEDULES

    parser = argparse.ArgumentParser(prog="python -m studio", description=__doc__.split("\n")[0])
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command")

    train = commands.add_parser("train", help="train a network headless")
    train.add_argument("--arch", default="lenet5",
                       help="a preset name (lenet5, mlp, tiny, …) or an architecture JSON file")
    _add_data_options(train)
    train.add_argument("--epochs", type=int, default=5)
    train.add_argument("--batch-size", type=int, default=64)
    train.add_argument("--lr", type=float, default=None,
                       help="peak learning rate (default: sgd 0.05, adam 0.002)")
    train.add_argument("--optimizer", choices=OPTIMIZERS, default="sgd")
    train.add_argument("--schedule", choices=SCHEDULES, default="onecycle")
    train.add_argument("--weight-decay", type=float, default=5e-4)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--init", metavar="MODEL.npz",
                       help="continue from these weights (their architecture is used)")
    train.add_argument("--resume", metavar="CHECKPOINT.npz",
                       help="continue an interrupted run exactly where its checkpoint left it")
    train.add_argument("--out", metavar="MODEL.npz",
                       help="write the trained weights here (after every epoch), and a "
                            "checkpoint for --resume beside it (MODEL.checkpoint.npz)")
    train.add_argument("--metrics", metavar="FILE.json", help="write metrics as JSON here")

    evaluate = commands.add_parser("eval", help="evaluate saved weights on a test set")
    evaluate.add_argument("model", help="weights file (.npz) written by CNN Studio")
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

    bench = commands.add_parser("bench", help="measure training and inference speed")
    bench.add_argument("--vs-torch", action="store_true",
                       help="also measure PyTorch CPU on the same threads (needs torch)")
    bench.add_argument("--quick", action="store_true", help="fewer repetitions")
    bench.add_argument("--gui", action="store_true",
                       help="train in the real window (offscreen) and compare with headless")
    bench.add_argument("--data", metavar="DIR",
                       help="also time start-up to the first batch on this IDX folder")

    gui = commands.add_parser("gui", help="open the desktop app (the default)")
    gui.add_argument("file", nargs="?", help="a project or architecture JSON to open")
    gui.add_argument("--data", metavar="DIR", help="dataset folder: MNIST IDX files, or "
                                                   "one sub-folder of images per class")
    commands.add_parser("desktop-entry", help="add CNN Studio to this user's Linux desktop "
                                              "menu (a .desktop entry and its icon)")
    return parser


def _train(args: argparse.Namespace) -> int:
    from studio.engine import BatchEnd, EpochEnd, Network, TrainConfig, Trainer, check
    from studio.io import (
        load_network,
        read_checkpoint,
        resolve_architecture,
        save_checkpoint,
        save_weights,
    )

    # the files given are checked before any (slow) dataset download
    resume = None
    if args.resume:
        initial, resume = read_checkpoint(args.resume)
    else:
        initial = load_network(args.init) if args.init else None
    architecture = initial.architecture if initial else resolve_architecture(args.arch)
    dataset = _dataset(args, check(architecture).input_shape)
    check(architecture, num_classes=len(dataset.classes))
    network = initial or Network(architecture, seed=args.seed)
    expected = network.input_shape
    if dataset.image_shape != expected:
        raise CommandError(f"the architecture expects {'×'.join(map(str, expected))} input but "
                           f"the dataset's images are {'×'.join(map(str, dataset.image_shape))}")
    config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, optimizer=args.optimizer,
                         lr=args.lr, weight_decay=args.weight_decay, schedule=args.schedule,
                         seed=args.seed, snapshot_interval=0)
    trainer = Trainer(network, dataset.train_images, dataset.train_labels, dataset.test_images,
                      dataset.test_labels, config, resume=resume)
    checkpoint = Path(args.out).with_suffix(".checkpoint.npz") if args.out else None
    print(f"{dataset.describe()}", file=sys.stderr)
    if dataset.note:
        print(f"note: {dataset.note}", file=sys.stderr)
    bar = None
    if _progress_enabled():
        from tqdm import tqdm

        bar = tqdm(total=len(dataset.train_images) * args.epochs, unit="img", leave=False)
    epochs: list[dict[str, Any]] = []

    def report(event: Any) -> None:
        if isinstance(event, BatchEnd) and bar is not None:
            bar.update(event.images - bar.n)
            bar.set_description(f"epoch {event.epoch + 1}/{args.epochs} loss {event.loss:.3f}")
        elif isinstance(event, EpochEnd):
            row = {"epoch": event.epoch + 1, "train_loss": event.train_loss,
                   "train_accuracy": event.train_accuracy, "seconds": event.seconds,
                   "test_loss": event.test.loss, "test_accuracy": event.test.accuracy}
            epochs.append(row)
            line = (f"epoch {row['epoch']}: train loss {row['train_loss']:.4f}, accuracy "
                    f"{row['train_accuracy']:.2%}; test loss {row['test_loss']:.4f}, accuracy "
                    f"{row['test_accuracy']:.2%}")
            (bar.write if bar is not None else print)(line)
            if args.out:  # a kill from now on still leaves loadable weights and a checkpoint
                save_weights(args.out, network)
                save_checkpoint(checkpoint, network, trainer)

    started = time.perf_counter()
    try:
        result = trainer.run(report)
    finally:
        if bar is not None:
            bar.close()
    final = result.epochs[-1].test
    print(f"test accuracy {final.accuracy:.2%}, test loss {final.loss:.4f}; "
          f"{result.images_per_second:.0f} images/s")
    if args.out:
        save_weights(args.out, network)
        print(f"weights written to {args.out}", file=sys.stderr)
    if args.metrics:
        from studio.io import atomic_write_text

        metrics = {"architecture": network.architecture.get("name", args.arch),
                   "dataset": dataset.name, "test_accuracy": final.accuracy,
                   "test_loss": final.loss, "train_seconds": result.train_seconds,
                   "wall_seconds": time.perf_counter() - started,
                   "train_images_per_second": result.images_per_second,
                   "epochs": epochs, "settings": {"epochs": args.epochs,
                                                  "batch_size": args.batch_size,
                                                  "optimizer": args.optimizer,
                                                  "lr": config.learning_rate,
                                                  "schedule": args.schedule, "seed": args.seed}}
        atomic_write_text(args.metrics, json.dumps(metrics, indent=2) + "\n")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from studio.engine import as_input, evaluate, softmax_cross_entropy
    from studio.io import load_network

    network = load_network(args.model)
    dataset = _dataset(args, network.input_shape)
    if dataset.image_shape != network.input_shape:
        raise CommandError(f"{args.model} expects {'×'.join(map(str, network.input_shape))} "
                           f"images but the dataset's are "
                           f"{'×'.join(map(str, dataset.image_shape))}")
    images, labels = dataset.test_images, dataset.test_labels
    if args.onnx:
        try:
            import onnxruntime
        except ImportError:
            raise CommandError("--onnx needs onnxruntime: pip install onnxruntime") from None
        session = onnxruntime.InferenceSession(args.onnx, providers=["CPUExecutionProvider"])
        logits = session.run(["logits"], {"input": as_input(images)})[0]
        loss, _ = softmax_cross_entropy(logits, labels)
        accuracy = float((logits.argmax(axis=1) == labels).mean())
        source = f"{args.onnx} through onnxruntime"
    else:
        result = evaluate(network, images, labels)
        loss, accuracy, source = result.loss, result.accuracy, args.model
    print(f"test accuracy {accuracy:.2%}, test loss {loss:.4f} ({len(images)} images, {source})")
    return 0


def _export(args: argparse.Namespace) -> int:
    from studio.io import (
        load_network,
        write_architecture,
        write_onnx,
        write_pytorch,
        write_pytorch_trainer,
    )

    if not (args.json or args.onnx or args.pytorch or args.pytorch_trainer):
        raise CommandError("nothing to export — give --json, --onnx, --pytorch and/or "
                           "--pytorch-trainer")
    network = load_network(args.model)
    if args.json:
        write_architecture(args.json, network.architecture)
        print(f"architecture written to {args.json}")
    if args.onnx:
        write_onnx(args.onnx, network)
        print(f"ONNX model (opset 13, input 'input', output 'logits') written to {args.onnx}")
    if args.pytorch:
        write_pytorch(args.pytorch, network.architecture, args.model)
        print(f"PyTorch module written to {args.pytorch}; load(\"{args.model}\") rebuilds it")
    if args.pytorch_trainer:
        write_pytorch_trainer(args.pytorch_trainer, network.architecture, args.model)
        print(f"PyTorch trainer written to {args.pytorch_trainer}; run it with: torchrun "
              f"--standalone --nproc_per_node=2 {Path(args.pytorch_trainer) / 'train.py'} "
              f"--data DIR --out trained.npz")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from studio.bench import run_bench, run_gui_bench

    if args.gui:
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


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
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

