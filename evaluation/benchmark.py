"""``quakesat results``: the benchmark — baselines and networks, three seeds, the onboard metrics.

The protocol (docs/results.md, "Protocol"):

- every baseline of :mod:`quakesat.evaluation.baselines` is in every table;
- every choice is made on the validation split: the log-ratio rule's settings, a network's
  multilook (among a row's candidates, with the first seed), its epoch (early stopping on the
  validation ROC AUC of the non-identical pairs), every decision threshold for a false-alarm
  rate; test labels only count;
- three seeds per seeded model, reported as mean ± standard deviation;
- detection metrics on the hard tiles (events and the negatives that are not pixel-identical):
  ROC AUC, average precision, recall at 1 % and 0.1 % false alarms, hard-negative
  specificity, and the detection rate by magnitude and distance at the 1 % point; magnitude
  MAE on events beside the constant training-mean predictor, and the paper's MAE (negatives
  at 0) for comparison;
- for each network: its calibration (a temperature fitted on the validation hard tiles,
  :mod:`quakesat.evaluation.calibration`; expected calibration error on the test hard tiles
  before and after) and its location error (:mod:`quakesat.evaluation.location`: tile centre,
  change peak or location head, chosen on validation; median metres from the damage centroid
  on the test event tiles).

Writes ``results.json`` (everything, per seed), ``results.md`` (the tables), ``roc_pr.png``,
``detection_vs_magnitude_distance.png`` and ``reliability.png``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from quakesat.errors import ConfigError
from quakesat.evaluation.baselines import (
    DETECTOR_BASELINES,
    DISTANCE_EDGES_KM,
    MAGNITUDE_BASELINES,
    MAGNITUDE_EDGES,
    PairTable,
    fit_baselines,
    pair_table,
)
from quakesat.evaluation.calibration import calibration_report
from quakesat.evaluation.difficulty import VISIBLE_SHARE, visible_roc_auc
from quakesat.evaluation.insar_rows import (
    DEPTH_EDGES_KM,
    FRINGE_M,
    INSAR_BASELINES,
    MW_EDGES,
    InsarTable,
    insar_table,
)
from quakesat.evaluation.location import centre_pixels, head_pixels, location_block
from quakesat.evaluation.metrics import detection_report
from quakesat.evaluation.operating_point import (
    DEFAULT_RATES,
    curves,
    detection_by_bins,
    hard_mask,
    magnitude_skill,
    operating_points,
    seed_summary,
    threshold_for_false_alarm_rate,
)
from quakesat.files import write_text_atomic

#: Seeds of every seeded model (networks, forest, LightGBM).
SEEDS: tuple[int, ...] = (0, 1, 2)
#: Baselines whose fit draws nothing at random (scored once, not per seed).
DETERMINISTIC_BASELINES = frozenset({"identical-pair", "log-ratio", "lightgbm", "constant-mean", "lightgbm-regressor"})
#: A network's event decision on its own: probability >= 0.5.
NETWORK_DECISION = 0.5
#: The QuakeSet paper's numbers on the real file (Rege Cambrin & Garza 2024): MobileNetV2,
#: bitemporal detection accuracy and magnitude MAE with negatives at 0.
PAPER = {"model": "mobilenetv2 (paper, real file)", "accuracy": 0.947, "paper_mae": 0.546}


@dataclass(frozen=True)
class NetworkRow:
    """One network of the benchmark.

    Attributes:
        model: network name (``quakesat train --model``).
        task: ``multi`` (detection + magnitude + location) or ``detect``.
        downsample: multilook candidates; with more than one, the first seed trains each and
            the best validation score picks the one every seed then uses.
        epochs, lr: the recipe (AdamW, batch 16, cosine with warm-up; early stopping on validation).
        label: display name (default: model and task).
        hard_negative_weight: weight of the hardest-negative ranking term in the event loss
            (:func:`quakesat.models.train.hardest_negative_loss`; 0: cross-entropy only).
        input: ``bitemporal`` (the amplitude pair) or ``interferometric`` (the same-track pair
            formed into an interferogram; ``downsample`` is then its looks). An interferometric
            row runs only on files that carry same-track pairs (``quakesat simulate --slc``).
        augment: train with the interferogram's symmetries (:mod:`quakesat.models.augment`;
            interferometric rows only).
        inject: composed training pairs per epoch (:mod:`quakesat.models.inject`;
            interferometric rows only; 0: none).
    """

    model: str
    task: str = "multi"
    downsample: tuple[int, ...] = (4,)
    epochs: int = 12
    lr: float = 1e-3
    label: str = ""
    hard_negative_weight: float = 0.0
    input: str = "bitemporal"
    augment: bool = False
    inject: int = 0

    @property
    def name(self) -> str:
        """Display name of the row."""
        prefix = "insar-" if self.input == "interferometric" else ""
        return self.label or f"{prefix}{self.model}{'-multi' if self.task == 'multi' else ''}"


#: Row sets of ``quakesat results --preset``. ``default`` fits 2 CPU cores in the budget of
#: docs/results.md; ``ci`` is a smoke run for tiny files; ``full-resolution`` is for a GPU.
PRESETS: dict[str, tuple[NetworkRow, ...]] = {
    "default": (
        NetworkRow("quakelite", "multi", downsample=(2, 4)),
        # the onboard objective: the same recipe plus the hardest-negative ranking term, at the
        # multilook validation chose for the row above on the previous benchmark (cost: no re-choice)
        NetworkRow("quakelite", "multi", downsample=(2,), hard_negative_weight=1.0, label="quakelite-multi-hn"),
        NetworkRow("mobilenetv2", "detect", downsample=(8,)),
        # on the same-track pairs of the same patches (files simulated with --slc): looks
        # 4 (64 x 64 at 320 m) or 8 (32 x 32 at 640 m), chosen on validation; the fringe stem,
        # the interferogram's symmetries, 6,000 composed training pairs per epoch and 30
        # epochs, chosen on validation (docs/results.md)
        NetworkRow("quakelite", "multi", downsample=(4, 8), epochs=30, input="interferometric", augment=True,
                   inject=6000),
    ),
    "ci": (NetworkRow("quakelite", "multi", downsample=(1, 2), epochs=2),
           NetworkRow("quakelite", "multi", downsample=(8,), epochs=2, input="interferometric", augment=True)),
    "full-resolution": (
        NetworkRow("quakelite", "multi", downsample=(2,)),
        NetworkRow("mobilenetv2", "multi", downsample=(1,)),
    ),
}


# ─── networks ───────────────────────────────────────────────────────────────────────────
@dataclass
class _Scored:
    """A trained network's outputs on validation and test, in the pair table's order."""

    val_scores: np.ndarray
    test_scores: np.ndarray
    test_magnitudes: np.ndarray | None  # mb given an event (multi-head) or the regressed mb
    locations: dict[str, np.ndarray]  # split -> location head outputs (N x 2 half-tile offsets), if any
    summary: dict[str, Any]  # the model folder's config.json
    macs: int
    params: int
    ms_per_tile: float


def _order(table: PairTable, split: str, refs: Sequence[Any]) -> np.ndarray:
    """Positions of ``refs`` (a network dataset's samples) in the table's rows of ``split``."""
    rows = table.rows(split)
    where = {(table.event_id[i], table.patch[i], int(table.label[i])): k for k, i in enumerate(rows)}
    try:
        return np.array([where[(ref.event_id, ref.patch, int(ref.label))] for ref in refs])
    except KeyError as err:
        raise ConfigError(f"a {split} sample of the network is missing from the pair table: {err}") from None


def _score_network(data: Path, folder: Path, table: PairTable, shared: dict) -> _Scored:
    import torch

    from quakesat.data.quakeset import QuakeSetFile
    from quakesat.evaluation.timing import TIMED_TILES, median_ms_per_tile
    from quakesat.models.macs import count_macs, count_parameters
    from quakesat.models.torch_data import TorchQuakeSet, input_preprocessing
    from quakesat.models.train import load_network, predict

    net, config = load_network(folder)
    preprocess = input_preprocessing(config["preprocess"])
    scores, magnitudes, locations = {}, None, {}
    with QuakeSetFile(data) as qs:
        for split in ("validation", "test"):
            dataset = TorchQuakeSet(qs, config["paper_task"], split, preprocess, shared=shared)
            outputs = predict(net, dataset)
            place = _order(table, split, dataset.refs)
            event = np.zeros(len(place))
            event[place] = outputs["event"] if "event" in outputs else np.nan
            scores[split] = event
            if "location" in outputs:
                locations[split] = np.full((len(place), 2), np.nan)
                locations[split][place] = outputs["location"]
            if split == "test" and "magnitude" in outputs:
                magnitudes = np.zeros(len(place))
                magnitudes[place] = outputs.get("magnitude_given_event", outputs["magnitude"])
            if split == "test":
                tiles = [dataset[index][0][None] for index in range(min(TIMED_TILES, len(dataset)))]
        with torch.no_grad():
            ms = median_ms_per_tile(net, tiles)
    macs, _ = count_macs(net, tuple(config["input_shape"]))
    return _Scored(scores["validation"], scores["test"], magnitudes, locations, config, int(macs),
                   count_parameters(net), ms)


def _train_row(data: Path, out: Path, row: NetworkRow, seed: int, downsample: int, shared: dict, device: str,
               progress: bool) -> tuple[Path, dict[str, Any]]:
    from quakesat.models.train import TrainConfig, train

    folder = out / "models" / f"{row.name}-ml{downsample}-seed{seed}"
    config = TrainConfig(model=row.model, task=row.task, lr=row.lr, epochs=row.epochs, downsample=downsample,
                         seed=seed, device=device, keep_best=True, hard_negative_weight=row.hard_negative_weight,
                         input=row.input, augment=row.augment, inject=row.inject)
    return folder, train(data, folder, config, progress=progress, shared_cache=shared)


def _selection_score(summary: dict[str, Any]) -> float:
    scores = [h.get("validation_score") for h in summary["history"] if h.get("validation_score") is not None]
    return max(scores) if scores else float("-inf")


# ─── one model's blocks ─────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class _Truth:
    """The pair table's validation and test truth, in its row order."""

    val_labels: np.ndarray
    val_hard: np.ndarray
    labels: np.ndarray
    hard: np.ndarray
    magnitudes: np.ndarray
    distances: np.ndarray
    damaged: np.ndarray
    train_event_magnitudes: np.ndarray
    location: dict[str, dict[str, Any]]  # split -> truth, spacing, side, estimates (centre, change), visible

    @classmethod
    def of(cls, table: PairTable) -> _Truth:
        val, test, train = table.rows("validation"), table.rows("test"), table.rows("train")
        location = {}
        if table.location is not None:
            for split, rows in (("validation", val), ("test", test)):
                location[split] = {
                    "truth": table.location[rows], "spacing": table.pixel_spacing_m[rows], "side": table.side[rows],
                    "estimates": {"centre": centre_pixels(table.side[rows]), "change": table.change_peak[rows]},
                    "visible": np.nan_to_num(table.damaged_share[rows]) > VISIBLE_SHARE}
        return cls(table.label[val], hard_mask(table.label[val], table.identical[val]), table.label[test],
                   hard_mask(table.label[test], table.identical[test]), table.magnitude[test],
                   table.distance_km[test], table.damaged_share[test], table.magnitude[train][table.label[train] == 1],
                   location)


def _detection_block(truth: _Truth, val_scores: np.ndarray, test_scores: np.ndarray, decision: float,
                     rates: Sequence[float]) -> dict[str, Any]:
    points = operating_points(truth.val_labels, val_scores, truth.labels, test_scores, rates, truth.val_hard,
                              truth.hard, decision)
    at_first_rate = (test_scores >= points["points"][0]["threshold"]).astype(np.int64)
    decisions = (test_scores >= decision).astype(np.int64)
    return {
        "operating_points": points,
        "visible": visible_roc_auc(truth.labels, truth.hard, truth.damaged, test_scores),
        "curves": curves(truth.labels, test_scores, truth.hard),
        "test": detection_report(truth.labels, decisions),
        "test_hard": detection_report(truth.labels[truth.hard], decisions[truth.hard]),
        "by_bins": detection_by_bins(at_first_rate, truth.labels, truth.magnitudes, truth.distances,
                                     MAGNITUDE_EDGES, DISTANCE_EDGES_KM),
        "by_bins_rate": rates[0],
    }


def _network_seed(truth: _Truth, scored: _Scored, rates: Sequence[float]) -> dict[str, Any]:
    block: dict[str, Any] = {
        "downsample": scored.summary["train"]["downsample"], "selected_epoch": scored.summary["selected_epoch"],
        "train_seconds": scored.summary["seconds"], "macs": scored.macs, "params": scored.params,
        "ms_per_tile": scored.ms_per_tile, "input_shape": scored.summary["input_shape"],
    }
    if not np.isnan(scored.test_scores).all():
        block.update(_detection_block(truth, scored.val_scores, scored.test_scores, NETWORK_DECISION, rates))
        block["calibration"] = calibration_report(scored.val_scores[truth.val_hard], truth.val_labels[truth.val_hard],
                                                  scored.test_scores[truth.hard], truth.labels[truth.hard])
    if truth.location and scored.summary["train"].get("input") != "interferometric":
        # the damage centroid lies on the amplitude grid; an interferometric network is located
        # against its own truth (_insar_location)
        splits = {}
        for split, given in truth.location.items():
            estimates = dict(given["estimates"])
            if split in scored.locations:
                estimates["head"] = head_pixels(scored.locations[split], given["side"])
            splits[split] = {**given, "estimates": estimates}
        block["location"] = location_block(splits["validation"], splits["test"])
    if scored.test_magnitudes is not None:
        flagged = scored.test_scores >= NETWORK_DECISION if not np.isnan(scored.test_scores).all() \
            else scored.test_magnitudes >= 1.0
        block["magnitude_skill"] = magnitude_skill(truth.train_event_magnitudes, truth.labels, truth.magnitudes,
                                                   scored.test_magnitudes,
                                                   np.where(flagged, scored.test_magnitudes, 0.0))
    return block


def _baseline_seed(truth: _Truth, fitted: dict[str, Any], name: str, rates: Sequence[float]) -> dict[str, Any]:
    """A baseline's block in the networks' shape (its by-bins at the first rate's threshold)."""
    if name in fitted["magnitude"]:
        return {"magnitude_skill": fitted["magnitude"][name]["magnitude_skill"],
                "settings": fitted["magnitude"][name]["settings"]}
    detector = fitted["detectors"][name]
    scores = np.asarray(detector["scores"])
    threshold = detector["operating_points"]["points"][0]["threshold"]
    return {
        "operating_points": detector["operating_points"],
        "visible": visible_roc_auc(truth.labels, truth.hard, truth.damaged, scores),
        "curves": detector["curves"], "test": detector["test"],
        "test_hard": detector["test_hard"], "settings": detector["settings"],
        "by_bins": detection_by_bins((scores >= threshold).astype(np.int64), truth.labels, truth.magnitudes,
                                     truth.distances, MAGNITUDE_EDGES, DISTANCE_EDGES_KM),
        "by_bins_rate": rates[0],
    }


def _insar_rule_seed(truth: _Truth, table: PairTable, insar: InsarTable, name: str,
                     rates: Sequence[float]) -> dict[str, Any]:
    """An interferometric rule's block in the networks' shape: thresholds on the validation
    negatives, its own decision at the first rate's threshold; detection by Mw and depth."""
    val_scores = insar.scores[name][table.rows("validation")]
    test_scores = insar.scores[name][table.rows("test")]
    negatives = val_scores[truth.val_hard & (truth.val_labels == 0)]
    decision = threshold_for_false_alarm_rate(negatives, rates[0]) if negatives.size else float("inf")
    block = _detection_block(truth, val_scores, test_scores, decision, rates)
    block["settings"] = {"looks": insar.looks, "pixel_m": insar.pixel_m * insar.looks}
    if name == "insar-fringe":
        block["settings"]["window"] = insar.fringe_window  # chosen on validation (insar_rows)
    _add_mw_depth_bins(block, test_scores, truth, table, insar, rates)
    return block


def _add_mw_depth_bins(block: dict[str, Any], test_scores: np.ndarray, truth: _Truth, table: PairTable,
                       insar: InsarTable, rates: Sequence[float]) -> None:
    """Detection at the first rate's threshold (the block's) by the event's Mw and hypocentre
    depth, on the test events."""
    points = block.get("operating_points")
    if not points:
        return
    scores = test_scores
    threshold = points["points"][0]["threshold"]
    test = table.rows("test")
    flagged = (np.asarray(scores) >= threshold).astype(np.int64)
    mw = np.where(truth.labels == 1, insar.mw[test], 0.0)
    binned = detection_by_bins(flagged, truth.labels, np.nan_to_num(mw), insar.depth_km[test], MW_EDGES,
                               DEPTH_EDGES_KM)
    known_depth = [entry for entry in binned["distance_km"] if entry["bin"] != "unknown" or entry["n"]]
    block["by_mw_depth"] = {"mw": binned["magnitude"], "depth_km": known_depth, "rate": rates[0]}


def _insar_location(table: PairTable, insar: InsarTable, heads: dict[str, np.ndarray]) -> dict[str, Any]:
    """An interferometric network's location (head or tile centre, chosen on validation) against
    the surface projection of the rupture's centroid, in metres, on the event tiles whose tile
    holds it; "visible": tiles with a fringe or more of co-seismic motion."""
    splits = {}
    for split in ("validation", "test"):
        rows = table.rows(split)
        side = np.full(rows.size, insar.side_px)
        estimates = {"centre": centre_pixels(side)}
        if split in heads:
            estimates["head"] = head_pixels(heads[split], side)
        splits[split] = {"truth": insar.centroid_px[rows], "spacing": np.full(rows.size, insar.pixel_m),
                         "side": side, "estimates": estimates, "visible": insar.peak_los_m[rows] >= FRINGE_M}
    return location_block(splits["validation"], splits["test"])


def _peak_los_by_mw(table: PairTable, insar: InsarTable) -> list[dict[str, Any]]:
    """Median peak co-seismic LOS motion (cm) on the event tiles of each Mw bin, all splits."""
    events = table.label == 1
    edges = (-np.inf, *MW_EDGES, np.inf)
    out = []
    for low, high in zip(edges[:-1], edges[1:]):
        inside = events & (insar.mw >= low) & (insar.mw < high)
        out.append({"low": None if np.isinf(low) else low, "high": None if np.isinf(high) else high,
                    "n": int(inside.sum()),
                    "median_peak_los_cm": round(float(np.median(insar.peak_los_m[inside])) * 100, 2)
                    if inside.any() else None})
    return out


# ─── summaries ──────────────────────────────────────────────────────────────────────────
def _metric(block: dict[str, Any], path: tuple[Any, ...]) -> float | None:
    value: Any = block
    for key in path:
        if value is None:
            return None
        value = value[key] if isinstance(key, int) else value.get(key)
    return value


def summary_metrics(rates: Sequence[float]) -> dict[str, tuple[Any, ...]]:
    """Name → path into a seed block of every number the tables report."""
    metrics: dict[str, tuple[Any, ...]] = {
        "roc_auc": ("operating_points", "roc_auc"),
        "average_precision": ("operating_points", "average_precision"),
        "visible_roc_auc": ("visible", "roc_auc"),
        "hard_negative_specificity": ("operating_points", "hard_negative_specificity"),
        "accuracy": ("test", "accuracy"),
        "hard_accuracy": ("test_hard", "accuracy"),
    }
    for index, rate in enumerate(rates):
        metrics[f"recall@{rate:g}"] = ("operating_points", "points", index, "recall")
        metrics[f"far@{rate:g}"] = ("operating_points", "points", index, "false_alarm_rate")
    metrics.update({
        "ece_before": ("calibration", "test", "ece_before"),
        "ece_after": ("calibration", "test", "ece_after"),
        "temperature": ("calibration", "temperature"),
        "location_m": ("location", "chosen_test_median_m"),
        "location_visible_m": ("location", "chosen_visible_test_median_m"),
        "mae_events": ("magnitude_skill", "mae_events"),
        "mae_ratio": ("magnitude_skill", "ratio"),
        "paper_mae": ("magnitude_skill", "paper_mae"),
    })
    return metrics


def summarise(seeds: dict[int, dict[str, Any]], rates: Sequence[float]) -> dict[str, Any]:
    """Mean ± spread over seeds of every reported number (None where a seed lacks it)."""
    result = {}
    for name, path in summary_metrics(rates).items():
        values = [_metric(block, path) for block in seeds.values()]
        values = [v for v in values if v is not None]
        result[name] = seed_summary(values) if values else None
    return result


def _fmt(summary: dict[str, Any] | None, digits: int = 3) -> str:
    if summary is None:
        return "—"
    if summary["n"] == 1 or summary["std"] is None:
        return f"{summary['mean']:.{digits}f}"
    return f"{summary['mean']:.{digits}f} ± {summary['std']:.{digits}f}"


def markdown(result: dict[str, Any]) -> str:
    """The benchmark's tables (detection on the hard tiles, magnitude on events, the data)."""
    rates = result["rates"]
    rate_cols = " | ".join(f"recall @ {rate * 100:g} % FAR (test FAR)" for rate in rates)
    lines = [
        f"Data: `{Path(result['data']).name}` — {result['samples']['train']} / {result['samples']['validation']} / "
        f"{result['samples']['test']} bitemporal pairs (train / validation / test), "
        f"{result['hard_negatives']['validation']} / {result['hard_negatives']['test']} non-identical negatives in "
        f"validation / test; seeds {', '.join(map(str, result['seeds']))}; {result['seconds'] / 60:.1f} minutes.",
        "",
        "**Detection** (test split, hard tiles: events and non-identical negatives; thresholds chosen on validation)",
        "",
        f"| model | seeds | ROC AUC | ROC AUC, visibly damaged events | average precision | {rate_cols} |"
        " hard-negative specificity | accuracy (all) | MACs | ms/tile |",
        "|---|---|---|---|---|" + "---|" * len(rates) + "---|---|---|---|",
    ]
    for row in result["rows"]:
        if row["kind"] == "magnitude-baseline" or row["summary"].get("roc_auc") is None or _interferometric(row):
            continue
        s = row["summary"]
        recalls = " | ".join(f"{_fmt(s.get(f'recall@{rate:g}'))} ({_fmt(s.get(f'far@{rate:g}'))})" for rate in rates)
        macs = f"{row['macs']:,}" if row.get("macs") else "—"
        ms = f"{row['ms_per_tile']:.2f}" if row.get("ms_per_tile") else "—"
        lines.append(f"| {row['name']} | {row['seeds']} | {_fmt(s['roc_auc'])} | {_fmt(s.get('visible_roc_auc'))} | "
                     f"{_fmt(s['average_precision'])} | "
                     f"{recalls} | {_fmt(s['hard_negative_specificity'])} | {_fmt(s['accuracy'])} | {macs} | {ms} |")
    if result.get("insar"):
        lines += _insar_markdown(result)
    lines += ["", "**Magnitude** (test events; the constant is the training events' mean mb)", "",
              "| model | seeds | MAE on events (mb) | ratio to the constant | paper MAE (negatives at 0) |",
              "|---|---|---|---|---|"]
    for row in result["rows"]:
        s = row["summary"]
        if s.get("mae_events") is None:
            continue
        lines.append(f"| {row['name']} | {row['seeds']} | {_fmt(s['mae_events'])} | {_fmt(s['mae_ratio'])} | "
                     f"{_fmt(s['paper_mae'])} |")
    located = [row for row in result["rows"] if row["summary"].get("ece_after") or row["summary"].get("location_m")]
    if located:
        lines += ["", "**Calibration and location** (networks; temperature fitted on the validation hard tiles, "
                      "expected calibration error on the test hard tiles; location method chosen on validation, "
                      "median error in metres on the test event tiles from the damage centroid, or for the insar- "
                      "rows from the surface projection of the rupture's centroid)", "",
                  "| model | seeds | temperature | ECE before | ECE after | location method (first seed) | "
                  "location error, m | on visibly damaged tiles, m |", "|---|---|---|---|---|---|---|---|"]
        for row in located:
            s = row["summary"]
            first = row["per_seed"][str(result["seeds"][0])].get("location") or {}
            lines.append(f"| {row['name']} | {row['seeds']} | {_fmt(s.get('temperature'), 2)} | "
                         f"{_fmt(s.get('ece_before'))} | {_fmt(s.get('ece_after'))} | {first.get('chosen', '—')} | "
                         f"{_fmt(s.get('location_m'), 0)} | {_fmt(s.get('location_visible_m'), 0)} |")
        first = next((row["per_seed"][str(result["seeds"][0])]["location"] for row in located
                      if row["per_seed"][str(result["seeds"][0])].get("location")), None)
        if first:
            def metres(value: float | None) -> str:
                return "—" if value is None else f"{value:.0f} m"

            lines += ["", f"Without a network, on the same {first['test_tiles']} test event tiles with damage "
                          f"(in brackets: the {first['visible_test_tiles']} visibly damaged ones): the tile centre "
                          f"{metres(first['test_median_m'].get('centre'))} "
                          f"({metres(first['visible_test_median_m'].get('centre'))}), the change peak "
                          f"{metres(first['test_median_m'].get('change'))} "
                          f"({metres(first['visible_test_median_m'].get('change'))})."]
    lines += ["", f"*The paper on the real file: {PAPER['model']}, accuracy {PAPER['accuracy']}, MAE "
              f"{PAPER['paper_mae']} mb with negatives at 0 (about 68 % of its negatives are identical pairs).*"]
    notes = result.get("notes") or []
    if notes:
        lines += [""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def _interferometric(row: dict[str, Any]) -> bool:
    """A row judged on the same-track pairs (an interferometric rule or network)."""
    return row["kind"] == "insar-baseline" or (row.get("row") or {}).get("input") == "interferometric"


def _bin_header(edges: Sequence[float], unit: str) -> list[str]:
    labels = [f"< {edges[0]:g}{unit}"]
    labels += [f"{low:g}–{high:g}{unit}" for low, high in zip(edges[:-1], edges[1:])]
    return labels + [f">= {edges[-1]:g}{unit}"]


def _rate_cells(entries: list[dict[str, Any]]) -> str:
    return " | ".join("—" if not e["n"] else f"{e['detected']}/{e['n']}" for e in entries)


def _insar_markdown(result: dict[str, Any]) -> list[str]:
    """The interferometric section: the same hard test tiles, on their same-track pairs, beside
    the amplitude rows' best; then detection by Mw and depth, and the published signals."""
    from quakesat.evaluation.insar_rows import PUBLISHED_SIGNALS

    insar, rates = result["insar"], result["rates"]
    first = str(result["seeds"][0])
    rate_cols = " | ".join(f"recall @ {rate * 100:g} % FAR (test FAR)" for rate in rates)
    lines = ["", f"**Interferometric detection** (the same hard test tiles, judged on their same-track pair "
                 f"instead of their amplitude pair: {insar['looks']} x {insar['looks']} looks, "
                 f"{insar['grid_px']} x {insar['grid_px']} cells of {insar['pixel_m'] * insar['looks']:.0f} m; "
                 "thresholds chosen on validation; the fringe rule averages its phase steps over "
                 f"{insar.get('fringe_window', 4)} x {insar.get('fringe_window', 4)} cells, the window validation chose; "
                 "the oracle knows the true displacement field: the ceiling, not a detector)", "",
             f"| model | input | seeds | ROC AUC | average precision | {rate_cols} | MACs | ms/tile |",
             "|---|---|---|---|---|" + "---|" * len(rates) + "---|---|"]
    order = {"insar-oracle": 0}
    chosen = [row for row in result["rows"] if _interferometric(row) and row["summary"].get("roc_auc")]
    chosen.sort(key=lambda row: order.get(row["name"], 1 if row["kind"] == "network" else 2))
    amplitude = [row for row in result["rows"] if not _interferometric(row) and row["summary"].get("roc_auc")
                 and row["name"] != "identical-pair"]
    best = max(amplitude, key=lambda row: row["summary"]["roc_auc"]["mean"], default=None)
    log_ratio = next((row for row in amplitude if row["name"] == "log-ratio"), None)
    extra = [row for row in (log_ratio, best) if row is not None]
    for row in chosen + _unique(extra):
        s = row["summary"]
        kind = "amplitude" if not _interferometric(row) else "same-track"
        name = row["name"] + (" (ceiling)" if row["name"] == "insar-oracle" else "")
        recalls = " | ".join(f"{_fmt(s.get(f'recall@{rate:g}'))} ({_fmt(s.get(f'far@{rate:g}'))})" for rate in rates)
        macs = f"{row['macs']:,}" if row.get("macs") else "—"
        ms = f"{row['ms_per_tile']:.2f}" if row.get("ms_per_tile") else "—"
        lines.append(f"| {name} | {kind} | {row['seeds']} | {_fmt(s['roc_auc'])} | {_fmt(s['average_precision'])} | "
                     f"{recalls} | {macs} | {ms} |")
    for row in chosen:
        block = row["per_seed"][first].get("location") if row["kind"] == "network" else None
        if not block or block.get("chosen_test_median_m") is None:
            continue
        medians = block["test_median_m"]
        centre = medians.get("centre")
        lines += ["", f"{row['name']} locates with its {block['chosen']} (chosen on validation, first seed): median "
                      f"error {block['chosen_test_median_m']:.0f} m from the surface projection of the rupture's "
                      f"centroid over {block['test_tiles']} test event tiles that hold it "
                      f"({_metres(block['chosen_visible_test_median_m'])} over the {block['visible_test_tiles']} with "
                      f"a fringe or more); the tile centre: {_metres(centre)}. Over seeds: "
                      f"{_fmt(row['summary'].get('location_m'), 0)} m."]
    binned = [row for row in chosen if row["per_seed"][first].get("by_mw_depth")]
    if binned:
        rate = binned[0]["per_seed"][first]["by_mw_depth"]["rate"]
        for key, edges, unit, title in (("mw", insar["mw_edges"], "", "Mw"),
                                        ("depth_km", insar["depth_edges_km"], " km", "hypocentre depth")):
            header = _bin_header(edges, unit)
            lines += ["", f"Test events detected at the {rate * 100:g} % false-alarm threshold, by {title} "
                          f"(first seed; detected / events):", "",
                      f"| model | {' | '.join(header)} |", "|---|" + "---|" * len(header)]
            for row in binned:
                lines.append(f"| {row['name']} | {_rate_cells(row['per_seed'][first]['by_mw_depth'][key])} |")
    peaks = insar.get("peak_los_cm_by_mw") or []
    if peaks:
        header = _bin_header(insar["mw_edges"], "")
        published = []
        for entry in peaks:
            low = -np.inf if entry["low"] is None else entry["low"]
            high = np.inf if entry["high"] is None else entry["high"]
            inside = [f"{name} Mw {mw:g}: {cm:g} cm ({source})" for name, mw, cm, source in PUBLISHED_SIGNALS
                      if low <= mw < high]
            published.append("; ".join(inside) or "—")
        lines += ["", "Peak co-seismic line-of-sight motion on the event tiles (simulated median, all splits) "
                      "beside published Sentinel-1 co-seismic signals of that size:", "",
                  f"| | {' | '.join(header)} |", "|---|" + "---|" * len(header),
                  "| simulated median peak LOS | " + " | ".join(
                      "—" if e["median_peak_los_cm"] is None else f"{e['median_peak_los_cm']:g} cm (n={e['n']})"
                      for e in peaks) + " |",
                  "| published | " + " | ".join(published) + " |"]
    return lines


def _metres(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} m"


def _unique(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, out = set(), []
    for row in rows:
        if row["name"] not in seen:
            seen.add(row["name"])
            out.append(row)
    return out


def _notes(result: dict[str, Any]) -> list[str]:
    notes = []
    visible = next((block["visible"] for row in result["rows"] for block in row["per_seed"].values()
                    if block.get("visible")), None)
    if visible:
        notes.append(f"'Visibly damaged events': the {visible['events']} test events with more than "
                     f"{VISIBLE_SHARE * 100:g} % of the tile changed (simulator ground truth), against the "
                     f"{visible['negatives']} non-identical test negatives: where physics left something to detect.")
    for rate in result["rates"]:
        needed = int(np.ceil(1.0 / rate))
        if min(result["hard_negatives"].values()) < needed:
            notes.append(f"{rate * 100:g} % false alarms needs {needed} non-identical negatives per split to be "
                         f"measured; this file has {result['hard_negatives']['validation']} / "
                         f"{result['hard_negatives']['test']}: its threshold is the highest validation negative's "
                         "score, and the test rate counts single tiles.")
    for row in result["rows"]:
        if row.get("selection"):
            notes.append(f"{row['name']}: multilook {row['selection']['chosen']} chosen on validation "
                         f"(scores {row['selection']['scores']}).")
    return notes


def _plots(result: dict[str, Any], out: Path) -> list[str]:
    from quakesat.evaluation.plots import plot_detection_vs_magnitude_distance, plot_reliability, plot_roc_pr

    first = result["seeds"][0]
    detectors = [row for row in result["rows"] if row["per_seed"].get(str(first), {}).get("curves")]
    rows = [{"name": row["name"], "curves": row["per_seed"][str(first)]["curves"]} for row in detectors]
    bins = {row["name"]: row["per_seed"][str(first)]["by_bins"] for row in detectors
            if row["name"] != "identical-pair"}
    written = [plot_roc_pr(rows, out / "roc_pr.png")]
    written.append(plot_detection_vs_magnitude_distance(bins, out / "detection_vs_magnitude_distance.png"))
    calibrated = {row["name"]: row["per_seed"][str(first)]["calibration"] for row in detectors
                  if row["per_seed"][str(first)].get("calibration")}
    if calibrated:
        written.append(plot_reliability(calibrated, out / "reliability.png"))
    return [str(path) for path in written]


# ─── the run ────────────────────────────────────────────────────────────────────────────
def run_benchmark(data: str | Path, out: str | Path, rows: Sequence[NetworkRow] = PRESETS["default"],
                  seeds: Sequence[int] = SEEDS, rates: Sequence[float] = DEFAULT_RATES, progress: bool = False,
                  device: str = "cpu", table: PairTable | None = None) -> dict[str, Any]:
    """Run the benchmark on ``data`` and write its outputs into ``out``.

    Args:
        data: an ``earthquakes.h5``.
        out: output folder (model folders under ``models/``).
        rows: the networks (:data:`PRESETS`).
        seeds: seeds of every seeded model.
        rates: false-alarm rates of the operating points.
        progress: progress bars and one line per finished model.
        device: where networks train (scoring runs on the CPU).
        table: the file's pair table when already computed.

    Returns:
        The content of ``results.json``.

    Raises:
        ConfigError: no seeds, or the file's splits lack what the protocol needs.
    """
    if not seeds:
        raise ConfigError("the benchmark needs at least one seed")
    data, out = Path(data), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    table = table or pair_table(data, progress=progress)
    truth = _Truth.of(table)
    fitted = {seed: fit_baselines(table, seed=seed, rates=rates) for seed in seeds}
    result_rows: list[dict[str, Any]] = []
    for name in (*DETECTOR_BASELINES, *MAGNITUDE_BASELINES):
        # The rules, the constant and LightGBM (no bagging, no feature sampling) draw nothing at
        # random: one seed is all of them; the forest is seeded.
        deterministic = name in DETERMINISTIC_BASELINES
        used = seeds[:1] if deterministic else seeds
        per_seed = {str(seed): _baseline_seed(truth, fitted[seed], name, rates) for seed in used}
        kind = "magnitude-baseline" if name in MAGNITUDE_BASELINES else "baseline"
        result_rows.append({"name": name, "kind": kind, "seeds": len(used), "per_seed": per_seed,
                            "summary": summarise({int(k): v for k, v in per_seed.items()}, rates)})
        if progress:
            print(f"   {name}: done", flush=True)
    insar = insar_table(data, table)
    if insar is None and any(row.input == "interferometric" for row in rows):
        skipped = [row.name for row in rows if row.input == "interferometric"]
        rows = [row for row in rows if row.input != "interferometric"]
        insar_note = (f"{', '.join(skipped)}: not run, the file's pairs carry no same-track complex images "
                      "(simulate with --slc for the interferometric rows).")
    else:
        insar_note = None
    if insar is not None:
        for name in INSAR_BASELINES:
            per_seed = {str(seeds[0]): _insar_rule_seed(truth, table, insar, name, rates)}
            result_rows.append({"name": name, "kind": "insar-baseline", "seeds": 1, "per_seed": per_seed,
                                "summary": summarise({seeds[0]: per_seed[str(seeds[0])]}, rates)})
            if progress:
                print(f"   {name}: done", flush=True)
    shared: dict = {}
    for row in rows:
        selection = None
        candidates = tuple(row.downsample)
        trained: dict[int, Path] = {}
        if len(candidates) > 1:
            scores = {}
            for downsample in candidates:
                folder, summary = _train_row(data, out, row, seeds[0], downsample, shared, device, progress)
                scores[downsample] = round(_selection_score(summary), 4)
                trained[downsample] = folder
            chosen = max(candidates, key=lambda d: scores[d])
            selection = {"candidates": list(candidates), "scores": scores, "chosen": chosen, "seed": seeds[0],
                         "by": "best validation score of the first seed"}
        else:
            chosen = candidates[0]
        per_seed = {}
        for seed in seeds:
            if seed == seeds[0] and chosen in trained:
                folder = trained[chosen]
            else:
                folder, _ = _train_row(data, out, row, seed, chosen, shared, device, progress)
            scored = _score_network(data, folder, table, shared)
            block = _network_seed(truth, scored, rates)
            if insar is not None and row.input == "interferometric":
                _add_mw_depth_bins(block, scored.test_scores, truth, table, insar, rates)
                if scored.locations:
                    block["location"] = _insar_location(table, insar, scored.locations)
            per_seed[str(seed)] = block
        first = per_seed[str(seeds[0])]
        result_rows.append({"name": row.name, "kind": "network", "seeds": len(seeds), "row": asdict(row),
                            "selection": selection, "macs": first["macs"], "params": first["params"],
                            "ms_per_tile": first["ms_per_tile"], "per_seed": per_seed,
                            "summary": summarise({int(k): v for k, v in per_seed.items()}, rates)})
        if progress:
            print(f"   {row.name}: done", flush=True)
    result: dict[str, Any] = {
        "data": str(data), "seeds": list(seeds), "rates": [float(r) for r in rates],
        "samples": {split: int(table.rows(split).size) for split in ("train", "validation", "test")},
        "hard_negatives": {"validation": int((truth.val_hard & (truth.val_labels == 0)).sum()),
                           "test": int((truth.hard & (truth.labels == 0)).sum())},
        "rows": result_rows, "paper": PAPER,
    }
    if insar is not None:
        result["insar"] = {"looks": insar.looks, "pixel_m": insar.pixel_m, "grid_px": insar.grid_px,
                           "fringe_window": insar.fringe_window,
                           "seconds": round(insar.seconds, 1), "mw_edges": list(MW_EDGES),
                           "depth_edges_km": list(DEPTH_EDGES_KM),
                           "peak_los_cm_by_mw": _peak_los_by_mw(table, insar)}
    result["notes"] = _notes(result) + ([insar_note] if insar_note else [])
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["plots"] = _plots(result, out)
    write_text_atomic(out / "results.json", json.dumps(result, indent=1))
    write_text_atomic(out / "results.md", markdown(result))
    return result


def reference_macs() -> dict[str, int]:
    """MACs of each network at the paper's 512 x 512 input and at the benchmark's 128 x 128."""
    from quakesat.models.macs import count_macs
    from quakesat.models.networks import NetSpec, build_network

    result = {}
    for name in ("mobilenetv2", "quakelite"):
        for side in (512, 128):
            macs, _ = count_macs(build_network(name, NetSpec(in_channels=4)), (4, side, side))
            result[f"{name}@{side}"] = int(macs)
    return result
