"""The fidelity gate: does an exported artifact decide like the model it came from?

Per artifact, on held-out tiles, against the fp32 reference (torch for networks,
scikit-learn for shallow pipelines), with the manifest's decision rule
(:mod:`quakesat.runtime.decision`):

- ``flag_agreement``: share of tiles whose event flag equals the reference's;
- ``event_abs_error`` / ``magnitude_abs_error`` / ``location_abs_error``: max and mean
  absolute difference of each head's raw output;
- ``mae`` and ``mae_drift``: the artifact's own magnitude MAE against the truth (negatives
  count 0, as in the paper) and its distance to the reference's MAE;
- ``accuracy`` and ``reference_accuracy``: the decisions against the labels.

The gate fails an artifact whose flag agreement is below ``min_agreement`` (default 0.99)
or whose MAE drift exceeds ``max_mae_drift`` (default 0.05 mb).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from quakesat.files import atomic_output, write_text_atomic
from quakesat.runtime.decision import DecisionRule, decide
from quakesat.runtime.manifest import Manifest

DEFAULT_MIN_AGREEMENT = 0.99
DEFAULT_MAX_MAE_DRIFT = 0.05


@dataclass(frozen=True)
class GateLimits:
    """The gate's thresholds (``quakesat export --min-agreement/--max-mae-drift``)."""

    min_agreement: float = DEFAULT_MIN_AGREEMENT
    max_mae_drift: float = DEFAULT_MAX_MAE_DRIFT


def _abs_error(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    diff = np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))
    return {"max": round(float(diff.max()), 6), "mean": round(float(diff.mean()), 6)}


def compare(reference: dict[str, np.ndarray], candidate: dict[str, np.ndarray], labels: np.ndarray,
            magnitudes: np.ndarray, rule: DecisionRule) -> dict[str, Any]:
    """Fidelity numbers of ``candidate`` heads against ``reference`` heads on the same tiles."""
    ref = decide(reference, rule)
    got = decide(candidate, rule)
    labels = np.asarray(labels).astype(bool)
    report: dict[str, Any] = {
        "tiles": int(len(labels)),
        "flag_agreement": round(float(np.mean(ref.event == got.event)), 6),
        "flags_changed": int(np.count_nonzero(ref.event != got.event)),
        "accuracy": round(float(np.mean(got.event == labels)), 6),
        "reference_accuracy": round(float(np.mean(ref.event == labels)), 6),
    }
    for head in ("event", "magnitude", "location"):
        if head in reference and head in candidate:
            report[f"{head}_abs_error"] = _abs_error(reference[head], candidate[head])
    if "magnitude" in reference:
        truth = np.asarray(magnitudes, dtype=np.float64)
        mae = float(np.mean(np.abs(got.magnitude - truth)))
        reference_mae = float(np.mean(np.abs(ref.magnitude - truth)))
        report.update(mae=round(mae, 6), reference_mae=round(reference_mae, 6),
                      mae_drift=round(abs(mae - reference_mae), 6))
    return report


def gate_failures(fidelity: dict[str, Any], limits: GateLimits) -> list[str]:
    """Sentences naming each limit an artifact's fidelity breaks (empty: it passes)."""
    failures = []
    if fidelity["flag_agreement"] < limits.min_agreement:
        failures.append(f"flag agreement {fidelity['flag_agreement']:.4f} < {limits.min_agreement} "
                        f"({fidelity['flags_changed']} of {fidelity['tiles']} tiles decided differently)")
    if fidelity.get("mae_drift") is not None and fidelity["mae_drift"] > limits.max_mae_drift:
        failures.append(f"magnitude MAE drift {fidelity['mae_drift']:.4f} > {limits.max_mae_drift} mb")
    return failures


def write_report(path: str | Path, manifest: Manifest) -> None:
    """``fidelity.md``: one table row per artifact (fidelity, size, latency) and the gate."""
    fidelity, latency = manifest.report["fidelity"], manifest.report["latency"]
    reference_name = fidelity["reference"]
    rows = [
        f"# Fidelity of `{manifest.model.name}` (task {manifest.model.paper_task}) exports", "",
        f"Held-out tiles: {fidelity['tiles']} from split `{fidelity['split']}` of `{fidelity['data']}`; "
        f"reference: {reference_name} fp32. Gate: flag agreement >= {fidelity['limits']['min_agreement']}, "
        f"magnitude MAE drift <= {fidelity['limits']['max_mae_drift']} mb. Latency: median of single-tile runs at "
        f"{latency['threads']} thread(s), all measured in one run on this machine.", "",
        "| artifact | format | precision | bytes | flag agreement | event max / mean abs err | "
        "accuracy (ref) | MAE (ref) | MAE drift | ms / tile | gate |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for artifact in manifest.artifacts:
        f = artifact.fidelity or {}
        event = f.get("event_abs_error")
        event_text = f"{event['max']:.4f} / {event['mean']:.4f}" if event else "—"
        mae = f"{f['mae']:.3f} ({f['reference_mae']:.3f})" if "mae" in f else "—"
        drift = f"{f['mae_drift']:.4f}" if "mae_drift" in f else "—"
        gate = "pass" if artifact.passed_gate else "FAIL: " + "; ".join(artifact.gate_failures or ("not scored",))
        latency_ms = "—" if artifact.latency_ms is None else f"{artifact.latency_ms:.2f}"
        rows.append(f"| {artifact.name} | {artifact.format} | {artifact.precision} | {artifact.bytes:,} | "
                    f"{f.get('flag_agreement', float('nan')):.4f} | {event_text} | "
                    f"{f.get('accuracy', float('nan')):.3f} ({f.get('reference_accuracy', float('nan')):.3f}) | "
                    f"{mae} | {drift} | {latency_ms} | {gate} |")
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
