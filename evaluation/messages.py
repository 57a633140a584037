"""Scores of a downlink stream against the truth: what the ground would conclude from the messages.

:func:`evaluation_report` decodes the messages a :class:`~quakesat.runtime.flight.FlightRuntime`
wrote for tiles whose truth is known and scores them with the paper's metrics: detection
overall and on the hard negatives (pairs that are not pixel-identical), magnitude MAE where
the model has a magnitude head, the change gate's skips and the time it saved, the location
error against the simulator's damage centroid, and the status counts.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np

from quakesat.evaluation.metrics import (
    detection_report,
    magnitude_report,
    shortcut_report,
)
from quakesat.ground.decode import decode
from quakesat.runtime.flight import FlightRuntime, TileOutcome
from quakesat.runtime.status import Status
from quakesat.runtime.tile import (
    Georef,
    check_georef,
    ground_distance_m,
    pixel_to_latlon,
)

if TYPE_CHECKING:
    from quakesat.data.tiles import Truth


def _location_errors(rows: list[tuple[Georef | None, Truth, TileOutcome]], side: int | None) -> dict[str, Any]:
    """Distance from the simulator's damage centroid (:func:`quakesat.data.quakeset.location_truth`)
    of the reported location and of the tile centre, over flagged true events that have one."""
    reported, centre, methods = [], [], Counter()
    for georef, truth, outcome in rows:
        report = decode(outcome.message)
        if not (report.event and truth.location is not None and side and check_georef(georef).status == Status.OK):
            continue
        lat, lon = pixel_to_latlon(georef, *truth.location, side)
        reported.append(ground_distance_m(report.lat, report.lon, lat, lon))
        centre.append(ground_distance_m(georef.center_lat, georef.center_lon, lat, lon))
        methods[outcome.location_method or "centre"] += 1

    def summary(values: list[float]) -> dict[str, float] | None:
        return {"median": round(float(np.median(values)), 1), "mean": round(float(np.mean(values)), 1)} if values else None

    return {"tiles": len(reported), "methods": dict(methods), "reported_m": summary(reported),
            "tile_centre_m": summary(centre)}


def evaluation_report(rows: list[tuple[Georef | None, Truth, TileOutcome]], runtime: FlightRuntime) -> dict[str, Any]:
    """Scores of the decoded messages against the truth (see the module doc)."""
    decoded = [decode(outcome.message) for _, _, outcome in rows]
    labels = np.array([truth.label for _, truth, _ in rows])
    events = np.array([int(report.event) for report in decoded])
    identical = np.array([truth.identical for _, truth, _ in rows])
    report: dict[str, Any] = {
        "n": len(rows),
        "detection": detection_report(labels, events),
        "shortcut": shortcut_report(labels, events, identical),
        "statuses": dict(Counter(r.status.code_name for r in decoded)),
    }
    if runtime.model is not None and "magnitude" in runtime.model.artifact.outputs:
        report["magnitude"] = magnitude_report(labels, [truth.magnitude for _, truth, _ in rows],
                                               [r.magnitude for r in decoded])
    gated = [(truth, outcome) for _, truth, outcome in rows if outcome.gate is not None and outcome.gate.skip]
    model_runs = [o for _, _, o in rows if "infer" in o.seconds]
    per_model_tile = (float(np.mean([sum(o.seconds.get(s, 0.0) for s in ("preprocess", "infer", "decide"))
                                     for o in model_runs])) if model_runs else 0.0)
    gate_cost = runtime.times.total["gate"]
    report["gate"] = {
        "mode": runtime.config.gate, "threshold": None if runtime.gate is None else runtime.gate.threshold,
        "skipped": len(gated), "share": round(len(gated) / max(len(rows), 1), 4),
        "identical_skipped": sum(1 for t, o in gated if o.gate.identical),
        "hard_negatives_skipped": sum(1 for t, o in gated if t.label == 0 and not o.gate.identical),
        "events_skipped": sum(1 for t, _ in gated if t.label == 1),
        "seconds_saved": round(len(gated) * per_model_tile, 4), "gate_seconds": round(gate_cost, 4),
        "net_seconds_saved": round(len(gated) * per_model_tile - gate_cost, 4),
    }
    report["location"] = _location_errors(rows, runtime.side)
    return report


def gate_sentence(gate: dict[str, Any]) -> str:
    """:func:`evaluation_report`'s ``gate`` block as one plain sentence."""
    if gate.get("mode") == "off":
        return "The change gate was off: every tile that passed its checks met the model."
    threshold = gate.get("threshold")
    rule = "identical pairs only" if not threshold else f"changed share below {threshold:.4g}"
    return (f"The change gate ({gate.get('mode')}, {rule}) skipped {gate['skipped']:,} tiles "
            f"({100 * gate['share']:.1f} %): {gate['identical_skipped']:,} identical pairs, "
            f"{gate['hard_negatives_skipped']:,} changed event-free pairs and {gate['events_skipped']:,} events; "
            f"it saved {gate['net_seconds_saved']:.3f} s of model time net of its own {gate['gate_seconds']:.3f} s.")


def location_sentence(location: dict[str, Any]) -> str:
    """:func:`evaluation_report`'s ``location`` block as one plain sentence."""
    if not location.get("tiles"):
        return "Location: no flagged event tile had a known damage centroid to measure against."
    methods = ", ".join(f"{count:,} by {method}" for method, count in sorted(location["methods"].items()))
    reported, centre = location["reported_m"], location["tile_centre_m"]
    return (f"Location: over {location['tiles']:,} flagged event tiles ({methods}), the reported place lies a "
            f"median {reported['median']:,.0f} m from the damage centroid, against {centre['median']:,.0f} m for "
            "the tile centre.")

