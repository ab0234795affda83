"""Train this network with PyTorch's DistributedDataParallel — written by CNN Studio.

The same network (model.py, architecture.json) and the studio's recipe: SGD
with Nesterov momentum 0.9 and weight decay, the one-cycle learning-rate
schedule stepped every batch, softmax cross-entropy, pixels scaled to [0, 1].
Each process trains on its share of every epoch (a DistributedSampler) and the
gradients are averaged across processes, so the batch the optimiser sees is
--batch-size times the number of processes.

One machine, two processes (CPU: gloo; with CUDA: NCCL, one GPU per process):

    torchrun --standalone --nproc_per_node=2 train.py --data DIR --out trained.npz

Several machines: run the same command on each, with --nnodes=N --node_rank=K
--master_addr=HOST-OF-NODE-0 --master_port=29500 instead of --standalone.
Without torchrun, `python train.py ...` trains in one process.

--data DIR holds the four MNIST IDX files, the CIFAR-10 binary batches, or one
sub-folder of images per class (as in the studio). The result is a CNN Studio
.npz: `python -m studio eval trained.npz --data DIR` reads it.
"""

import argparse
import gzip
import json
import os
import sys
from pathlib import Path
from typing import NoReturn

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

from model import build

HERE = Path(__file__).resolve().parent
ARCHITECTURE = json.loads((HERE / "architecture.json").read_text(encoding="utf-8"))


def parser() -> argparse.ArgumentParser:
    """The command line; the defaults are the studio's (python -m studio train)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, metavar="DIR", help="the dataset folder")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=64, help="images per process and step")
    p.add_argument("--lr", type=float, default=0.05, help="peak learning rate")
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--init", metavar="MODEL.npz", help="start from these studio weights")
    p.add_argument("--out", default="trained.npz", metavar="MODEL.npz")
    return p


# --- the dataset folders the studio reads ------------------------------------------------

def fail(message: str) -> NoReturn:
    """One line on stderr and exit status 2, as the studio does."""
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (plain or .gz): magic 0 0 8 ndim, big-endian uint32 sizes, uint8 data."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if data[:3] != b"\x00\x00\x08":
        fail(f"{path}: not an IDX file of bytes")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def idx_split(folder: Path, prefix: str) -> tuple[np.ndarray, np.ndarray]:
    def find(stem: str) -> Path:
        for path in (folder / stem, folder / f"{stem}.gz"):
            if path.is_file():
                return path
        fail(f"{folder}: missing {stem}[.gz]")

    images = read_idx(find(f"{prefix}-images-idx3-ubyte"))
    return images[:, None], read_idx(find(f"{prefix}-labels-idx1-ubyte")).astype(np.int64)


def cifar_split(folder: Path, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """CIFAR-10 binary batches: records of 1 label byte and 3×32×32 pixel bytes (R, G, B)."""
    for name in names:
        if not (folder / name).is_file():
            fail(f"{folder}: missing {name} (CIFAR-10 binary version)")
    records = np.concatenate([np.fromfile(folder / name, np.uint8).reshape(-1, 3073)
                              for name in names])
    return records[:, 1:].reshape(-1, 3, 32, 32), records[:, 0].astype(np.int64)


def image_folder(folder: Path, shape: tuple[int, int, int]) -> tuple[np.ndarray, ...]:
    """One sub-folder per class; the studio's split: per class, a seeded 20 % for testing."""
    from PIL import Image

    channels, height, width = shape
    suffixes = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
    classes = sorted(d.name for d in folder.iterdir() if d.is_dir() and d.name[0] != ".")
    if len(classes) < 2:
        fail(f"{folder}: holds no MNIST IDX files, no CIFAR-10 binary batches and "
                         "no class sub-folders of images")
    rng = np.random.default_rng(0)
    images, labels, is_test = [], [], []
    for label, name in enumerate(classes):
        files = sorted(f for f in (folder / name).iterdir() if f.suffix.lower() in suffixes)
        tests = min(len(files) - 1, round(len(files) * 0.2)) if len(files) > 1 else 0
        chosen = set(rng.choice(len(files), size=tests, replace=False).tolist())
        for i, path in enumerate(files):
            with Image.open(path) as image:
                image = image.convert("L" if channels == 1 else "RGB")
                array = np.asarray(image.resize((width, height), Image.Resampling.BILINEAR))
            images.append(array[None] if channels == 1 else array.transpose(2, 0, 1))
            labels.append(label)
            is_test.append(i in chosen)
    images, labels, is_test = np.stack(images), np.array(labels), np.array(is_test)
    return images[~is_test], labels[~is_test], images[is_test], labels[is_test]


def load_dataset(folder: Path, shape: tuple[int, int, int]) -> tuple[np.ndarray, ...]:
    """(train images, train labels, test images, test labels), uint8 (N, C, H, W)."""
    if not folder.is_dir():
        fail(f"{folder}: no such folder")
    if any(folder.glob("train-images-idx3-ubyte*")):
        return (*idx_split(folder, "train"), *idx_split(folder, "t10k"))
    if (folder / "data_batch_1.bin").is_file():
        batches = [f"data_batch_{i}.bin" for i in range(1, 6)]
        return (*cifar_split(folder, batches), *cifar_split(folder, ["test_batch.bin"]))
    return image_folder(folder, shape)


# --- the network ---------------------------------------------------------------------------

def initialise(model: nn.Sequential, seed: int) -> None:
    """The studio's initialisation: He normal for a layer feeding a ReLU, Glorot uniform
    otherwise, zero biases (the same distributions, not the same numbers)."""
    torch.manual_seed(seed)
    layers = list(model)
    for i, layer in enumerate(layers):
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            following = next((m for m in layers[i + 1:]
                              if not isinstance(m, (nn.BatchNorm2d, nn.Dropout))), None)
            if isinstance(following, (nn.ReLU, nn.LeakyReLU)):
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            else:
                nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)


def load_npz(model: nn.Sequential, path: str) -> None:
    with np.load(path, allow_pickle=False) as archive:
        state = {key: torch.from_numpy(archive[key]) for key in archive.files
                 if key != "architecture"}
    try:
        result = model.load_state_dict(state, strict=False)
    except RuntimeError as error:  # an array of the wrong shape
        fail(f"{path}: does not fit this network ({str(error).splitlines()[-1].strip()})")
    missing = [k for k in result.missing_keys if "num_batches" not in k]  # not stored
    if missing or result.unexpected_keys:
        fail(f"{path}: does not fit this network (missing {missing}, extra "
             f"{result.unexpected_keys})")


def save_npz(model: nn.Sequential, path: Path) -> None:
    """A CNN Studio .npz: "{i}.weight", "{i}.bias", … and the architecture JSON; atomic."""
    arrays = {key: value.detach().cpu().numpy().astype(np.float32)
              for key, value in model.state_dict().items() if "num_batches" not in key}
    arrays["architecture"] = np.array(json.dumps(ARCHITECTURE))
    temporary = path.with_name(f".{path.name}.part")
    with open(temporary, "wb") as handle:
        np.savez(handle, **arrays)
    os.replace(temporary, path)


def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor,
             device: torch.device) -> tuple[float, float]:
    """(accuracy, mean cross-entropy) on the whole test set."""
    model.eval()
    correct, loss = 0, 0.0
    with torch.no_grad():
        for start in range(0, len(images), 1000):
            x = images[start:start + 1000].to(device).float() / 255
            y = labels[start:start + 1000].to(device)
            logits = model(x)
            loss += nn.functional.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(1) == y).sum().item()
    model.train()
    return correct / len(images), loss / len(images)


# --- the loop ------------------------------------------------------------------------------

def main() -> None:
    args = parser().parse_args()
    distributed = "RANK" in os.environ  # set by torchrun
    if distributed:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    if torch.cuda.is_available():
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")

    shape = tuple(ARCHITECTURE["input"][k] for k in ("channels", "height", "width"))
    train_x, train_y, test_x, test_y = (torch.from_numpy(np.array(array)) for array in
                                        load_dataset(Path(args.data), shape))
    if rank == 0:
        print(f"{len(train_x)} training and {len(test_x)} test images of "
              f"{'×'.join(map(str, train_x.shape[1:]))}; {world} process(es) on {device.type}",
              flush=True)
    model = build()
    initialise(model, args.seed)  # every process the same, before DDP copies rank 0's anyway
    if args.init:
        load_npz(model, args.init)
    model.to(device)
    trained = DistributedDataParallel(model) if distributed else model

    data = TensorDataset(train_x, train_y)
    sampler = DistributedSampler(data, shuffle=True, seed=args.seed) if distributed else None
    loader = DataLoader(data, batch_size=args.batch_size, sampler=sampler,
                        shuffle=sampler is None, generator=torch.Generator().manual_seed(args.seed))
    optimizer = torch.optim.SGD(trained.parameters(), lr=args.lr, momentum=args.momentum,
                                nesterov=True, weight_decay=args.weight_decay)
    # the studio's one-cycle: 30 % of the steps rising from lr/25 to lr, then down to lr/25e4
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=args.lr, total_steps=args.epochs * len(loader), pct_start=0.3,
        anneal_strategy="cos", div_factor=25, final_div_factor=1e4, cycle_momentum=False)

    for epoch in range(args.epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)
        for images, labels in loader:
            x, y = images.to(device).float() / 255, labels.to(device)
            loss = nn.functional.cross_entropy(trained(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
        if rank == 0:
            accuracy, test_loss = evaluate(model, test_x, test_y, device)
            print(f"epoch {epoch + 1}: test accuracy {accuracy:.2%}, test loss "
                  f"{test_loss:.4f}", flush=True)
    if rank == 0:
        save_npz(model, Path(args.out))
        print(f"test accuracy {accuracy:.2%}, test loss {test_loss:.4f}; weights written to "
              f"{args.out}", flush=True)
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
