"""``quakesat results``: train every model on one file, score it on the test split, write tables.

Rows follow the QuakeSet paper's Tables 2–5 (tasks 1, 2, 5, 6): the shallow models (PCA +
SVC/SVR with RBF and cubic kernels, PCA + RandomForest, and our RandomForest without the
PCA), MobileNetV2, and quakesat's multi-head and low-resource networks. Writes
``results.json`` (one object per row), ``results.md`` and ``accuracy_vs_macs.png``.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from quakesat.data.quakeset import QuakeSetFile, Task
from quakesat.files import atomic_output, write_text_atomic

#: Numbers the paper reports for the rows we also run (Rege Cambrin & Garza 2024, Tables 2-5).
PAPER_NUMBERS: dict[tuple[str, int], dict[str, float]] = {
    ("mobilenetv2", 1): {"accuracy": 0.947},
    ("mobilenetv2", 2): {"mae": 0.546},
    ("random-forest", 1): {"accuracy": 0.72},
}


@dataclass(frozen=True)
class CnnRow:
    """One network training run of the benchmark."""

    model: str
    task: str  # detect | magnitude | multi
    input: str = "bitemporal"
    downsample: int = 4
    lr: float = 1e-3
    epochs: int = 12
    seed: int = 0
    label: str = ""

    @property
    def name(self) -> str:
        """Display name of the row."""
        return self.label or f"{self.model}{'-multi' if self.task == 'multi' else ''}"


#: The paper's CNN recipe (AdamW, lr 1e-4, 6 epochs); the benchmark's rows use one tuned
#: recipe (lr 1e-3, 12 epochs, everything else the paper's) because the paper's recipe
#: under-trains on a dataset this small (docs/results.md, "Recipe").
PAPER_RECIPE = {"lr": 1e-4, "epochs": 6}

#: The default benchmark's networks, all at 128 x 128 (multilook 4; QuakeLite's own default
#: is 2): one epoch of MobileNetV2 at 512 x 512 takes longer than the whole benchmark's share
#: on 2 CPU cores (docs/results.md, "Cost"). The ``full-resolution`` preset trains it at
#: 512 x 512, and QuakeLite at 256 x 256, where a GPU is at hand.
DEFAULT_CNN_ROWS: tuple[CnnRow, ...] = (
    CnnRow("mobilenetv2", "detect"),
    CnnRow("mobilenetv2", "magnitude"),
    CnnRow("mobilenetv2", "detect", input="single"),
    CnnRow("mobilenetv2", "magnitude", input="single"),
    CnnRow("mobilenetv2", "multi"),
    CnnRow("quakelite", "detect"),
    CnnRow("quakelite", "magnitude"),
    CnnRow("quakelite", "detect", input="single"),
    CnnRow("quakelite", "magnitude", input="single"),
    CnnRow("quakelite", "multi"),
    CnnRow("mobilenetv2", "detect", **PAPER_RECIPE, label="mobilenetv2 (paper recipe)"),
    CnnRow("quakelite", "detect", **PAPER_RECIPE, label="quakelite (paper recipe)"),
)

#: Issue #3's target: QuakeLite (input multilooked 2x to 256 x 256, its default) against
#: MobileNetV2 at the paper's full 512 x 512, same data and recipe, three seeds each (the
#: test split has ~100 tiles, so one run's accuracy moves by a few points with the seed).
#: For a GPU; docs/results.md gives the numbers and the command.
FULL_RESOLUTION_ROWS: tuple[CnnRow, ...] = tuple(
    row
    for seed in (0, 1, 2)
    for row in (
        CnnRow("mobilenetv2", "detect", downsample=1, seed=seed, label=f"mobilenetv2@512 seed {seed}"),
        CnnRow("quakelite", "detect", downsample=2, seed=seed, label=f"quakelite@256 seed {seed}"),
        CnnRow("quakelite", "multi", downsample=2, seed=seed, label=f"quakelite-multi@256 seed {seed}"),
    )
) + (CnnRow("mobilenetv2", "detect", downsample=1, **PAPER_RECIPE, label="mobilenetv2@512 (paper recipe)"),
     CnnRow("mobilenetv2", "multi", downsample=1, label="mobilenetv2-multi@512"))

#: Row sets ``quakesat results --preset`` runs.
PRESETS: dict[str, tuple[CnnRow, ...]] = {"default": DEFAULT_CNN_ROWS, "full-resolution": FULL_RESOLUTION_ROWS}


@dataclass
class ResultRow:
    """One line of ``results.json``."""

    model: str
    task: int
    family: str
    accuracy: float | None
    mae: float | None
    magnitude_accuracy: float | None
    macs: int | None
    params: int | None
    ms_per_tile: float | None
    train_seconds: float
    recipe: dict[str, Any] = field(default_factory=dict)
    paper: dict[str, float] | None = None


def _shallow_rows(data: Path, out: Path, progress: bool) -> list[ResultRow]:
    from quakesat.evaluation.metrics import detection_report, magnitude_report
    from quakesat.evaluation.timing import median_ms_per_tile
    from quakesat.models.shallow import (
        build_shallow,
        load_shallow_data,
        predict_shallow,
        shallow_models,
        single_threaded,
    )

    rows = []
    with QuakeSetFile(data) as qs:
        for task in (Task(1), Task(2), Task(5), Task(6)):
            train = load_shallow_data(qs, task, "train", progress=progress)
            test = load_shallow_data(qs, task, "test", config=train.config, progress=progress)
            for name in shallow_models(task.is_regression):
                started = time.perf_counter()
                pipeline = build_shallow(name, task.is_regression, *train.features.shape)
                pipeline.fit(train.features, train.targets(task.is_regression))
                seconds = time.perf_counter() - started
                predictions = predict_shallow(pipeline, test.features)
                single_threaded(pipeline)
                ms = median_ms_per_tile(lambda row: predict_shallow(pipeline, row[None]), test.features)
                if task.is_regression:
                    report = magnitude_report(test.labels, test.magnitudes, predictions)
                    accuracy, mae, mag_acc = report["magnitude_accuracy"], report["mae"], report["magnitude_accuracy"]
                else:
                    accuracy, mae, mag_acc = detection_report(test.labels, predictions)["accuracy"], None, None
                rows.append(ResultRow(name, int(task), "shallow", accuracy, mae, mag_acc, None, None, ms,
                                      round(seconds, 1), {"features": int(train.features.shape[1])},
                                      PAPER_NUMBERS.get((name, int(task)))))
                print(f"   {name:22s} task {int(task)}  acc {accuracy}  mae {mae}  ({seconds:.1f} s)", flush=True)
    return rows


def _cnn_rows(data: Path, out: Path, rows: tuple[CnnRow, ...], progress: bool, device: str) -> list[ResultRow]:
    from quakesat.evaluation.evaluate import evaluate
    from quakesat.models.train import TrainConfig, train

    results = []
    for index, row in enumerate(rows):
        folder = out / "models" / f"{index:02d}-{row.model}-{row.task}-{row.input}"
        config = TrainConfig(model=row.model, task=row.task, input=row.input, lr=row.lr, epochs=row.epochs,
                             downsample=row.downsample, seed=row.seed, device=device)
        summary = train(data, folder, config, progress=progress)
        scored = evaluate(data, folder, "test")
        tasks = [int(config.paper_task)] + ([2] if row.task == "multi" else [])
        for task in tasks:
            detection, magnitude = scored.get("detection"), scored.get("magnitude")
            if task in (1, 5):
                accuracy, mae, mag_acc = detection["accuracy"], None, None
            else:
                accuracy, mae, mag_acc = magnitude["magnitude_accuracy"], magnitude["mae"], magnitude["magnitude_accuracy"]
            results.append(ResultRow(row.name, task, "cnn", accuracy, mae, mag_acc, scored["macs"], scored["params"],
                                     scored["ms_per_tile"], summary["seconds"],
                                     {**{k: v for k, v in asdict(row).items() if k != "label"},
                                      "input_shape": scored["input_shape"]},
                                     PAPER_NUMBERS.get((row.model, task)) if row.task != "multi" and not row.label else None))
            print(f"   {row.name:22s} task {task}  acc {accuracy}  mae {mae}  ({summary['seconds']} s)", flush=True)
    return results


def _markdown(rows: list[ResultRow], data: Path, seconds: float) -> str:
    titles = {1: "Task 1 — bitemporal detection", 2: "Task 2 — bitemporal magnitude",
              5: "Task 5 — single-image detection", 6: "Task 6 — single-image magnitude"}
    lines = [f"Data: `{data}`; test split; {seconds / 60:.1f} minutes in total on this machine.", ""]

    def fmt(value: Any, digits: int = 3) -> str:
        return "—" if value is None else (f"{value:.{digits}f}" if isinstance(value, float) else f"{value:,}")

    for task, title in titles.items():
        lines += [f"### {title}", "", "| model | accuracy | MAE | MACs | params | ms/tile | train s | paper |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in (r for r in rows if r.task == task):
            paper = ", ".join(f"{k} {v}" for k, v in (r.paper or {}).items()) or "—"
            lines.append(f"| {r.model} | {fmt(r.accuracy)} | {fmt(r.mae)} | {fmt(r.macs)} | {fmt(r.params)} | "
                         f"{fmt(r.ms_per_tile, 2)} | {fmt(r.train_seconds, 1)} | {paper} |")
        lines.append("")
    return "\n".join(lines)


def _plot(rows: list[ResultRow], path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.5))
    ax = fig.add_subplot()
    for r in rows:
        if r.task == 1 and r.macs:
            ax.scatter(r.macs / 1e6, r.accuracy)
            ax.annotate(r.model, (r.macs / 1e6, r.accuracy), fontsize=7, xytext=(3, 3), textcoords="offset points")
    for r in rows:
        if r.task == 1 and r.family == "shallow":
            ax.axhline(r.accuracy, lw=0.6, ls=":", color="grey")
    ax.set_xscale("log")
    ax.set_xlabel("MACs per tile (millions, log scale)")
    ax.set_ylabel("task 1 test accuracy")
    ax.set_title("Bitemporal detection: accuracy vs cost (dotted: shallow models)")
    fig.tight_layout()
    with atomic_output(path) as partial:
        fig.savefig(partial, format="png", dpi=110)


def run_results(data: str | Path, out: str | Path, cnn_rows: tuple[CnnRow, ...] = DEFAULT_CNN_ROWS,
                shallow: bool = True, progress: bool = False, device: str = "cpu") -> list[dict[str, Any]]:
    """Train and score every row; write ``results.json``, ``results_tables.md`` and
    ``accuracy_vs_macs.png`` into ``out``. ``device`` is where networks train (scoring
    and the time per tile are always on the CPU).

    Returns:
        The rows as dicts (the content of ``results.json``).
    """
    data, out = Path(data), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rows: list[ResultRow] = []
    if shallow:
        rows += _shallow_rows(data, out, progress)
    rows += _cnn_rows(data, out, cnn_rows, progress, device)
    seconds = time.perf_counter() - started
    dicts = [asdict(r) for r in rows]
    write_text_atomic(out / "results.json", json.dumps(dicts, indent=2))
    write_text_atomic(out / "results_tables.md", _markdown(rows, data, seconds))
    _plot(rows, out / "accuracy_vs_macs.png")
    return dicts


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


