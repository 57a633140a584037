"""Calibrate the flight runtime's change gate and location method on a split with ground truth.

Run at export time on the validation split, written into the manifest (``gate`` and
``locate`` blocks) and read by :class:`quakesat.runtime.flight.FlightRuntime`:

- **gate**: the changed-share statistic of every bitemporal pair; the threshold is the
  largest that skips at most ``max_missed`` (0.5 %) of the split's events
  (:func:`quakesat.runtime.change.calibrate_threshold`). A miss rate of 0.5 % cannot be
  estimated from fewer than 1 / 0.5 % = 200 events: below that the threshold stays 0 (the
  gate skips pixel-identical pairs only) and the block says why, with the threshold the
  events alone would have given. Reported beside it: how many events, hard (non-identical)
  negatives and identical negatives the threshold skips on the split.
- **locate**: for every event tile with co-seismic damage (simulator ground truth), the
  distance from the damage centroid (:func:`quakesat.data.quakeset.location_truth`; the
  epicentre inside the tile for files written before the simulator recorded damage) of each
  location estimate — the tile centre, the change peak, and the model's location head where it
  has one. The method with the smallest median error is chosen; the tile centre wins ties and
  splits without ground truth (the real file). The same errors are reported on the tiles with
  more than :data:`~quakesat.data.quakeset.VISIBLE_DAMAGE_SHARE` of their pixels damaged, where there is something to see.
  A message's coordinates say where in the tile the change is; an epicentre is a ground-side
  estimate from many tiles (their located damage and the shaking it implies), not something
  one tile knows.

A model taking same-track pairs has no change gate (the changed-share statistic reads
amplitude images): :func:`calibrate_same_track` gives the gate ``none`` and chooses between
the tile centre and the location head, by their median distance from the surface projection
of the rupture's centroid (:func:`quakesat.data.quakeset.same_track_location_truth`) on the
split's event pairs, the centre winning ties.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from quakesat.runtime.change import (
    DEFAULT_MAX_MISSED,
    ChangeGate,
    calibrate_threshold,
    change_peak,
    changed_share,
    head_to_pixel,
)
from quakesat.runtime.interferogram import interferogram_features
from quakesat.runtime.manifest import GateSpec, LocateSpec
from quakesat.runtime.preprocess import preprocess_pair
from quakesat.runtime.tile import DEFAULT_PIXEL_SPACING_M


def _pixel_error_m(pixel: tuple[float, float] | None, truth: tuple[float, float], spacing: float) -> float | None:
    return None if pixel is None else math.hypot(pixel[0] - truth[0], pixel[1] - truth[1]) * spacing


def _median(values: list[float]) -> float | None:
    return round(float(np.median(values)), 1) if values else None


def _closest(medians: dict[str, float | None]) -> str:
    """The location method of the smallest median error; the tile centre on ties and without any."""
    scored = {m: v for m, v in medians.items() if v is not None}
    return min(scored, key=lambda m: (scored[m], m != "centre")) if scored else "centre"


@dataclass(frozen=True)
class OnboardCalibration:
    """The manifest's ``gate`` and ``locate`` blocks, each with its calibration report."""

    gate: GateSpec
    locate: LocateSpec


def calibrate_onboard(data: str | Path, split: str = "validation", max_missed: float = DEFAULT_MAX_MISSED,
                      model: Any = None) -> OnboardCalibration:
    """The manifest's ``gate`` and ``locate`` blocks, measured on ``split`` of ``data``.

    Args:
        data: an ``earthquakes.h5``.
        split: the split to calibrate on (never the test split the results are reported on).
        max_missed: the share of events the gate may skip.
        model: an opened :class:`quakesat.runtime.model.ExportedModel`; its location head,
            if it has one, is scored too.
    """
    from quakesat.data.quakeset import VISIBLE_DAMAGE_SHARE, QuakeSetFile, Task, location_truth

    rows: list[tuple[int, bool, float]] = []
    errors: dict[str, list[float]] = {"centre": [], "change": []}
    visible: dict[str, list[float]] = {"centre": [], "change": []}
    truths: set[str] = set()
    with_head = model is not None and "location" in model.manifest.heads
    if with_head:
        errors["head"], visible["head"] = [], []
        config = model.manifest.preprocess
    with QuakeSetFile(data) as qs:
        for ref in qs.samples(Task.BITEMPORAL_DETECTION, split):
            first, second = qs.read(ref)
            identical = bool(np.array_equal(first, second, equal_nan=True))
            rows.append((ref.label, identical, 0.0 if identical else changed_share(first, second)))
            attrs = qs.patch_attrs(ref.event_id, ref.patch)
            found = location_truth(attrs) if ref.label == 1 else None
            if found is None:
                continue
            truth, kind = found
            truths.add(kind)
            seen = float(attrs.get("damaged_fraction", 0.0)) > VISIBLE_DAMAGE_SHARE
            side = first.shape[0]
            spacing = float(attrs.get("pixel_spacing_m", DEFAULT_PIXEL_SPACING_M))
            estimates = {"centre": ((side - 1) / 2.0, (side - 1) / 2.0), "change": change_peak(first, second)}
            if with_head:
                heads = model.heads(preprocess_pair(first, second, config)[None])
                estimates["head"] = head_to_pixel(heads["location"][0], side)
            for method, pixel in estimates.items():
                error = _pixel_error_m(pixel, truth, spacing)
                if error is not None:
                    errors[method].append(error)
                    if seen:
                        visible[method].append(error)
    events = [s for label, _, s in rows if label == 1]
    needed = math.ceil(1.0 / max_missed) if max_missed > 0 else math.inf
    unconstrained = calibrate_threshold(events, max_missed)
    threshold = unconstrained if len(events) >= needed else 0.0
    gate = ChangeGate(threshold)

    def skipped(selected: list[tuple[int, bool, float]]) -> int:
        return sum(1 for _, identical, s in selected if identical or (not math.isnan(s) and s < gate.threshold))

    hard = [r for r in rows if r[0] == 0 and not r[1]]
    identical = [r for r in rows if r[0] == 0 and r[1]]
    medians = {method: _median(values) for method, values in errors.items()}
    method = _closest(medians)
    gate_report = {
        "max_missed": max_missed, "split": split,
        "events_needed": needed if math.isfinite(needed) else None, "threshold_from_events": unconstrained,
        "note": ("calibrated" if threshold == unconstrained else
                 f"identical pairs only: {len(events)} events cannot show a {max_missed:.1%} miss rate "
                 f"(needs {needed})"),
        "tiles": len(rows), "events": len(events), "hard_negatives": len(hard), "identical_negatives": len(identical),
        "skipped": {"events": skipped([r for r in rows if r[0] == 1]), "hard_negatives": skipped(hard),
                    "identical_negatives": skipped(identical), "all": skipped(rows)},
    }
    locate_report = {
        "split": split, "truth": sorted(truths) or None, "tiles": len(errors["centre"]), "median_error_m": medians,
        "visible_damage_share": VISIBLE_DAMAGE_SHARE, "visible_tiles": len(visible["centre"]),
        "visible_median_error_m": {m: _median(v) for m, v in visible.items()},
        "note": ("error from the simulator's damage centroid on event tiles with damage"
                 if "damage" in truths else "error from the simulator's epicentre, event tiles with the epicentre "
                 "inside" if truths else "no ground truth on this split: the tile centre")}
    return OnboardCalibration(GateSpec("changed_share", threshold, gate_report), LocateSpec(method, locate_report))


def calibrate_same_track(data: str | Path, split: str = "validation", model: Any = None) -> OnboardCalibration:
    """The ``gate`` (``none``) and ``locate`` blocks of a model taking same-track pairs (module doc).

    Args:
        data: an ``earthquakes.h5`` simulated with ``--slc``.
        split: the split to choose on (never the test split).
        model: an opened :class:`quakesat.runtime.model.ExportedModel`; its location head, if
            it has one, is scored against the tile centre.
    """
    from quakesat.data.quakeset import QuakeSetFile, Task, same_track_location_truth

    errors: dict[str, list[float]] = {"centre": []}
    with_head = model is not None and "location" in model.manifest.heads
    if with_head:
        errors["head"] = []
    with QuakeSetFile(data) as qs:
        for ref in qs.samples(Task.BITEMPORAL_DETECTION, split):
            if ref.label != 1:
                continue
            attrs = qs.patch_attrs(ref.event_id, ref.patch)
            truth = same_track_location_truth(attrs)
            pair = qs.read_same_track(ref) if truth is not None else None
            if pair is None or truth is None:
                continue
            side = pair[0].shape[0]
            spacing = float(attrs["slc_pixel_spacing_m"])
            estimates = {"centre": ((side - 1) / 2.0, (side - 1) / 2.0)}
            if with_head:
                heads = model.heads(interferogram_features(pair[0], pair[1], model.manifest.preprocess)[None])
                estimates["head"] = head_to_pixel(heads["location"][0], side)
            for method, pixel in estimates.items():
                error = _pixel_error_m(pixel, truth, spacing)
                if error is not None:
                    errors[method].append(error)
    medians = {method: _median(values) for method, values in errors.items()}
    method = _closest(medians)
    report = {"split": split, "truth": ["rupture centroid"] if errors["centre"] else None,
              "tiles": len(errors["centre"]), "median_error_m": medians,
              "note": ("error from the surface projection of the simulated rupture's centroid, event pairs"
                       if errors["centre"] else "no ground truth on this split: the tile centre")}
    gate = GateSpec("none", 0.0, {"note": "no change gate: the changed-share statistic reads amplitude images"})
    return OnboardCalibration(gate, LocateSpec(method, report))
