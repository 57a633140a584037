"""How far a message's coordinates land from where the damage is, per location method.

A flagged tile's message carries one point. The runtime can put it at the tile centre, at the
densest change (:func:`quakesat.runtime.change.change_peak`) or where the network's location
head says; export chooses among them on validation (:mod:`quakesat.export.onboard_calibration`).
This module scores the same choice for the benchmark: errors in metres from the simulator's
damage centroid (:func:`quakesat.data.quakeset.location_truth`) on the event tiles that have
one, the method chosen on validation, its error reported on test, and the same on the tiles
whose damage is visible (more than 1 % of the pixels).

An epicentre is not something one tile knows: it is a ground-side estimate from many tiles'
located damage. The error here is the one a single message can be held to.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from quakesat.runtime.change import head_to_pixel

#: Methods and the order they win ties in (the tile centre first: it needs nothing).
METHODS = ("centre", "change", "head")


def pixel_errors_m(truth: np.ndarray, estimate: np.ndarray, spacing_m: np.ndarray) -> np.ndarray:
    """Per tile, metres between two ``N x 2`` (row, col) pixel arrays; NaN where either is NaN."""
    truth, estimate = np.asarray(truth, dtype=np.float64), np.asarray(estimate, dtype=np.float64)
    return np.hypot(*(truth - estimate).T) * np.asarray(spacing_m, dtype=np.float64)


def head_pixels(offsets: np.ndarray, side: np.ndarray) -> np.ndarray:
    """Pixels of location-head outputs, per tile, as the runtime places them
    (:func:`quakesat.runtime.change.head_to_pixel`)."""
    offsets = np.asarray(offsets, dtype=np.float64).reshape(-1, 2)
    return np.array([head_to_pixel(offset, int(n)) for offset, n in zip(offsets, side)],
                    dtype=np.float64).reshape(-1, 2)


def centre_pixels(side: np.ndarray) -> np.ndarray:
    """The tile centre's pixel, per tile."""
    centre = (np.asarray(side, dtype=np.float64) - 1) / 2.0
    return np.stack([centre, centre], axis=1)


def _median(errors: np.ndarray) -> float | None:
    finite = errors[np.isfinite(errors)]
    return round(float(np.median(finite)), 1) if finite.size else None


def location_block(val: dict[str, Any], test: dict[str, Any]) -> dict[str, Any]:
    """Choose the location method on validation, report it on test.

    Args:
        val, test: per split, ``truth`` (N x 2, NaN rows: nothing to locate), ``spacing``
            (N,), ``estimates`` (method → N x 2; a method's NaN rows fall back to the tile
            centre, as the runtime does when the change peak finds nothing) and, for test,
            ``visible`` (N,) bool.

    Returns:
        Median errors (m) per method on validation and on test (all event tiles with a truth,
        and the visibly damaged ones), the chosen method and its test errors; None values
        where a split has no tile to score.
    """
    def errors(split: dict[str, Any]) -> dict[str, np.ndarray]:
        centre = split["estimates"]["centre"]
        out = {}
        for method in METHODS:
            if method in split["estimates"]:
                estimate = np.where(np.isnan(split["estimates"][method]), centre, split["estimates"][method])
                out[method] = pixel_errors_m(split["truth"], estimate, split["spacing"])
        return out

    val_errors, test_errors = errors(val), errors(test)
    val_medians = {m: _median(e) for m, e in val_errors.items()}
    scored = {m: v for m, v in val_medians.items() if v is not None}
    chosen = min(scored, key=lambda m: (scored[m], METHODS.index(m))) if scored else "centre"
    visible = np.asarray(test.get("visible", np.zeros(len(test["truth"]), dtype=bool)), dtype=bool)
    return {
        "validation_tiles": int(np.isfinite(val["truth"][:, 0]).sum()),
        "test_tiles": int(np.isfinite(test["truth"][:, 0]).sum()),
        "visible_test_tiles": int((np.isfinite(test["truth"][:, 0]) & visible).sum()),
        "validation_median_m": val_medians,
        "test_median_m": {m: _median(e) for m, e in test_errors.items()},
        "visible_test_median_m": {m: _median(e[visible]) for m, e in test_errors.items()},
        "chosen": chosen,
        "chosen_test_median_m": _median(test_errors[chosen]),
        "chosen_visible_test_median_m": _median(test_errors[chosen][visible]),
    }
