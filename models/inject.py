"""Signal injection: more interferometric training events than the file holds, made from its own parts.

A same-track file gives a network few events to learn fringes from (a hundred simulated events
make about 850 event pairs, a quarter of them with less than a millimetre of motion), and the
learning curve of docs/results.md was still rising where the file ended. Deformation and
noise add in the phase, so a training event can be *composed*: the co-seismic line-of-sight
field of one training event (the file's ``los_coseismic`` truth) laid over the interferogram
of an event-free training pair (its atmosphere, non-seismic motion, decorrelation and phase
reference), turned by any of the tile's eight flips and quarter turns. On a multilooked grid
the motion enters as the block mean of ``exp(i 4π d_LOS / λ)`` : the
interferogram's phasor turns by the block's mean phase and its coherence falls by the
phasor's modulus, as it does where a block holds a steep fringe gradient.

Only the training split is used: the noise of its event-free pairs and the fields of its
events. Fields whose peak motion is below :data:`MIN_PEAK_FRINGES` fringes are left out: a
network cannot be taught to see what is not there (chosen on validation; docs/results.md).
Each composed event carries its source event's magnitude and location target (the surface
projection of its rupture's centroid, moved with the turn). Composed negatives are the
event-free pairs themselves, turned alike, so that the mix does not teach "turned means event".

A network trained this way is judged, as every other, on the file's own validation and test
pairs (never composed). Training side only: nothing on the flight path imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import TensorDataset

from quakesat.data.los import WAVELENGTH_M, los_phasor
from quakesat.models.augment import dihedral, move_offset
from quakesat.models.torch_data import TorchQuakeSet, same_track_location_target

#: Smallest peak |LOS| of a field used for composing, in fringes (half a wavelength): half a
#: fringe (chosen on validation over one fringe: docs/results.md).
MIN_PEAK_FRINGES = 0.5


def compose(x: torch.Tensor, phasor: torch.Tensor) -> torch.Tensor:
    """An interferogram input (``3 x H x W``: cos φ, sin φ, coherence) with a motion's phasor
    (complex ``H x W``) laid over it: the phase turned by the phasor's, the coherence scaled by
    its modulus."""
    modulus = phasor.abs()
    unit = torch.where(modulus > 0, phasor / modulus.clamp_min(1e-30), torch.ones_like(phasor))
    turned = torch.complex(x[0], x[1]) * unit
    return torch.stack([turned.real, turned.imag, x[2] * modulus.to(x.dtype)]).to(x.dtype)


@dataclass(frozen=True)
class _Field:
    phasor: torch.Tensor  # complex64 H x W
    magnitude: float
    location: tuple[float, float]
    has_location: bool


class SignalInjector:
    """Composes training events from a training set's event-free pairs and its events' fields.

    Args:
        train_set: an interferometric :class:`TorchQuakeSet` of the train split.
        looks: the multilook of its inputs.

    Raises:
        ValueError: the set is not interferometric, or holds no event-free pair or no field
            large enough to compose with.
    """

    def __init__(self, train_set: TorchQuakeSet, looks: int) -> None:
        if not train_set.interferometric:
            raise ValueError("signal injection needs an interferometric training set")
        self._set = train_set
        self._noise = [i for i in range(len(train_set)) if train_set.targets(i).label == 0]
        self._fields: list[_Field] = []
        seen: set[tuple[str, str]] = set()
        for ref in train_set.refs:
            if ref.label != 1 or (ref.event_id, ref.patch) in seen:
                continue
            seen.add((ref.event_id, ref.patch))
            los = train_set.source.read_ground_truth(ref.event_id, ref.patch, "los_coseismic")
            if los is None:
                continue
            attrs = train_set.source.patch_attrs(ref.event_id, ref.patch)
            wavelength = float(attrs.get("slc_wavelength_m", WAVELENGTH_M))
            los = np.asarray(los, dtype=np.float64)
            if los.size == 0 or np.max(np.abs(los)) < MIN_PEAK_FRINGES * wavelength / 2.0:
                continue
            location, known = same_track_location_target(attrs)
            phasor = torch.from_numpy(los_phasor(los, looks, wavelength).astype(np.complex64))
            self._fields.append(_Field(phasor, float(ref.magnitude), location, known))
        if not self._noise or not self._fields:
            raise ValueError(f"signal injection needs event-free training pairs and event fields of at least "
                             f"{MIN_PEAK_FRINGES} fringe; this set has {len(self._noise)} and {len(self._fields)}")

    @property
    def fields(self) -> int:
        """How many event fields it composes with."""
        return len(self._fields)

    @property
    def noise_pairs(self) -> int:
        """How many event-free pairs it lays them over."""
        return len(self._noise)

    def draw(self, count: int, generator: torch.Generator) -> TensorDataset:
        """``count`` composed samples, half events and half event-free (module doc), as a
        dataset of ``(x, event, magnitude, location, has_location)``; draws from ``generator``
        only."""
        xs, events, magnitudes, locations, known = [], [], [], [], []
        noise = torch.randint(0, len(self._noise), (count,), generator=generator)
        turns = torch.randint(0, 8, (count, 2), generator=generator)
        chosen = torch.randint(0, len(self._fields), (count,), generator=generator)
        for i in range(count):
            x = dihedral(self._set[self._noise[int(noise[i])]][0], int(turns[i, 0]))
            if i % 2 == 0:
                field = self._fields[int(chosen[i])]
                k = int(turns[i, 1])
                x = compose(x, dihedral(field.phasor, k))
                moved = move_offset(torch.tensor(field.location, dtype=torch.float32), k)
                xs.append(x)
                events.append(1.0)
                magnitudes.append(field.magnitude)
                locations.append(moved if field.has_location else torch.zeros(2))
                known.append(field.has_location)
            else:
                xs.append(x.clone())
                events.append(0.0)
                magnitudes.append(0.0)
                locations.append(torch.zeros(2))
                known.append(False)
        return TensorDataset(torch.stack(xs), torch.tensor(events), torch.tensor(magnitudes),
                             torch.stack(locations), torch.tensor(known))


def as_targets(batch: list[torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """A :meth:`SignalInjector.draw` batch in the form :class:`TorchQuakeSet`'s loader gives."""
    x, event, magnitude, location, known = batch
    return x, {"event": event, "magnitude": magnitude, "location": location, "has_location": known}
