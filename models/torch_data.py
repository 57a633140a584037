"""QuakeSet samples as torch tensors, through the one shared preprocessing.

Wraps :class:`quakesat.data.quakeset.QuakeSetFile` (one HDF5 handle) and
``quakesat.runtime.preprocess``; optionally keeps the preprocessed tensors in memory, since
a training run reads every sample once per epoch and the preprocessing is the costly part.
"""

from __future__ import annotations

import copy
import multiprocessing
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset

from quakesat.data.parallel import ordered_map
from quakesat.data.quakeset import QuakeSetFile, SampleRef, Task, location_truth, same_track_location_truth
from quakesat.runtime.interferogram import InterferogramConfig, interferogram_features, is_interferometric
from quakesat.runtime.preprocess import (
    PreprocessConfig,
    preprocess_image,
    preprocess_pair,
)


def input_preprocessing(stored: dict) -> PreprocessConfig | InterferogramConfig:
    """The preprocessing a model folder's ``config.json`` declares (``preprocess``): the
    amplitude pair's (:class:`PreprocessConfig`) or the interferogram's
    (:class:`InterferogramConfig`, ``kind: interferometric``)."""
    if is_interferometric(stored):
        return InterferogramConfig.from_dict(stored)
    return PreprocessConfig.from_dict(stored)


#: Keep preprocessed samples in memory while they fit in this many bytes.
CACHE_LIMIT_BYTES = 4 << 30


@dataclass(frozen=True)
class Targets:
    """Training targets of one sample."""

    label: float  # 1 event, 0 none
    magnitude: float  # mb, 0 for negatives
    location: tuple[float, float]  # epicentre offset from the tile centre, half-tile units
    has_location: bool  # ground truth known and the epicentre lies inside the tile


def location_target(attrs: dict, side: int) -> tuple[tuple[float, float], bool]:
    """Offset (row, col) from the tile centre, in units of half the tile side, of where the
    tile's damage is (:func:`quakesat.data.quakeset.location_truth`: the centroid of the
    co-seismic change; the epicentre inside the tile for older simulated files). The real file
    has no ground truth, and a point outside the tile is no target either.
    """
    truth = location_truth(attrs)
    if truth is None:
        return (0.0, 0.0), False
    (row, col), _ = truth
    half = side / 2.0
    centre = (side - 1) / 2.0
    offset = ((row - centre) / half, (col - centre) / half)
    inside = abs(offset[0]) <= 1.0 and abs(offset[1]) <= 1.0
    return (offset if inside else (0.0, 0.0)), inside


def same_track_location_target(attrs: dict) -> tuple[tuple[float, float], bool]:
    """The location target of an event's same-track tile: the surface projection of the
    rupture's centroid (:func:`quakesat.data.quakeset.same_track_location_truth`), as an offset
    (row, col) from the tile centre in units of half the tile side; no target when the file
    records none or it lies outside the tile."""
    truth = same_track_location_truth(attrs)
    if truth is None:
        return (0.0, 0.0), False
    side = float(attrs["slc_side"])
    centre, half = (side - 1) / 2.0, side / 2.0
    return ((truth[0] - centre) / half, (truth[1] - centre) / half), True


class TorchQuakeSet(Dataset):
    """``(x, targets)`` pairs for one task and split, ``x`` a float32 ``C x H x W`` tensor.

    Args:
        source: an open :class:`QuakeSetFile`.
        task: the QuakeSet task (its samples: pairs for 1/2, single images for 5/6).
        split: ``train``, ``validation``, ``test`` or None for all.
        config: the shared preprocessing constants (with the network's multilook factor), or
            an :class:`~quakesat.runtime.interferogram.InterferogramConfig`: then each pair's
            same-track complex images are read instead (``slc_<name>``, see
            :meth:`QuakeSetFile.read_same_track`) and formed into an interferogram, and samples
            whose patch lacks them are left out.
        cache: keep preprocessed tensors in memory (if they fit in :data:`CACHE_LIMIT_BYTES`).
        shared: a dict that outlives this dataset and holds its cache, keyed by file, task,
            split and preprocessing, so that the next dataset with the same key starts full.
    """

    def __init__(self, source: QuakeSetFile, task: Task, split: str | None,
                 config: PreprocessConfig | InterferogramConfig, cache: bool = True, shared: dict | None = None) -> None:
        self.source = source
        self.task = Task.parse(task)
        self.refs: list[SampleRef] = source.samples(self.task, split)
        self.config = config
        self.interferometric = isinstance(config, InterferogramConfig)
        if self.interferometric:
            if not self.task.is_bitemporal:
                raise ValueError(f"an interferometric input needs pairs; task {int(self.task)} has single images")
            self.refs = [ref for ref in self.refs if source.same_track_shape(ref) is not None]
        # Targets come from attributes only: read them once, not once per item per epoch.
        self._targets = [self._read_targets(ref) for ref in self.refs]
        self._cache: dict[int, torch.Tensor] | None = None
        if cache and self.refs:
            first = self.refs[0]
            if isinstance(config, InterferogramConfig):
                c, h, w = config.output_shape(*source.same_track_shape(first))
            else:
                c, h, w = config.output_shape(*source.image_shape(first.event_id, first.patch)[:2],
                                              images=len(first.images))
            if c * h * w * 4 * len(self.refs) <= CACHE_LIMIT_BYTES:
                # A shared store keeps the tensors for the next dataset of the same file,
                # task, split and preprocessing (a benchmark trains many networks on them).
                key = (str(source.path), self.task, split, repr(config))
                self._cache = {} if shared is None else shared.setdefault(key, {})

    def __len__(self) -> int:
        return len(self.refs)

    def subset(self, indices: list[int]) -> TorchQuakeSet:
        """A dataset of the samples at ``indices`` (same file, task and preprocessing)."""
        chosen = copy.copy(self)
        chosen.refs = [self.refs[i] for i in indices]
        chosen._targets = [self._targets[i] for i in indices]
        chosen._cache = None if self._cache is None else {}
        return chosen

    def input_shape(self) -> tuple[int, int, int]:
        """Shape ``(C, H, W)`` of one input tensor."""
        return tuple(self[0][0].shape)  # type: ignore[return-value]

    def identical(self) -> np.ndarray:
        """Per sample: a bitemporal pair whose two images are pixel-identical (the published
        file's shortcut). Identical images preprocess to identical halves of the input, so the
        tensors answer it; single-image samples are never identical."""
        flags = []
        for index in range(len(self)):
            x = self[index][0]
            flags.append(bool(x.shape[0] % 2 == 0 and len(self.refs[index].images) == 2
                              and torch.equal(x[: x.shape[0] // 2], x[x.shape[0] // 2:])))
        return np.asarray(flags, dtype=bool)

    def targets(self, index: int) -> Targets:
        """Targets of sample ``index``."""
        return self._targets[index]

    def _read_targets(self, ref: SampleRef) -> Targets:
        location, known = (0.0, 0.0), False
        if ref.label == 1 and self.interferometric:
            location, known = same_track_location_target(self.source.patch_attrs(ref.event_id, ref.patch))
        elif ref.label == 1:
            side = self.source.image_shape(ref.event_id, ref.patch)[0]
            location, known = location_target(self.source.patch_attrs(ref.event_id, ref.patch), side)
        return Targets(float(ref.label), float(ref.magnitude), location, known)

    def input_array(self, index: int) -> np.ndarray:
        """Sample ``index`` read and preprocessed (no cache)."""
        if isinstance(self.config, InterferogramConfig):
            pair = self.source.read_same_track(self.refs[index])
            if pair is None:
                raise KeyError(f"/{self.refs[index].event_id}/{self.refs[index].patch} lost its same-track images")
            return np.ascontiguousarray(interferogram_features(*pair, self.config))
        images = self.source.read(self.refs[index])
        array = preprocess_pair(*images, self.config) if len(images) == 2 else preprocess_image(images[0], self.config)
        return np.ascontiguousarray(array)

    def preload(self, workers: int | None = None) -> None:
        """Fill the cache with every sample, preprocessed by ``workers`` forked processes
        (None: one per CPU, at most 16). Without a cache, or where processes cannot be
        forked, it does nothing and samples are preprocessed on first use."""
        if self._cache is None or "fork" not in multiprocessing.get_all_start_methods():
            return
        global _PRELOADING
        missing = [index for index in range(len(self)) if index not in self._cache]
        _PRELOADING = self  # inherited by the forked workers; nothing large is pickled
        try:
            for index, array in zip(missing, ordered_map(_preload_one, missing, workers, chunksize=4)):
                self._cache[index] = torch.from_numpy(array)
        finally:
            _PRELOADING = None

    def __getitem__(self, index: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        if self._cache is not None and index in self._cache:
            x = self._cache[index]
        else:
            x = torch.from_numpy(self.input_array(index))
            if self._cache is not None:
                self._cache[index] = x
        t = self.targets(index)
        return x, {
            "event": torch.tensor(t.label, dtype=torch.float32),
            "magnitude": torch.tensor(t.magnitude, dtype=torch.float32),
            "location": torch.tensor(t.location, dtype=torch.float32),
            "has_location": torch.tensor(t.has_location, dtype=torch.bool),
        }


#: The dataset :meth:`TorchQuakeSet.preload` is filling (read by its forked workers).
_PRELOADING: TorchQuakeSet | None = None


def _preload_one(index: int) -> np.ndarray:
    assert _PRELOADING is not None, "preload workers must be forked from TorchQuakeSet.preload"
    return _PRELOADING.input_array(index)
