"""Which convolution path runs for a layer, and why: the one place that chooses.

`plan_layers` looks at each layer with its neighbours once, when a network is built, and
returns a frozen plan per layer. A conv's `ConvPlan` names its forward and backward paths
(each chosen where it measured fastest: the `use_*` tests below; figures in
docs/performance.md, 'Why each choice is made where it is') and what it fuses: the ReLU
after it (applied while its output is in cache) and a max-pool after that (whose
backward pass, with the ReLU's, it takes over from the pool's gradient).
The ReLU it fuses gets a `Fused` plan naming it; a max-pool, a `PoolPlan` (its own kernel,
and the conv that fuses it, if one does). A dense layer gets a `DensePlan`. The layers only
follow their plans; `force` lets a test run any path where it is valid, and a path that
cannot run there is refused with one sentence saying why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from ..architecture import LayerInfo
from ..chunking import LANES

#: The paths, by the names the plans, the bench and the docs use.
IM2COL, SHIFTED_ROWS, WINOGRAD, POOLED_SCATTER, POOLED_PHASES, REFERENCE = (
    "im2col", "shifted rows", "Winograd", "pooled scatter", "pooled phases", "reference")
#: A max-pool's own kernels (`pool_kernels`): unrolled for the 2×2 window, or any window.
UNROLLED_2X2, ANY_WINDOW = "2×2 unrolled", "any window"
FORWARD_PATHS = (IM2COL, SHIFTED_ROWS, WINOGRAD, POOLED_PHASES)
#: The forward paths that max-pool (2×2, stride 2) what they compute before writing it.
EPILOGUE_POOLS = (SHIFTED_ROWS, WINOGRAD)
BACKWARD_PATHS = (IM2COL, SHIFTED_ROWS, POOLED_SCATTER, POOLED_PHASES)


class PlanError(ValueError):
    """A forced path that cannot run on that layer; the message says which and why."""


@dataclass(frozen=True)
class Force:
    """Paths a test wants for one conv layer; None leaves the choice to the plan."""

    forward: str | None = None
    backward: str | None = None


@dataclass(frozen=True)
class ConvPlan:
    """The paths of one conv layer and what it does for the layers after it.

    `forward` and `backward` are a training step's (its forward keeps no layer outputs).
    A pass that keeps the layer's output runs `kept_forward` (never the pooled phases,
    which do not compute it); the backward pass from the pool's gradient runs
    `pooled_backward`, and from dL/dY (or dL/d ReLU) `plain_backward`.
    """

    forward: str
    backward: str
    relu: bool  # applies the ReLU after it (passes that rectify: training, no layer outputs)
    pool: bool  # ...and takes the max-pool after that one's backward pass while training
    why: str
    kept_forward: str
    plain_backward: str
    pooled_backward: str
    epilogue_pool: bool = False  # a shifted-row or Winograd forward also pools (2×2, stride 2)
    winograd_from: int = 0  # a Winograd forward gives way to `plain_backward`'s path (im2col
    # or shifted rows, the layer's path without Winograd) for fewer images than this

    @property
    def summary(self) -> str:
        """A training step's paths, forward / backward (+ max-pool where the forward pools)."""
        pooled = " + max-pool" if self.epilogue_pool and self.forward in EPILOGUE_POOLS else ""
        return f"{self.forward}{pooled} / {self.backward}"

    def forward_path(self, fused: bool, images: int) -> str:
        """The path of a forward pass of `images` images; `fused`: it rectifies and keeps no
        layer outputs."""
        path = self.forward if fused else self.kept_forward
        few = path == WINOGRAD and images < self.winograd_from
        return self.plain_backward if few else path

    def backward_path(self, from_pool: bool, in_phases: bool, need_grad_x: bool) -> str:
        """The path of a backward pass: `from_pool`, the gradient is the fused pool's;
        `in_phases`, the forward pass ran in phases (whose backward gives no dL/dX)."""
        if in_phases and self.backward == POOLED_PHASES and not need_grad_x:
            return POOLED_PHASES
        return self.pooled_backward if from_pool else self.plain_backward


@dataclass(frozen=True)
class DensePlan:
    relu: bool  # applies the ReLU after it, as a conv does
    why: str


@dataclass(frozen=True)
class Fused:
    """A ReLU whose work the layer `by` does in passes that fuse."""

    by: int
    why: str


@dataclass(frozen=True)
class PoolPlan:
    """A max-pool's kernel when it pools itself, and the conv (`by`) that fuses it, if any."""

    path: str  # UNROLLED_2X2 or ANY_WINDOW
    by: int | None
    why: str


Plan = ConvPlan | DensePlan | Fused | PoolPlan | None


def use_shifted_rows(stride: int, filters: int) -> bool:
    """Stride 1 and at most 32 filters: where it measured faster than im2col + sgemm (with
    64 filters sgemm won; figures: docs/performance.md, 'Shifted rows or im2col')."""
    return stride == 1 and filters <= 32


def use_winograd(kernel: int, stride: int, channels: int, filters: int, out_height: int
                 ) -> bool:
    """A 3×3 kernel with stride 1, where F(2×2, 3×3) measured faster than the path the
    layer would otherwise take (figures: docs/performance.md, 'Winograd'): against im2col
    (more than 32 filters) from 16 channels on maps of 14 rows or more, and from 32 channels
    on 7 rows; against shifted rows (32 filters or fewer), which run few channels and few
    filters well, from 24 channels and 24 filters on maps of 14 rows or more. Few channels
    or filters leave its products little to do, and small maps leave its 2×2 tiles part
    empty."""
    if kernel != 3 or stride != 1:
        return False
    if filters > 32:
        return (channels >= 16 and out_height >= 14) or (channels >= 32 and out_height >= 7)
    return channels >= 24 and filters >= 24 and out_height >= 14


#: Fewer images than this run a Winograd layer on its path without Winograd (im2col or
#: shifted rows, `ConvPlan.plain_backward`'s): its kernel transform costs a fixed time per
#: call, and its sixteen products on few tiles run far from sgemm's peak, which a few images
#: do not repay (docs/performance.md, 'Winograd').
WINOGRAD_MIN_IMAGES = 8


def use_phases(channels: int, kernel: int, filters: int, pooled_width: int) -> bool:
    """One channel, a 3×3 kernel and 16 filters or more, where it measured faster, and
    pooled rows of at least half a SIMD register (shorter ones are copied float by float);
    elsewhere the four phases' columns cost more than they save (figures:
    docs/performance.md, 'Pooled phases')."""
    return channels == 1 and kernel == 3 and filters >= 16 and pooled_width >= LANES // 2


def use_pooled_scatter(kernel: int, channels: int) -> bool:
    """When a kernel row holds at least `LANES` numbers: shorter rows (a first layer's, on
    the image) measured slower than the dense backward passes (figures:
    docs/performance.md, 'Pooled scatter')."""
    return kernel * channels >= LANES


@dataclass(frozen=True)
class _Conv:
    """What the choice looks at: the layer's settings and what follows it."""

    index: int
    channels: int
    filters: int
    kernel: int
    stride: int
    out_height: int
    out_width: int
    relu: bool  # a ReLU follows directly
    pool: LayerInfo | None  # ...and then a max-pool
    first: bool  # the network's first layer: no dL/dX is asked of it in training

    @property
    def two_by_two(self) -> bool:
        return self.pool is not None and self.pool.config["size"] == 2 \
            and self.pool.config["stride"] == 2


def _cannot(conv: _Conv, path: str, direction: str) -> str | None:
    """Why `path` cannot run `direction` ("forward", "backward") on this layer, or None."""
    if path not in (FORWARD_PATHS if direction == "forward" else BACKWARD_PATHS):
        names = ", ".join(FORWARD_PATHS if direction == "forward" else BACKWARD_PATHS)
        return f"'{path}' is not a {direction} path (the {direction} paths: {names})"
    if path in (SHIFTED_ROWS, WINOGRAD, POOLED_PHASES) and conv.stride != 1:
        return f"{path} needs stride 1, and this layer's stride is {conv.stride}"
    if path == WINOGRAD and conv.kernel != 3:
        return f"Winograd F(2×2, 3×3) needs a 3×3 kernel, and this one is {conv.kernel}×" \
               f"{conv.kernel}"
    if path == POOLED_PHASES and not conv.two_by_two:
        return "pooled phases needs a ReLU and then a 2×2 max-pool with stride 2 after the conv"
    if path == POOLED_PHASES and conv.out_height != conv.out_width:
        return f"pooled phases needs square maps, and this layer's are {conv.out_height}×" \
               f"{conv.out_width}"
    if path == POOLED_SCATTER and conv.pool is None:
        return "the pooled scatter needs a ReLU and then a max-pool after the conv"
    return None


def _direct(conv: _Conv) -> tuple[str, str]:
    """The forward path that computes the conv's own output, and the plain backward path."""
    backward = SHIFTED_ROWS if use_shifted_rows(conv.stride, conv.filters) else IM2COL
    if use_winograd(conv.kernel, conv.stride, conv.channels, conv.filters, conv.out_height):
        return WINOGRAD, backward
    return backward, backward


def _from_images(plan: ConvPlan) -> str:
    """" (from N images)" when the forward that pools gives way below N images to the
    layer's path without Winograd."""
    return f" (from {plan.winograd_from} images)" if plan.winograd_from else ""


def _why(conv: _Conv, plan: ConvPlan, forced: Force) -> str:
    """One line: what decided each path."""
    reasons = []
    if forced.forward or forced.backward:
        reasons.append("forced: " + ", ".join(
            f"{name} {path}" for name, path in (("forward", forced.forward),
                                                ("backward", forced.backward)) if path))
    if plan.forward == POOLED_PHASES and not forced.forward:
        reasons.append(f"1 channel, 3×3, {conv.filters} filters before ReLU and a 2×2 pool: "
                       "conv, ReLU and pool at the pooled resolution")
    kept = "when its output is kept, " if plan.forward == POOLED_PHASES else ""
    if plan.kept_forward == WINOGRAD and not forced.forward:
        reasons.append(f"{kept}3×3, stride 1, {conv.channels} channels, {conv.filters} "
                       f"filters, {conv.out_height}-row maps: Winograd forward "
                       f"({plan.plain_backward} for fewer than {plan.winograd_from} images)")
    elif not forced.forward:
        settings = f"stride {conv.stride} and {conv.filters} filters"
        reasons.append(kept + (f"shifted rows ({settings}: stride 1, ≤ 32 filters)"
                               if plan.kept_forward == SHIFTED_ROWS else
                               f"im2col ({settings}: shifted rows want stride 1, ≤ 32 filters)"))
    if plan.pooled_backward == POOLED_SCATTER and not forced.backward:
        reasons.append(f"{conv.kernel}×{conv.channels} numbers a kernel row (≥ {LANES}): "
                       "the pooled scatter backward")
    if plan.pool:
        pools_forward = plan.epilogue_pool or plan.forward == POOLED_PHASES
        reasons.append("fuses the ReLU and the max-pool's backward"
                       + (" and forward" if pools_forward else "") + _from_images(plan))
    elif plan.relu:
        reasons.append("fuses the ReLU")
    return "; ".join(reasons)


def _plan_conv(conv: _Conv, forced: Force | None = None) -> ConvPlan:
    """The paths of one conv layer (see `ConvPlan`), `forced` where a test asks."""
    forced = forced or Force()
    for path, direction in ((forced.forward, "forward"), (forced.backward, "backward")):
        reason = path and _cannot(conv, path, direction)
        if reason:
            raise PlanError(f"layer {conv.index} (conv2d): cannot force the {direction} path "
                            f"'{path}': {reason}")
    if forced.backward == POOLED_PHASES and (forced.forward or "") != POOLED_PHASES:
        raise PlanError(f"layer {conv.index} (conv2d): the pooled phases backward needs the "
                        "pooled phases forward (force both)")
    kept, plain = _direct(conv)
    if forced.forward not in (None, POOLED_PHASES):
        kept = forced.forward
    pooled = POOLED_SCATTER if conv.pool is not None and use_pooled_scatter(
        conv.kernel, conv.channels) else plain
    if forced.backward not in (None, POOLED_PHASES, POOLED_SCATTER):
        plain = pooled = forced.backward
    elif forced.backward == POOLED_SCATTER:
        pooled = POOLED_SCATTER
    in_phases = conv.two_by_two and conv.stride == 1 and use_phases(
        conv.channels, conv.kernel, conv.filters, conv.out_width // 2)
    forward = (forced.forward or (POOLED_PHASES if in_phases else kept))
    backward = forced.backward or (POOLED_PHASES if forward == POOLED_PHASES and conv.first
                                   else pooled if conv.pool is not None else plain)
    chosen_winograd = kept == WINOGRAD and forced.forward != WINOGRAD
    plan = ConvPlan(forward, backward, conv.relu, conv.pool is not None, "", kept, plain,
                    pooled, conv.two_by_two and kept in EPILOGUE_POOLS,
                    WINOGRAD_MIN_IMAGES if chosen_winograd else 0)
    return replace(plan, why=_why(conv, plan, forced))


def _plan_pool(info: LayerInfo, two_before: Plan) -> PoolPlan:
    """The unrolled kernel for the 2×2, stride-2 window (the faster one: docs/performance.md,
    'The 2×2 max-pool'), else any window's; fused by the conv two layers before when that
    conv's plan takes its work."""
    two_by_two = info.config["size"] == 2 and info.config["stride"] == 2
    path = UNROLLED_2X2 if two_by_two else ANY_WINDOW
    by = two_before if isinstance(two_before, ConvPlan) and two_before.pool else None
    if by is None:
        return PoolPlan(path, None, f"{path} kernel")
    conv = info.index - 2
    also = ", its forward too" + _from_images(by) \
        if by.epilogue_pool or by.forward == POOLED_PHASES else ""
    return PoolPlan(path, conv, f"{path} kernel when it pools itself; its backward pass done "
                                f"by layer {conv}'s conv while training{also}")


def _conv_facts(infos: Sequence[LayerInfo], i: int) -> _Conv:
    info = infos[i]
    after = infos[i + 1].type if i + 1 < len(infos) else None
    then = infos[i + 2] if i + 2 < len(infos) else None
    relu = after == "relu"
    assert info.input_shape is not None and info.output_shape is not None
    return _Conv(i, info.input_shape[0], info.config["filters"], info.config["kernel"],
                 info.config["stride"], info.output_shape[1], info.output_shape[2], relu,
                 then if relu and then is not None and then.type == "maxpool2d" else None,
                 i == 0)


TEXTBOOK = ConvPlan(REFERENCE, REFERENCE, False, False,
                    "the textbook engine: reference.py's loops, nothing fused",
                    REFERENCE, REFERENCE, REFERENCE)


def plan_layers(infos: Sequence[LayerInfo], engine: str = "fast",
                force: Mapping[int, Force] | None = None) -> list[Plan]:
    """One plan per layer (None where there is nothing to choose), in the layers' order.

    `engine` "textbook" runs every conv on the reference loops and fuses nothing; `force`
    maps conv layer indices to the paths a test wants there.
    """
    force = dict(force or {})
    for index in force:
        if not 0 <= index < len(infos) or infos[index].type != "conv2d":
            kind = infos[index].type if 0 <= index < len(infos) else "no such layer"
            raise PlanError(f"layer {index} ({kind}) is not a conv2d layer: only a "
                            "convolution's paths can be forced")
    if engine == "textbook":
        if force:
            raise PlanError("the textbook engine runs only the reference loops: force paths "
                            "on the fast engine")
        return [TEXTBOOK if info.type == "conv2d" else None for info in infos]
    plans: list[Plan] = [None] * len(infos)
    for i, info in enumerate(infos):
        if info.type == "conv2d":
            plan = _plan_conv(_conv_facts(infos, i), force.get(i))
            plans[i] = plan
            if plan.relu:
                plans[i + 1] = Fused(i, f"applied by layer {i}'s conv in passes that fuse")
        elif info.type == "maxpool2d":
            plans[i] = _plan_pool(info, plans[i - 2] if i >= 2 else None)
        elif info.type == "dense":
            relu = i + 1 < len(infos) and infos[i + 1].type == "relu"
            plans[i] = DensePlan(relu, "fuses the ReLU" if relu else "")
            if relu:
                plans[i + 1] = Fused(i, f"applied by layer {i}'s dense layer in passes that "
                                        "fuse")
    return plans
