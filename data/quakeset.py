"""The QuakeSet reader: index and validate ``earthquakes.h5``, list samples per task, read pixels.

Format (docs/architecture.md, "The seams"; Rege Cambrin & Garza, "QuakeSet: A Dataset and Low-Resource Models to
Monitor Earthquakes through Sentinel-1", ISCRAM 2024):

- one root group per earthquake event, named by its ISC event id (a string of digits), with
  attributes ``magnitude`` (mb) and ``split`` (``train`` / ``validation`` / ``test``) and,
  optionally, others (``hypocenter``, ``depth``, ``epsg``, ...);
- inside an event, groups ``patch_<n>`` (the patches) and possibly datasets ``x`` / ``y``
  (the patch grid's coordinates, not patches);
- inside a patch, datasets ``pre`` and ``post`` and sometimes ``before``: ``H x W x 2``
  float sigma0 (VV, VH, linear), NaN where there is no data. The simulator adds ground
  truth (``change_mask``, ``land_cover``) and patch attributes, read through
  :meth:`QuakeSetFile.read_ground_truth` and :meth:`QuakeSetFile.patch_attrs`.

Samples follow the paper and TorchGeo's ``QuakeSet``: tasks 1/2 pair (``pre``, ``post``) →
label 1, magnitude mb, and (``before``, ``pre``) → label 0, magnitude 0 when ``before``
exists; tasks 5/6 use ``post`` → 1, mb and ``pre`` → 0, 0. Order: events by key (string
sort), patches by number, positive before negative.

The file is opened once and indexed from metadata only (names, attributes, dataset shapes
and dtypes); pixels are read per item through that one handle. A file-level problem (no event
group, an event without ``magnitude`` or ``split``) is a :class:`QuakeSetFormatError`; a
patch-level one (a missing ``post``, a third band, integer pixels, mismatched shapes) is that
image's :class:`PatchDefect`: the samples using it are left out of training and evaluation
and, in a run, become a tile carrying the defect's status, so one odd patch never ends a pass.
"""

from __future__ import annotations

import math
import operator
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from types import TracebackType
from typing import Any

import h5py
import numpy as np

from quakesat.errors import DatasetNotFoundError, QuakeSetFormatError
from quakesat.runtime.status import Status

# ─── schema constants ───────────────────────────────────────────────────────────────────
SPLITS: tuple[str, ...] = ("train", "validation", "test")
"""Split names as stored in the ``split`` event attribute of the published file."""

SPLIT_ALIASES: dict[str, str] = {"val": "validation"}
"""Other spellings accepted for a split, in the file and as arguments."""

IMAGE_NAMES: tuple[str, ...] = ("before", "pre", "post")
"""Image datasets of a patch, oldest first; ``before`` is optional."""

REQUIRED_IMAGES: tuple[str, ...] = ("pre", "post")
CHANNELS = 2  # VV, VH
GRID_DATASETS: frozenset[str] = frozenset({"x", "y"})
"""Event members of the published file that hold patch-grid coordinates, not patches."""

GROUND_TRUTH_NAMES: frozenset[str] = frozenset({"change_mask", "land_cover"})
"""Patch datasets the simulator writes as ground truth; never part of a sample."""

DOWNLOAD_HINT = (
    "run `quakesat simulate --out FILE` to make one, "
    "or download earthquakes.h5 from the QuakeSet dataset page"
)

_EVENT_NAME = re.compile(r"[0-9]+")
_PATCH_NAME = re.compile(r"patch_([0-9]+)")


class Task(IntEnum):
    """QuakeSet tasks, numbered as in the paper."""

    BITEMPORAL_DETECTION = 1  # (pre, post) vs (before, pre): earthquake yes / no
    BITEMPORAL_MAGNITUDE = 2  # same pairs, target mb (0 for negatives)
    SINGLE_DETECTION = 5  # post vs pre alone
    SINGLE_MAGNITUDE = 6  # same images, target mb (0 for pre)

    @property
    def is_bitemporal(self) -> bool:
        """True when a sample is a pair of images."""
        return self in (Task.BITEMPORAL_DETECTION, Task.BITEMPORAL_MAGNITUDE)

    @property
    def is_regression(self) -> bool:
        """True when the target is the magnitude rather than the label."""
        return self in (Task.BITEMPORAL_MAGNITUDE, Task.SINGLE_MAGNITUDE)

    @classmethod
    def parse(cls, value: Task | int | str) -> Task:
        """Turn ``2``, ``"2"``, ``"task2"`` or ``"BITEMPORAL_MAGNITUDE"`` into a :class:`Task`.

        Args:
            value: a task, its number, or its name.

        Returns:
            The task.

        Raises:
            ValueError: ``value`` names no task.
        """
        if isinstance(value, cls):
            return value
        text = str(value).strip()
        if not isinstance(value, bool):
            number = text.lower().removeprefix("task")
            if number.isdigit() and int(number) in {t.value for t in cls}:
                return cls(int(number))
            if text.upper() in cls.__members__:
                return cls[text.upper()]
        choices = ", ".join(f"{t.value} ({t.name.lower()})" for t in cls)
        raise ValueError(f"unknown QuakeSet task {value!r}; expected one of {choices}")


TASKS: tuple[Task, ...] = tuple(Task)


def parse_split(value: str | None) -> str | None:
    """Normalize a split argument (``"val"`` → ``"validation"``); ``None`` means every split.

    Args:
        value: a split name, an alias, or None.

    Returns:
        The canonical split name, or None.

    Raises:
        ValueError: ``value`` names no split.
    """
    if value is None:
        return None
    name = str(value).strip().lower()
    name = SPLIT_ALIASES.get(name, name)
    if name not in SPLITS:
        raise ValueError(f"unknown split {value!r}; expected one of {', '.join(SPLITS)} (or 'val')")
    return name


# ─── index records ──────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class SampleRef:
    """One sample: which images of which patch, and its targets."""

    event_id: str
    patch: str
    images: tuple[str, ...]  # ("pre", "post"), ("before", "pre"), ("post",) or ("pre",)
    label: int  # 1: earthquake between the images (or after the single image's event), 0: none
    magnitude: float  # event mb for positives, 0.0 for negatives
    split: str


@dataclass(frozen=True)
class EventInfo:
    """Metadata of one event group, read at open without touching pixels."""

    event_id: str
    magnitude: float
    split: str  # canonical name, one of SPLITS
    attrs: dict[str, Any] = field(hash=False)  # every attribute, as plain Python values
    patches: tuple[str, ...]  # patch group names, numeric order (sound and defective)
    patches_with_before: tuple[str, ...]  # sound patches that have 'before'
    image_shape: tuple[int, int, int] | None  # shared by its sound patches; None if they differ or none


@dataclass(frozen=True)
class PatchDefect:
    """Why one image of a patch cannot be read as a tile image: the status the flight runtime
    gives a pair that uses it (``unreadable``, ``bad_shape`` or ``bad_dtype``) and the reason."""

    image: str
    status: Status
    message: str


@dataclass(frozen=True)
class _PatchIndex:
    shape: tuple[int, int, int] | None  # of the first sound image ('pre' first); None if none is
    images: tuple[str, ...]  # those present, in IMAGE_NAMES order
    defects: dict[str, PatchDefect] = field(default_factory=dict, hash=False)  # image name → defect


# ─── helpers ────────────────────────────────────────────────────────────────────────────
def plain_value(value: Any) -> Any:
    """Convert an HDF5 attribute value into plain Python (bytes decoded, numpy unwrapped).

    Args:
        value: what ``h5py`` returned for an attribute.

    Returns:
        str, int, float, bool, None, or (nested) lists of those.
    """
    if isinstance(value, bytes):  # includes numpy.bytes_
        return value.decode("utf-8", errors="replace")
    if isinstance(value, str):  # includes numpy.str_
        return str(value)
    if isinstance(value, h5py.Empty):
        return None
    if isinstance(value, np.ndarray):
        return plain_value(value.tolist())
    if isinstance(value, (list, tuple)):
        return [plain_value(v) for v in value]
    if isinstance(value, np.generic):
        return plain_value(value.item())
    return value


#: A tile counts as visibly damaged above this share of changed pixels (simulator ground truth,
#: ``damaged_fraction``; 1 %: 2,600 pixels of a 512 x 512 tile).
VISIBLE_DAMAGE_SHARE = 0.01


def location_truth(attrs: dict[str, Any]) -> tuple[tuple[float, float], str] | None:
    """Where an event tile's message should point, from the simulator's ground truth: the
    centroid of the co-seismic change (``damage_centroid_row``/``_col``), and (row, col) pixel
    coordinates with ``"damage"``; for files written before the simulator recorded damage (no
    ``damaged_fraction`` attribute), the epicentre when it lies inside the tile, with
    ``"epicentre"``. None: nothing to locate (no damage, or no ground truth: the real file).
    """
    row, col = attrs.get("damage_centroid_row"), attrs.get("damage_centroid_col")
    if row is not None and col is not None:
        return (float(row), float(col)), "damage"
    if "damaged_fraction" in attrs:
        return None
    row, col = attrs.get("epicenter_row"), attrs.get("epicenter_col")
    if row is not None and col is not None and attrs.get("epicenter_in_patch"):
        return (float(row), float(col)), "epicentre"
    return None


def same_track_location_truth(attrs: dict[str, Any]) -> tuple[float, float] | None:
    """Where an event's same-track tile should point: the surface projection of the rupture's
    centroid, (row, col) on the interferometric tile's pixel grid (the simulator's
    ``slc_centroid_row``/``_col``, written with ``--slc``). None without it (the real file,
    older files), or where it lies outside the tile."""
    row, col, side = attrs.get("slc_centroid_row"), attrs.get("slc_centroid_col"), attrs.get("slc_side")
    if row is None or col is None or side is None:
        return None
    row, col = float(row), float(col)
    if not (-0.5 <= row <= side - 0.5 and -0.5 <= col <= side - 0.5):
        return None
    return row, col


def _parse_magnitude(raw: Any, where: str) -> float:
    value = raw
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise QuakeSetFormatError(
                f"{where}: attribute 'magnitude' has shape {value.shape}; expected one number (mb)"
            )
        value = value.reshape(()).item()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise QuakeSetFormatError(
            f"{where}: attribute 'magnitude' is {plain_value(value)!r}; expected a number (mb)"
        )
    if not math.isfinite(value):
        raise QuakeSetFormatError(
            f"{where}: attribute 'magnitude' is {value}; expected a finite number (mb)"
        )
    return float(value)


def _parse_split_attr(raw: Any, where: str) -> str:
    value = plain_value(raw)
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    name = value.strip().lower() if isinstance(value, str) else None
    name = SPLIT_ALIASES.get(name, name) if name is not None else None
    if name not in SPLITS:
        raise QuakeSetFormatError(
            f"{where}: attribute 'split' is {value!r}; expected one of {', '.join(SPLITS)}"
        )
    return name


def _image_problem(ds: h5py.Dataset, where: str) -> tuple[Status, str] | None:
    """What is wrong with one image dataset (its status and reason), or None if it is sound."""
    shape = tuple(int(n) for n in ds.shape) if ds.shape is not None else ()
    expected = f"expected (H, W, {CHANNELS}) float (VV, VH sigma0)"
    if len(shape) != 3 or shape[2] != CHANNELS:
        return Status.BAD_SHAPE, f"{where}: shape {shape}; {expected}"
    if shape[0] < 1 or shape[1] < 1:
        return Status.BAD_SHAPE, f"{where}: shape {shape} is empty; {expected}"
    if not np.issubdtype(ds.dtype, np.floating):
        return Status.BAD_DTYPE, f"{where}: dtype {ds.dtype}; {expected}"
    return None


def _patch_sort_key(name: str) -> tuple[int, str]:
    match = _PATCH_NAME.fullmatch(name)
    return (int(match.group(1)) if match else -1, name)


# ─── the file ───────────────────────────────────────────────────────────────────────────
class QuakeSetFile:
    """An open ``earthquakes.h5``: one read-only HDF5 handle, indexed and validated at open.

    The handle lives as long as this object (``close()`` or a ``with`` block ends it).
    Process safety: HDF5 handles must not be shared across ``fork``; when a method that
    reads runs in a process other than the one that opened the file (a fork-based
    DataLoader worker), it reopens the file once in that process and keeps that handle
    (the inherited one is left untouched, never closed, so the parent's stays valid).
    Pickling (spawn-based workers) carries the path and the index, not the handle; the
    copy opens the file on its first read.

    Args:
        path: the HDF5 file.

    Raises:
        DatasetNotFoundError: ``path`` does not exist, is not a file, or is not a readable
            HDF5 file (as ``quakesat.errors`` defines it: in every case the remedy is to
            point at, or make, a real ``earthquakes.h5``).
        QuakeSetFormatError: the file does not follow the schema; the message names the
            group or dataset.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path)
        self._file: h5py.File | None = None
        self._pid = os.getpid()
        self._inherited: list[h5py.File] = []  # handles from a parent process, kept open
        self._closed = False
        self._file = self._open()
        try:
            self._build_index(self._file)
        except BaseException:
            self.close()
            raise

    # ── opening ──
    def _open(self) -> h5py.File:
        path = self._path
        if not path.exists():
            raise DatasetNotFoundError(f"QuakeSet file not found: {path}; {DOWNLOAD_HINT}")
        if not path.is_file():
            raise DatasetNotFoundError(f"QuakeSet path is not a file: {path}; {DOWNLOAD_HINT}")
        try:
            handle = h5py.File(path, "r")
        except OSError as err:
            raise DatasetNotFoundError(
                f"{path} is not a readable HDF5 file ({err}); expected an earthquakes.h5 in the "
                f"QuakeSet schema; {DOWNLOAD_HINT}"
            ) from err
        self._pid = os.getpid()
        return handle

    def _h5(self) -> h5py.File:
        if self._closed:
            raise ValueError(f"QuakeSetFile {self._path} is closed")
        if self._file is None:
            self._file = self._open()
        elif os.getpid() != self._pid:
            # A forked child: keep the parent's handle referenced but unused, open our own.
            self._inherited.append(self._file)
            self._file = self._open()
        return self._file

    def close(self) -> None:
        """Close the HDF5 handle; later reads raise ``ValueError``. Idempotent."""
        if self._file is not None and os.getpid() == self._pid:
            self._file.close()
        self._file = None
        self._closed = True

    def __enter__(self) -> QuakeSetFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_file"] = None
        state["_inherited"] = []
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        events = len(getattr(self, "_events", ()))
        return f"QuakeSetFile({str(self._path)!r}, events={events}, closed={self._closed})"

    # ── indexing (metadata only) ──
    def _build_index(self, root: h5py.File) -> None:
        events: list[EventInfo] = []
        patches: dict[tuple[str, str], _PatchIndex] = {}
        ignored: list[str] = []
        for key in sorted(root.keys()):
            if _EVENT_NAME.fullmatch(key) is None or root.get(key, getclass=True) is not h5py.Group:
                ignored.append(f"/{key}")
                continue
            info, event_patches = self._index_event(key, root[key], ignored)
            events.append(info)
            patches.update(event_patches)
        if not events:
            found = ", ".join(ignored[:10]) or "nothing"
            raise QuakeSetFormatError(
                f"{self._path}: no earthquake event groups at the root (expected groups named by "
                f"ISC event id, e.g. '/600860344', with attributes 'magnitude' and 'split'); "
                f"found: {found}"
            )
        self._events = events
        self._by_id = {e.event_id: e for e in events}
        self._patches = patches
        self._ignored = tuple(ignored)

    def _index_event(
        self, key: str, group: h5py.Group, ignored: list[str]
    ) -> tuple[EventInfo, dict[tuple[str, str], _PatchIndex]]:
        where = f"/{key}"
        attrs = {name: plain_value(group.attrs[name]) for name in group.attrs}
        for required in ("magnitude", "split"):
            if required not in group.attrs:
                raise QuakeSetFormatError(
                    f"{where}: attribute {required!r} is missing; every event group needs "
                    f"'magnitude' (mb) and 'split' ({', '.join(SPLITS)})"
                )
        magnitude = _parse_magnitude(group.attrs["magnitude"], where)
        split = _parse_split_attr(group.attrs["split"], where)

        patch_names: list[str] = []
        for name in group.keys():
            kind = group.get(name, getclass=True)
            if kind is h5py.Group and _PATCH_NAME.fullmatch(name):
                patch_names.append(name)
            elif not (kind is h5py.Dataset and name in GRID_DATASETS):
                ignored.append(f"{where}/{name}")
        patch_names.sort(key=_patch_sort_key)

        index: dict[tuple[str, str], _PatchIndex] = {}
        for name in patch_names:
            index[(key, name)] = self._index_patch(f"{where}/{name}", group[name], ignored)
        shapes = {p.shape for p in index.values() if not p.defects}
        info = EventInfo(
            event_id=key,
            magnitude=magnitude,
            split=split,
            attrs=attrs,
            patches=tuple(patch_names),
            patches_with_before=tuple(n for n in patch_names if "before" in index[(key, n)].images
                                      and not index[(key, n)].defects),
            image_shape=next(iter(shapes)) if len(shapes) == 1 else None,
        )
        return info, index

    @staticmethod
    def _index_patch(where: str, group: h5py.Group, ignored: list[str]) -> _PatchIndex:
        """Index one patch. A missing, misshapen or non-float image is that image's
        :class:`PatchDefect`, not the file's end: the samples using it are left out of
        training and evaluation, and become a tile with that status in a run."""
        members = set(group.keys())
        defects: dict[str, PatchDefect] = {}
        for required in REQUIRED_IMAGES:
            if required not in members:
                defects[required] = PatchDefect(required, Status.UNREADABLE, (
                    f"{where}: dataset {required!r} is missing; every patch needs 'pre' and 'post' "
                    f"(and may have 'before')"))
        present = tuple(n for n in IMAGE_NAMES if n in members)
        shape: tuple[int, int, int] | None = None
        first = ""
        for name in sorted(present, key=lambda n: n != "pre"):  # 'pre' (always there) is the reference
            path = f"{where}/{name}"
            member = group[name]
            if not isinstance(member, h5py.Dataset):
                defects[name] = PatchDefect(name, Status.UNREADABLE,
                                            f"{path}: is a group; expected an (H, W, {CHANNELS}) float dataset")
                continue
            problem = _image_problem(member, path)
            if problem is not None:
                defects[name] = PatchDefect(name, *problem)
                continue
            this = tuple(int(n) for n in member.shape)
            if shape is None:
                shape, first = this, path  # type: ignore[assignment]
            elif this != shape:
                defects[name] = PatchDefect(name, Status.BAD_SHAPE, (
                    f"{path}: shape {this} differs from {first} {shape}; all images of a patch "
                    f"must share one (H, W, {CHANNELS}) shape"))
        for name in sorted(members - set(IMAGE_NAMES) - GROUND_TRUTH_NAMES):
            ignored.append(f"{where}/{name}")
        return _PatchIndex(shape=shape, images=present, defects=defects)

    # ── what the index says ──
    @property
    def path(self) -> Path:
        """The HDF5 file's path."""
        return self._path

    @property
    def events(self) -> list[EventInfo]:
        """Every event, sorted by key (string sort)."""
        return list(self._events)

    @property
    def defective_patches(self) -> list[tuple[str, str, PatchDefect]]:
        """(event id, patch, defect) for every defective image, in sample order: what
        training and evaluation skip and what a run reports with the defect's status."""
        return [(event_id, patch, defect) for (event_id, patch), index in self._patches.items()
                for defect in index.defects.values()]

    def sample_defect(self, ref: SampleRef) -> PatchDefect | None:
        """The first defect among the images ``ref`` uses (None: the sample can be read)."""
        defects = self._patch(ref.event_id, ref.patch).defects
        return next((defects[name] for name in ref.images if name in defects), None)

    @property
    def ignored_members(self) -> tuple[str, ...]:
        """HDF5 paths outside the schema that the reader skips (not counting x/y, ground truth)."""
        return self._ignored

    def event(self, event_id: str) -> EventInfo:
        """Return one event's metadata.

        Args:
            event_id: the event group's name.

        Returns:
            Its :class:`EventInfo`.

        Raises:
            KeyError: no such event.
        """
        try:
            return self._by_id[str(event_id)]
        except KeyError:
            raise KeyError(f"event {event_id!r} is not in {self._path}") from None

    def image_shape(self, event_id: str, patch: str) -> tuple[int, int, int]:
        """Return the (H, W, 2) shape shared by the images of one patch.

        Args:
            event_id: the event group's name.
            patch: the patch group's name.

        Returns:
            The shape.

        Raises:
            KeyError: no such patch, or none of its images is sound.
        """
        shape = self._patch(event_id, patch).shape
        if shape is None:
            raise KeyError(f"patch /{event_id}/{patch} has no sound image to take a shape from")
        return shape

    def _patch(self, event_id: str, patch: str) -> _PatchIndex:
        try:
            return self._patches[(str(event_id), str(patch))]
        except KeyError:
            raise KeyError(f"patch /{event_id}/{patch} is not in {self._path}") from None

    def iter_patches(self, split: str | None = None,
                     include_defective: bool = False) -> Iterator[tuple[EventInfo, str]]:
        """Yield (event, patch name) in sample order.

        Args:
            split: restrict to one split (aliases accepted); None for all.
            include_defective: also the patches with a defective image (:attr:`defective_patches`).

        Returns:
            An iterator of (EventInfo, patch name).

        Raises:
            ValueError: unknown split.
        """
        wanted = parse_split(split)
        for info in self._events:
            if wanted is None or info.split == wanted:
                for patch in info.patches:
                    if include_defective or not self._patches[(info.event_id, patch)].defects:
                        yield info, patch

    def samples(self, task: Task | int | str, split: str | None = None,
                include_defective: bool = False) -> list[SampleRef]:
        """List the samples of a task, in the paper's order.

        Args:
            task: 1, 2, 5 or 6 (a :class:`Task`, number or name).
            split: ``train``, ``validation`` (or ``val``), ``test``, or None for all.
            include_defective: also the samples that use a defective image
                (:meth:`sample_defect` says which); by default they are left out, and a
                patch's other samples stay (a bad ``post`` keeps the (``before``, ``pre``) pair).

        Returns:
            The samples: per patch the positive first, then the negative (bitemporal tasks
            give a negative only when the patch has ``before``).

        Raises:
            ValueError: unknown task or split.
        """
        kind = Task.parse(task)
        refs: list[SampleRef] = []
        for info, patch in self.iter_patches(split, include_defective=True):
            event, mb, split_name = info.event_id, info.magnitude, info.split
            index = self._patches[(event, patch)]
            if kind.is_bitemporal:
                candidates = [SampleRef(event, patch, ("pre", "post"), 1, mb, split_name)]
                if "before" in index.images:
                    candidates.append(SampleRef(event, patch, ("before", "pre"), 0, 0.0, split_name))
            else:
                candidates = [SampleRef(event, patch, ("post",), 1, mb, split_name),
                              SampleRef(event, patch, ("pre",), 0, 0.0, split_name)]
            refs += [ref for ref in candidates
                     if include_defective or not any(name in index.defects for name in ref.images)]
        return refs

    # ── pixels and extras ──
    def read_image(self, event_id: str, patch: str, name: str) -> np.ndarray:
        """Read one image of a patch.

        Args:
            event_id: the event group's name.
            patch: the patch group's name.
            name: ``before``, ``pre`` or ``post``.

        Returns:
            A float32 (H, W, 2) array (VV, VH linear sigma0), NaN where there is no data.

        Raises:
            KeyError: no such patch, or the patch has no such image.
            QuakeSetFormatError: the image is defective (:attr:`QuakeSetFile.defective_patches`).
            ValueError: the file is closed.
        """
        index = self._patch(event_id, patch)
        if name not in index.images:
            raise KeyError(
                f"/{event_id}/{patch} has no image {name!r}; it has {', '.join(index.images)}"
            )
        if name in index.defects:
            raise QuakeSetFormatError(index.defects[name].message)
        data = self._h5()[f"{event_id}/{patch}/{name}"][()]
        return np.asarray(data, dtype=np.float32)

    def read(self, ref: SampleRef) -> tuple[np.ndarray, ...]:
        """Read the images of a sample.

        Args:
            ref: a sample from :meth:`samples`.

        Returns:
            One float32 (H, W, 2) array per name in ``ref.images``, in that order, NaN kept.

        Raises:
            KeyError: the sample does not belong to this file.
            ValueError: the file is closed.
        """
        return tuple(self.read_image(ref.event_id, ref.patch, name) for name in ref.images)

    def read_same_track(self, ref: SampleRef) -> tuple[np.ndarray, ...] | None:
        """Read a sample's same-track complex images (the simulator's ``slc_<name>`` datasets
        of ``quakesat simulate --slc``), one per name in ``ref.images``, in that order.

        Returns:
            complex64 ``H x W`` arrays (NaN: no data), or None when the patch lacks any of them
            (the published file, a file simulated without ``--slc``, an identical negative).

        Raises:
            KeyError: no such patch.
            QuakeSetFormatError: a dataset of that name is not a 2-D complex image, or the
                images differ in shape.
            ValueError: the file is closed.
        """
        self._patch(ref.event_id, ref.patch)
        group = self._h5()[f"{ref.event_id}/{ref.patch}"]
        arrays = []
        for name in ref.images:
            member = group.get(f"slc_{name}", getclass=True)
            if member is not h5py.Dataset:
                return None
            dataset = group[f"slc_{name}"]
            if dataset.ndim != 2 or dataset.dtype.kind != "c":
                raise QuakeSetFormatError(f"/{ref.event_id}/{ref.patch}/slc_{name}: a same-track image is a 2-D "
                                          f"complex array, got {dataset.dtype} {dataset.shape}")
            arrays.append(np.asarray(dataset[()], dtype=np.complex64))
        if len({a.shape for a in arrays}) > 1:
            raise QuakeSetFormatError(f"/{ref.event_id}/{ref.patch}: same-track images of different shapes "
                                      f"{[a.shape for a in arrays]}")
        return tuple(arrays)

    def same_track_shape(self, ref: SampleRef) -> tuple[int, int] | None:
        """Shape of a sample's first same-track image without reading it (None: it has none)."""
        self._patch(ref.event_id, ref.patch)
        group = self._h5()[f"{ref.event_id}/{ref.patch}"]
        name = f"slc_{ref.images[0]}"
        if group.get(name, getclass=True) is not h5py.Dataset:
            return None
        return tuple(group[name].shape)  # type: ignore[return-value]

    def patch_attrs(self, event_id: str, patch: str) -> dict[str, Any]:
        """Return a patch group's attributes (the simulator's georeference, times, units).

        Args:
            event_id: the event group's name.
            patch: the patch group's name.

        Returns:
            Attribute name → plain Python value; empty for the published file.

        Raises:
            KeyError: no such patch.
            ValueError: the file is closed.
        """
        self._patch(event_id, patch)
        group = self._h5()[f"{event_id}/{patch}"]
        return {name: plain_value(group.attrs[name]) for name in group.attrs}

    def grid_coordinates(self, event_id: str) -> tuple[np.ndarray, np.ndarray] | None:
        """The event's ``x`` and ``y`` datasets (the published file's patch-grid coordinates)
        as float64 arrays, or None when the event lacks either or they are not numeric.

        Raises:
            KeyError: no such event.
            ValueError: the file is closed.
        """
        self.event(event_id)
        group = self._h5()[str(event_id)]
        arrays = []
        for name in ("x", "y"):
            member = group.get(name)
            if not isinstance(member, h5py.Dataset) or not np.issubdtype(member.dtype, np.number):
                return None
            arrays.append(np.asarray(member[()], dtype=np.float64))
        return arrays[0], arrays[1]

    def read_ground_truth(self, event_id: str, patch: str, name: str) -> np.ndarray | None:
        """Read an extra dataset of a patch, e.g. the simulator's ``change_mask``.

        Args:
            event_id: the event group's name.
            patch: the patch group's name.
            name: the dataset's name inside the patch.

        Returns:
            The array as stored, or None when the patch has no such dataset.

        Raises:
            KeyError: no such patch.
            ValueError: the file is closed.
        """
        self._patch(event_id, patch)
        group = self._h5()[f"{event_id}/{patch}"]
        if group.get(name, getclass=True) is not h5py.Dataset:
            return None
        return np.asarray(group[name][()])


# ─── the dataset ────────────────────────────────────────────────────────────────────────
class QuakeSetDataset:
    """Map-style dataset of one task and split over a shared :class:`QuakeSetFile`.

    Item ``i`` is a dict: ``images`` (a tuple of float32 (H, W, 2) arrays, or whatever
    ``transform(*arrays)`` returns), ``label`` (int), ``magnitude`` (float), ``event_id``,
    ``patch``. It has ``__len__``/``__getitem__`` as ``torch.utils.data.Dataset`` expects,
    without importing torch; the training code plugs preprocessing in as ``transform``.

    Args:
        source: a path (opened here, closed by :meth:`close`) or an open QuakeSetFile
            (shared, left open).
        task: 1, 2, 5 or 6.
        split: ``train``, ``validation`` (or ``val``), ``test``, or None for all.
        transform: called as ``transform(*arrays)``; its result replaces ``images``.

    Raises:
        DatasetNotFoundError: ``source`` is a path that does not exist or is not HDF5.
        QuakeSetFormatError: the file does not follow the schema.
        ValueError: unknown task or split.
    """

    def __init__(
        self,
        source: str | os.PathLike[str] | QuakeSetFile,
        task: Task | int | str,
        split: str | None,
        transform: Callable[..., Any] | None = None,
    ) -> None:
        self.task = Task.parse(task)
        self.split = parse_split(split)
        self.transform = transform
        self._owns_file = not isinstance(source, QuakeSetFile)
        self.file = QuakeSetFile(source) if self._owns_file else source  # type: ignore[arg-type]
        self.refs: list[SampleRef] = self.file.samples(self.task, self.split)

    def __len__(self) -> int:
        return len(self.refs)

    def __getitem__(self, index: int) -> dict[str, Any]:
        ref = self.refs[operator.index(index)]  # IndexError past either end, like a sequence
        arrays = self.file.read(ref)
        images = self.transform(*arrays) if self.transform is not None else arrays
        return {
            "images": images,
            "label": ref.label,
            "magnitude": ref.magnitude,
            "event_id": ref.event_id,
            "patch": ref.patch,
        }

    def close(self) -> None:
        """Close the file if this dataset opened it."""
        if self._owns_file:
            self.file.close()
