"""The networks, in plain torch (torchvision does not import beside our torch pin).

- :class:`MobileNetV2` — Sandler et al., "MobileNetV2: Inverted Residuals and Linear
  Bottlenecks", CVPR 2018, width 1.0, randomly initialised, with 4 input channels
  (bitemporal: pre VV, VH, post VV, VH) or 2 (single image), as in the QuakeSet paper;
- the same backbone with several heads in one pass (:class:`MultiHead`): event logit,
  magnitude and, where ground truth has it, the epicentre offset inside the tile;
- :class:`QuakeLite` — a purpose-built low-resource net for int8 and ARM cores: multilooked
  input, a bitemporal stem that also sees the change (second minus first) or, on an
  interferogram, the fringes (:func:`phase_gradients`), depthwise separable blocks, ReLU6,
  only operators that quantize and export cleanly (Conv, ReLU6, Add, Sub, Mul, Slice, Pad,
  Concat, global average pool, Linear).

Every network returns a dict of heads: ``event`` (logit, shape N), ``magnitude`` (mb,
shape N) and optionally ``location`` (N x 2, offset of the epicentre from the tile centre in
units of the half tile side).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import torch
from torch import nn

from quakesat.errors import ConfigError

#: QuakeLite's channel widths: the default, and ``quakelite-wide`` (about 2.4x the MACs).
QUAKELITE_WIDTHS = (16, 24, 32, 64, 96)
QUAKELITE_WIDE_WIDTHS = (32, 48, 64, 128, 192)

#: Head names in the order exporters flatten them.
HEADS = ("event", "magnitude", "location")


def _make_divisible(value: float, divisor: int = 8) -> int:
    """Round channel counts to a multiple of ``divisor`` as MobileNetV2 does (never -10 %)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


class ConvBNReLU6(nn.Sequential):
    """Convolution, batch norm, ReLU6: the unit every network here is built from."""

    def __init__(self, c_in: int, c_out: int, kernel: int = 3, stride: int = 1, groups: int = 1) -> None:
        super().__init__(
            nn.Conv2d(c_in, c_out, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU6(inplace=True),
        )


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expansion, 3x3 depthwise, linear 1x1 projection, residual."""

    def __init__(self, c_in: int, c_out: int, stride: int, expansion: int) -> None:
        super().__init__()
        hidden = c_in * expansion
        layers: list[nn.Module] = []
        if expansion != 1:
            layers.append(ConvBNReLU6(c_in, hidden, kernel=1))
        layers += [
            ConvBNReLU6(hidden, hidden, stride=stride, groups=hidden),
            nn.Conv2d(hidden, c_out, 1, bias=False),
            nn.BatchNorm2d(c_out),
        ]
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.block(x)
        return x + out if self.residual else out


#: (expansion t, channels c, repeats n, first stride s) of MobileNetV2 (Sandler et al., Table 2).
MOBILENETV2_SETTINGS = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


class MobileNetV2Backbone(nn.Module):
    """MobileNetV2 feature extractor: stem, 17 inverted residual blocks, 1x1 conv, global pool."""

    def __init__(self, in_channels: int, width: float = 1.0) -> None:
        super().__init__()
        c = _make_divisible(32 * width)
        self.out_channels = _make_divisible(1280 * max(1.0, width))
        layers: list[nn.Module] = [ConvBNReLU6(in_channels, c, stride=2)]
        for t, channels, n, s in MOBILENETV2_SETTINGS:
            c_out = _make_divisible(channels * width)
            for i in range(n):
                layers.append(InvertedResidual(c, c_out, s if i == 0 else 1, t))
                c = c_out
        layers.append(ConvBNReLU6(c, self.out_channels, kernel=1))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        _init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.pool(self.features(x)), 1)


class Heads(nn.Module):
    """Linear heads on pooled features; which ones exist depends on the task."""

    def __init__(self, features: int, event: bool, magnitude: bool, location: bool, dropout: float = 0.2) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.event = nn.Linear(features, 1) if event else None
        self.magnitude = nn.Linear(features, 1) if magnitude else None
        self.location = nn.Linear(features, 2) if location else None

    def forward(self, z: torch.Tensor) -> dict[str, torch.Tensor]:
        z = self.dropout(z)
        out: dict[str, torch.Tensor] = {}
        if self.event is not None:
            out["event"] = self.event(z).squeeze(1)
        if self.magnitude is not None:
            out["magnitude"] = self.magnitude(z).squeeze(1)
        if self.location is not None:
            out["location"] = torch.tanh(self.location(z))
        return out


@dataclass(frozen=True)
class NetSpec:
    """What a network is asked to do: input channels and which heads it carries."""

    in_channels: int = 4
    event: bool = True
    magnitude: bool = False
    location: bool = False


class MobileNetV2(nn.Module):
    """MobileNetV2 (width 1.0 by default) with the heads of ``spec``.

    With one head it is the paper's single-task network; with several it is the one-pass
    multi-head variant (:class:`MultiHead` is an alias that documents the intent).
    """

    def __init__(self, spec: NetSpec = NetSpec(), width: float = 1.0) -> None:
        super().__init__()
        self.spec = spec
        self.backbone = MobileNetV2Backbone(spec.in_channels, width)
        self.heads = Heads(self.backbone.out_channels, spec.event, spec.magnitude, spec.location)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.heads(self.backbone(x))


MultiHead = MobileNetV2


class DepthwiseSeparable(nn.Sequential):
    """3x3 depthwise + 1x1 pointwise, each with batch norm and ReLU6 (MobileNetV1 unit)."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__(ConvBNReLU6(c_in, c_in, stride=stride, groups=c_in), ConvBNReLU6(c_in, c_out, kernel=1))


#: Channels of an interferometric input (runtime/interferogram.py CHANNELS): cos φ, sin φ, coherence.
INTERFEROGRAM_CHANNELS = 3


def phase_gradients(x: torch.Tensor) -> torch.Tensor:
    """The fringes of an interferogram input (``N x 3 x H x W``: cos φ, sin φ, coherence) as
    four channels: the phasor of the phase step to the right-hand and to the lower neighbour,
    ``u[r, c+1] conj(u[r, c])`` and ``u[r+1, c] conj(u[r, c])`` (real, imaginary), each
    weighted by the product of the two cells' coherence, zero on the last column / row.

    The unknown phase offset of the pair cancels in these products: a fringe pattern reads the
    same whatever the pair's reference, as in the blind fringe rule
    (:func:`quakesat.evaluation.insar_ceiling.phase_gradient_statistic`), and noise (low
    coherence) is damped. Only products, sums, slices and padding: they export and quantize.
    """
    cos, sin, coherence = x[:, 0:1], x[:, 1:2], x[:, 2:3]

    def step(c0: torch.Tensor, s0: torch.Tensor, c1: torch.Tensor, s1: torch.Tensor, w: torch.Tensor,
             pad: tuple[int, int, int, int]) -> list[torch.Tensor]:
        real = (c1 * c0 + s1 * s0) * w
        imag = (s1 * c0 - c1 * s0) * w
        return [nn.functional.pad(real, pad), nn.functional.pad(imag, pad)]

    along = step(cos[..., :-1], sin[..., :-1], cos[..., 1:], sin[..., 1:],
                 coherence[..., :-1] * coherence[..., 1:], (0, 1, 0, 0))
    down = step(cos[..., :-1, :], sin[..., :-1, :], cos[..., 1:, :], sin[..., 1:, :],
                coherence[..., :-1, :] * coherence[..., 1:, :], (0, 0, 0, 1))
    return torch.cat(along + down, dim=1)


def fringe_features(x: torch.Tensor) -> torch.Tensor:
    """What the interferometric QuakeLite's stem reads (``N x 5 x H x W``): the coherence and
    the four :func:`phase_gradients` channels.

    The raw cos φ and sin φ are left out: the pair's phase is known only up to a constant, and
    the steps carry everything else (they sum back to the phase, up to that constant). Chosen
    on validation over keeping them and over adding windowed-consistency maps (docs/results.md).
    """
    return torch.cat([x[:, 2:3], phase_gradients(x)], dim=1)


#: Channels of :func:`fringe_features`.
FRINGE_CHANNELS = 5


class QuakeLite(nn.Module):
    """Low-resource bitemporal net for int8 on ARM cores.

    Expects its input multilooked by the shared preprocessing (by default ``downsample=2``:
    a 512 x 512 tile becomes 256 x 256, which also suppresses speckle the way SAR processors
    do). For a bitemporal input (4 channels) the stem sees both images and their change
    (second minus first: the log-ratio in normalised dB), so change is a first-layer
    feature rather than something the network must discover. For an interferogram (3
    channels) the stem reads its fringes instead of its phase (:func:`fringe_features`): they
    do not depend on the pair's unknown phase offset.

    Args:
        spec: input channels and heads.
        widths: channels of the stem and of each stage; every stage halves the resolution.
        fringe_stem: on an interferogram, read :func:`fringe_features` (False: cos φ, sin φ
            and the coherence as they are, as networks trained before the stem existed did).
    """

    def __init__(self, spec: NetSpec = NetSpec(), widths: tuple[int, ...] = QUAKELITE_WIDTHS,
                 fringe_stem: bool = True) -> None:
        super().__init__()
        self.spec = spec
        self.bitemporal = spec.in_channels == 4
        self.fringes = fringe_stem and spec.in_channels == INTERFEROGRAM_CHANNELS
        stem_in = 6 if self.bitemporal else FRINGE_CHANNELS if self.fringes else spec.in_channels
        layers: list[nn.Module] = [ConvBNReLU6(stem_in, widths[0], stride=2)]
        for c_in, c_out in zip(widths[:-1], widths[1:]):
            layers.append(DepthwiseSeparable(c_in, c_out, stride=2))
        layers.append(DepthwiseSeparable(widths[-1], widths[-1], stride=1))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.heads = Heads(widths[-1], spec.event, spec.magnitude, spec.location, dropout=0.1)
        _init_weights(self)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        if self.bitemporal:
            x = torch.cat([x, x[:, 2:4] - x[:, 0:2]], dim=1)
        elif self.fringes:
            x = fringe_features(x)
        return self.heads(torch.flatten(self.pool(self.features(x)), 1))


def _init_weights(module: nn.Module) -> None:
    """Kaiming-normal convolutions, unit batch norm, small linear layers (random init, no pre-training)."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.01)
            nn.init.zeros_(m.bias)


#: Network names accepted by ``quakesat train --model``.
NETWORKS = {
    "mobilenetv2": MobileNetV2,
    "quakelite": QuakeLite,
    "quakelite-wide": partial(QuakeLite, widths=QUAKELITE_WIDE_WIDTHS),
}


def build_network(name: str, spec: NetSpec, fringe_stem: bool = True) -> nn.Module:
    """Instantiate a network by name. ``fringe_stem``: a QuakeLite on an interferogram adds
    :func:`phase_gradients` to its stem (folders trained before the stem existed say False).

    Raises:
        ConfigError: unknown name (the message lists the known ones).
    """
    if name not in NETWORKS:
        raise ConfigError(f"unknown network {name!r}; choose one of {sorted(NETWORKS)}")
    if name.startswith("quakelite") and spec.in_channels == INTERFEROGRAM_CHANNELS:
        return NETWORKS[name](spec, fringe_stem=fringe_stem)
    return NETWORKS[name](spec)
