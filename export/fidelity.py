"""The fidelity gate: does an exported artifact decide like the model it came from?

Per artifact, on held-out tiles that neither int8 calibration nor the choice of int8 settings
saw (:func:`quakesat.export.exporter.fidelity_tiles`, at least ``min_tiles``), against the
fp32 reference (torch for networks, scikit-learn for shallow pipelines), with the manifest's
decision rule (:mod:`quakesat.runtime.decision`) at its operating-point threshold:

- ``flag_agreement`` / ``flags_changed``: the share and count of tiles whose event flag
  equals / differs from the reference's; a flipped flag is counted here and nowhere else;
- ``probability_shift``: max and mean |p - p_ref| of the event probability over every tile
  (the max is the worst case the message's confidence can move);
- ``magnitude_drift``: max and mean |mb - mb_ref| of the *reported* magnitude over the tiles
  both flag as events (a flip is not also counted as drift; none when no tile is flagged by
  both or the manifest marks the magnitude uninformative);
- ``event_abs_error`` / ``magnitude_abs_error`` / ``location_abs_error``: max and mean
  absolute difference of each head's raw output, for the int8 settings' comparison;
- ``accuracy`` and ``reference_accuracy``: the decisions against the labels.

The gate fails an artifact judged on fewer than ``min_tiles`` (default 200) tiles, with flag
agreement below ``min_agreement`` (default 0.995), or whose mean magnitude drift exceeds
``max_magnitude_drift`` (default 0.05 mb).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from quakesat.files import atomic_output, write_text_atomic
from quakesat.runtime.decision import DecisionRule, decide
from quakesat.runtime.manifest import Manifest

DEFAULT_MIN_AGREEMENT = 0.995
DEFAULT_MAX_MAGNITUDE_DRIFT = 0.05
DEFAULT_MIN_TILES = 200


@dataclass(frozen=True)
class GateLimits:
    """The gate's thresholds (``quakesat export --min-agreement/--max-magnitude-drift/--min-fidelity-tiles``)."""

    min_agreement: float = DEFAULT_MIN_AGREEMENT
    max_magnitude_drift: float = DEFAULT_MAX_MAGNITUDE_DRIFT
    min_tiles: int = DEFAULT_MIN_TILES


def _abs_error(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    diff = np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))
    if diff.size == 0:
        return {"max": 0.0, "mean": 0.0, "tiles": 0}
    return {"max": round(float(diff.max()), 6), "mean": round(float(diff.mean()), 6), "tiles": int(diff.size)}


def compare(reference: dict[str, np.ndarray], candidate: dict[str, np.ndarray], labels: np.ndarray,
            rule: DecisionRule) -> dict[str, Any]:
    """Fidelity numbers of ``candidate`` heads against ``reference`` heads on the same tiles."""
    ref = decide(reference, rule)
    got = decide(candidate, rule)
    labels = np.asarray(labels).astype(bool)
    changed = ref.event != got.event
    report: dict[str, Any] = {
        "tiles": int(len(labels)),
        "flag_agreement": round(float(np.mean(~changed)), 6),
        "flags_changed": int(np.count_nonzero(changed)),
        "events_flagged": int(np.count_nonzero(got.event)),
        "reference_events_flagged": int(np.count_nonzero(ref.event)),
        "accuracy": round(float(np.mean(got.event == labels)), 6),
        "reference_accuracy": round(float(np.mean(ref.event == labels)), 6),
    }
    for head in ("event", "magnitude", "location"):
        if head in reference and head in candidate:
            report[f"{head}_abs_error"] = _abs_error(reference[head], candidate[head])
    if "event" in reference and "event" in candidate:
        report["probability_shift"] = report["event_abs_error"]
    if "magnitude" in reference and rule.magnitude_informative:
        both = ref.event & got.event
        report["magnitude_drift"] = _abs_error(got.magnitude[both], ref.magnitude[both])
    return report


def fidelity_summary(artifact: Any) -> dict[str, Any]:
    """One artifact's gate numbers for a JSON line (CLI, demo)."""
    f = artifact.fidelity or {}
    return {"tiles": f.get("tiles"), "flag_agreement": f.get("flag_agreement"), "flags_changed": f.get("flags_changed"),
            "probability_shift_max": (f.get("probability_shift") or {}).get("max"),
            "magnitude_drift_mean": (f.get("magnitude_drift") or {}).get("mean"),
            "ms_per_tile": artifact.latency_ms, "bytes": artifact.bytes, "gate_failures": list(artifact.gate_failures)}


def gate_failures(fidelity: dict[str, Any], limits: GateLimits) -> list[str]:
    """Sentences naming each limit an artifact's fidelity breaks (empty: it passes)."""
    failures = []
    if fidelity["tiles"] < limits.min_tiles:
        failures.append(f"judged on {fidelity['tiles']} tiles < {limits.min_tiles}")
    if fidelity["flag_agreement"] < limits.min_agreement:
        failures.append(f"flag agreement {fidelity['flag_agreement']:.4f} < {limits.min_agreement} "
                        f"({fidelity['flags_changed']} of {fidelity['tiles']} tiles decided differently)")
    drift = fidelity.get("magnitude_drift")
    if drift and drift["tiles"] and drift["mean"] > limits.max_magnitude_drift:
        failures.append(f"magnitude drift {drift['mean']:.4f} > {limits.max_magnitude_drift} mb "
                        f"(mean over the {drift['tiles']} tiles both flag)")
    return failures


def write_report(path: str | Path, manifest: Manifest) -> None:
    """``fidelity.md``: one table row per artifact (fidelity, size, latency) and the gate."""
    fidelity, latency = manifest.report["fidelity"], manifest.report["latency"]
    reference_name = fidelity["reference"]
    limits = fidelity["limits"]
    rows = [
        f"# Fidelity of `{manifest.model.name}` (task {manifest.model.paper_task}) exports", "",
        f"Held-out tiles: {fidelity.get('tiles_note') or fidelity['tiles']} of `{fidelity['data']}`; "
        f"reference: {reference_name} fp32; decisions at the manifest's threshold "
        f"{manifest.decision.event_threshold:.4g}. Gate: at least {limits['min_tiles']} tiles, flag agreement >= "
        f"{limits['min_agreement']}, magnitude drift (mean, tiles both flag) <= {limits['max_magnitude_drift']} mb. "
        f"Latency: median of single-tile runs at {latency['threads']} thread(s), all measured in one run on "
        "this machine.", "",
        "| artifact | format | precision | calibration | bytes | flag agreement (flips) | probability shift max / mean | "
        "magnitude drift mean / max (tiles) | accuracy (ref) | ms / tile | gate |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for artifact in manifest.artifacts:
        f = artifact.fidelity or {}
        shift = f.get("probability_shift")
        shift_text = f"{shift['max']:.4f} / {shift['mean']:.4f}" if shift else "—"
        drift = f.get("magnitude_drift")
        drift_text = (f"{drift['mean']:.4f} / {drift['max']:.4f} ({drift['tiles']})" if drift and drift["tiles"]
                      else ("none flagged by both" if drift else "—"))
        method = (artifact.quantization or {}).get("method", "—") if artifact.precision == "int8" else "—"
        gate = "pass" if artifact.passed_gate else "FAIL: " + "; ".join(artifact.gate_failures or ("not scored",))
        latency_ms = "—" if artifact.latency_ms is None else f"{artifact.latency_ms:.2f}"
        rows.append(f"| {artifact.name} | {artifact.format} | {artifact.precision} | {method} | {artifact.bytes:,} | "
                    f"{f.get('flag_agreement', float('nan')):.4f} ({f.get('flags_changed', '—')}) | {shift_text} | "
                    f"{drift_text} | "
                    f"{f.get('accuracy', float('nan')):.3f} ({f.get('reference_accuracy', float('nan')):.3f}) | "
                    f"{latency_ms} | {gate} |")
    defaults = manifest.report.get("defaults")
    if defaults:
        rows += ["", f"Defaults (fastest artifact that passed the gate): Python runtime `{defaults['python']}`, "
                     f"C++ runner `{defaults['cpp']}`."]
    reference_ms = latency.get("reference_ms")
    if reference_ms:
        rows += ["", f"Reference ({reference_name} fp32, same thread count): {reference_ms:.2f} ms / tile."]
    calibration = manifest.report.get("calibration")
    if calibration and calibration.get("comparison"):
        rows += ["", f"## int8 calibration ({calibration['tiles']} tiles from split `{calibration['split']}`; "
                     f"choice scored on split `{calibration['scored_on']}`)", "",
                 "| method | per-channel | float stem | flag agreement | event mean abs err | magnitude mean abs err | chosen |",
                 "|---|---|---|---|---|---|---|"]
        for c in calibration["comparison"]:
            magnitude = c.get("magnitude_abs_error", {}).get("mean")
            rows.append(f"| {c['method']} | {c['per_channel']} | {c.get('float_stem', False)} | {c['flag_agreement']:.4f} | "
                        f"{c.get('event_abs_error', {}).get('mean', float('nan')):.4f} | "
                        f"{'—' if magnitude is None else f'{magnitude:.4f}'} | {'yes' if c.get('chosen') else ''} |")
    write_text_atomic(path, "\n".join(rows) + "\n")


def plot_scatter(path: str | Path, reference: dict[str, np.ndarray], outputs: dict[str, dict[str, np.ndarray]]) -> None:
    """PNG: each artifact's event probability and magnitude against the fp32 reference."""
    from matplotlib.figure import Figure

    heads = [h for h in ("event", "magnitude") if h in reference]
    fig = Figure(figsize=(5 * len(heads), 4.5))
    for i, head in enumerate(heads):
        ax = fig.add_subplot(1, len(heads), i + 1)
        low, high = float(np.min(reference[head])), float(np.max(reference[head]))
        ax.plot([low, high], [low, high], lw=0.8, color="grey", ls="--")
        for name, heads_out in outputs.items():
            if head in heads_out:
                ax.scatter(reference[head], heads_out[head], s=8, alpha=0.6, label=name)
        ax.set_xlabel(f"{head} (fp32 reference)")
        ax.set_ylabel(f"{head} (exported)")
        ax.legend(fontsize=7)
    fig.suptitle("Exported artifacts against the fp32 model, held-out tiles")
    fig.tight_layout()
    with atomic_output(path) as partial:
        fig.savefig(partial, format="png", dpi=100)
