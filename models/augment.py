"""Training-time augmentation of interferometric batches: symmetries the observable has.

An interferogram's phase is known only up to a constant (the pair's reference), so turning
every phasor of a tile by one random angle gives an input the network must judge alike. A
flip or a quarter turn of the tile gives another place's deformation seen from a mirrored or
rotated pass: the line-of-sight geometry breaks the symmetry only slightly, and a detector
should not depend on the fringes' orientation. :func:`augment_interferograms` draws one of
the eight flips/quarter turns and one phase turn per tile and moves the location target with
the pixels. Used by :func:`quakesat.models.train.train` when ``TrainConfig.augment`` is set;
nothing on the flight path imports it.
"""

from __future__ import annotations

import torch


def dihedral(x: torch.Tensor, k: int) -> torch.Tensor:
    """The ``k``-th (0..7) flip/quarter turn of ``... x H x W`` (square) tiles."""
    turned = torch.rot90(x, k % 4, dims=(-2, -1))
    return torch.flip(turned, dims=(-1,)) if k >= 4 else turned


def move_offset(offset: torch.Tensor, k: int) -> torch.Tensor:
    """Where a (row, col) offset from the tile centre goes under :func:`dihedral` ``k``."""
    row, col = offset[0], offset[1]
    for _ in range(k % 4):  # torch.rot90 by +90 degrees: (row, col) -> (-col, row)
        row, col = -col, row
    if k >= 4:  # flip of the columns
        col = -col
    return torch.stack([row, col])


def augment_interferograms(x: torch.Tensor, targets: dict[str, torch.Tensor],
                           generator: torch.Generator) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """A randomly turned copy of a batch of interferogram inputs (``N x 3 x H x W``: cos φ,
    sin φ, coherence) and its targets (``location`` moved with the pixels; the others as they
    are). Draws from ``generator`` only."""
    n = x.shape[0]
    ks = torch.randint(0, 8, (n,), generator=generator)
    angles = torch.rand(n, generator=generator) * (2 * torch.pi)
    out = torch.empty_like(x)
    location = targets["location"].clone() if "location" in targets else None
    for i in range(n):
        k = int(ks[i])
        tile = dihedral(x[i], k)
        cos, sin = torch.cos(angles[i]), torch.sin(angles[i])
        out[i, 0] = tile[0] * cos - tile[1] * sin
        out[i, 1] = tile[0] * sin + tile[1] * cos
        out[i, 2] = tile[2]
        if location is not None:
            location[i] = move_offset(location[i], k)
    moved = dict(targets)
    if location is not None:
        moved["location"] = location
    return out, moved
