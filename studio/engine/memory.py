"""How much memory a network needs, checked before anything is allocated."""

from __future__ import annotations

import os

from .architecture import Analysis

BYTES_PER_FLOAT = 4
#: parameters, gradients, two optimiser buffers (Adam's moments) and the last good copy
PARAMETER_COPIES = 5
#: each layer's output and its gradient, plus the conv kernels' scratch (a rough bound)
ACTIVATION_COPIES = 3


def activation_bytes(activations_per_image: int, batch_size: int) -> int:
    """The bytes a layer's outputs (`activations_per_image` values each) take while training a
    batch: the output, its gradient and the kernels' scratch."""
    return activations_per_image * batch_size * ACTIVATION_COPIES * BYTES_PER_FLOAT


def bytes_needed(analysis: Analysis, batch_size: int) -> int:
    """An upper estimate of the bytes training `analysis` at `batch_size` takes: every
    layer's `activation_bytes` and the parameters' copies."""
    parameters = analysis.total_parameters * PARAMETER_COPIES * BYTES_PER_FLOAT
    return parameters + activation_bytes(analysis.activations_per_image, batch_size)


def _proc_field(path: str, field: str) -> int | None:
    """A "Name:  N kB" line of a /proc file, in bytes; None where there is none."""
    try:
        with open(path) as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _address_space_left() -> int | None:
    """What `ulimit -v` (RLIMIT_AS) still allows this process to map, if it is set."""
    try:
        import resource

        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    except (ImportError, OSError, ValueError):
        return None
    if limit == resource.RLIM_INFINITY:
        return None
    return max(limit - (_proc_field("/proc/self/status", "VmSize") or 0), 0)


def available_bytes() -> int:
    """Memory this process can still get: MemAvailable on Linux (else physical memory),
    less where an address-space limit (`ulimit -v`) allows less."""
    found = _proc_field("/proc/meminfo", "MemAvailable")
    if found is None:
        found = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    limit = _address_space_left()
    return found if limit is None else min(found, limit)


def memory_problem(analysis: Analysis, batch_size: int) -> str | None:
    """A sentence with the numbers when training would not fit in memory, else None."""
    needed, available = bytes_needed(analysis, batch_size), available_bytes()
    if needed <= available * 0.8:
        return None
    return (f"training this network at batch size {batch_size} needs about "
            f"{needed / 1e9:.1f} GB ({analysis.total_parameters:,} parameters, "
            f"{analysis.activations_per_image:,} activations per image) but only "
            f"{available / 1e9:.1f} GB is available — use fewer filters or units, more "
            f"pooling, or a smaller batch")
