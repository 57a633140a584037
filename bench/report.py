"""``bench.json`` for people: a Markdown table and plots (stage breakdown per artifact; accuracy
at the onboard operating point against latency and against energy)."""

from __future__ import annotations

from pathlib import Path

STAGE_ORDER = ("read", "check", "gate", "preprocess", "infer", "decide", "locate", "encode")


def _mb(value: object) -> str:
    return f"{value / 1e6:.1f}" if isinstance(value, (int, float)) else "–"


def _num(value: object, digits: int = 2) -> str:
    return f"{value:.{digits}f}" if isinstance(value, (int, float)) else "–"


def markdown(result: dict) -> str:
    """The benchmark as Markdown: the seed line, one row per artifact x runtime x threads."""
    seed = result.get("seed_equivalent") or {}
    seed_latency = seed.get("latency") or {}
    same_track = result.get("tile_kind") == "same_track"
    lines = [f"Tiles: {result['tile_side']} x {result['tile_side']} {'same-track complex ' if same_track else ''}pairs "
             f"from `{Path(result['tiles']).name}`"
             + (", formed into an interferogram on board" if same_track else "")
             + f", gate off, preprocessing version {result['preprocess_version']}; "
             f"at least {result['policy']['min_runs']} runs and {result['policy']['min_seconds']} s per row "
             f"on {result['machine']['processor']} ({result['machine']['cpu_count']} cores).",
             "",
             f"Seed-equivalent ({seed.get('model', 'MobileNetV2-1.0')}): "
             + (f"p50 {seed_latency['p50_ms']:.1f} ms, {seed.get('macs', 0) / 1e6:.0f} M MACs, "
                f"{seed.get('parameters', 0) / 1e6:.2f} M parameters." if seed_latency else seed.get("note", "not run"))
             + (f" Measured again at the end of the run: p50 {seed['latency_end']['p50_ms']:.1f} ms "
                f"({100 * seed['drift']:+.0f} %, this machine's drift); the ratios use the mean, "
                f"{seed['p50_ms_mean']:.1f} ms." if seed.get("latency_end") else ""),
             "",
             "| artifact | runtime | threads | p50 ms | p90 ms | p99 ms | tiles/s | × seed | preprocess ms | infer ms "
             "| peak RSS MB | model kB | M MACs | accuracy | A53 M instr | A53 mJ/tile (est.) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in result["rows"]:
        latency = row.get("latency") or {}
        if "error" in row:
            lines.append(f"| {row['artifact']} | {row['runtime']} | {row.get('threads', '')} | {row['error']} "
                         "| | | | | | | | | | | | |")
            continue
        stages = row.get("stage_ms", {})
        instructions = row.get("instructions_per_tile", {}).get("cortex-a53")
        a53 = next((e for e in row.get("energy_estimates", []) if e.get("board_id", "").endswith("a53")), None)
        lines.append("| " + " | ".join([
            row["artifact"], row["runtime"], str(row["threads"]), _num(latency.get("p50_ms")),
            _num(latency.get("p90_ms")), _num(latency.get("p99_ms")), _num(latency.get("tiles_per_s"), 0),
            _num(row.get("speedup_vs_seed"), 1), _num(stages.get("preprocess")), _num(stages.get("infer")),
            _mb(row.get("rss_peak_bytes")), _num((row.get("model_bytes") or 0) / 1e3, 0),
            _num((row.get("macs") or 0) / 1e6, 1), _num(row.get("accuracy_at_operating_point"), 3),
            _num(instructions / 1e6, 1) if isinstance(instructions, int) else "–",
            _num(1e3 * a53["joules_per_tile"], 1) if a53 else "–"]) + " |")
    extras = _extras(result)
    return "\n".join(lines + _target_lines(result) + extras) + "\n"


def targets(result: dict) -> list[dict]:
    """The flight path's targets against this run, on the manifest's default artifacts at one
    thread: each with the measured figure and whether it is met (None: not measured here)."""
    from quakesat.bench.suite import TARGETS

    defaults = result.get("default_artifacts") or _manifest_defaults(result.get("artifacts"))

    def row(runtime: str) -> dict | None:
        return next((r for r in result["rows"] if r.get("runtime") == runtime and r.get("threads") == 1
                     and r["artifact"] == defaults.get(runtime) and "latency" in r), None)

    cpp, python = row("cpp"), row("python")
    counts = (cpp or {}).get("instructions_per_tile") or {}
    a53 = counts.get("cortex-a53")
    stages = counts.get("x86-64 stages") if isinstance(counts.get("x86-64 stages"), dict) else {}
    checks = stages.get("checks + preprocess", 0) + stages.get("checks (version 1)", 0) if stages else None
    a53_stages = counts.get("cortex-a53 stages") if isinstance(counts.get("cortex-a53 stages"), dict) else {}
    a53_split = list(a53_stages.values()) if len(a53_stages) == 2 else None  # [checks + preprocess, the rest]
    out = [
        {"target": f"C++ runner end to end >= {TARGETS['cpp_speedup']:.0f}x the seed-equivalent",
         "artifact": defaults.get("cpp"), "measured": (cpp or {}).get("speedup_vs_seed"),
         "met": None if not cpp or "speedup_vs_seed" not in cpp else cpp["speedup_vs_seed"] >= TARGETS["cpp_speedup"]},
        {"target": f"Python runtime >= {TARGETS['python_speedup']:.0f}x the seed-equivalent",
         "artifact": defaults.get("python"), "measured": (python or {}).get("speedup_vs_seed"),
         "met": None if not python or "speedup_vs_seed" not in python
         else python["speedup_vs_seed"] >= TARGETS["python_speedup"]},
        {"target": f"<= {TARGETS['a53_instructions'] / 1e6:.0f} M instructions per tile on a Cortex-A53",
         "artifact": defaults.get("cpp"), "measured": a53 if isinstance(a53, int) else None,
         "met": a53 <= TARGETS["a53_instructions"] if isinstance(a53, int) else None},
        {"target": "checks + preprocessing no more instructions than the network (x86-64)",
         "artifact": defaults.get("cpp"), "measured": [checks, stages.get("infer")] if stages else None,
         "met": checks <= stages["infer"] if stages else None},
        {"target": "checks + preprocessing no more instructions than the rest of the tile (Cortex-A53)",
         "artifact": defaults.get("cpp"), "measured": a53_split,
         "met": a53_split[0] <= a53_split[1] if a53_split else None},
        {"target": f"C++ peak RSS <= {TARGETS['cpp_peak_rss_bytes'] / 2**20:.0f} MiB",
         "artifact": defaults.get("cpp"), "measured": (cpp or {}).get("rss_peak_bytes"),
         "met": cpp["rss_peak_bytes"] <= TARGETS["cpp_peak_rss_bytes"] if cpp and cpp.get("rss_peak_bytes") else None},
    ]
    return out


def _manifest_defaults(folder: str | None) -> dict:
    """The default artifacts of the benchmarked export, for a bench.json that predates the field."""
    from quakesat.errors import QuakesatError
    from quakesat.runtime.manifest import load_manifest

    try:
        manifest = load_manifest(folder) if folder else None
    except (QuakesatError, OSError):
        manifest = None
    return {"python": manifest.default_artifact, "cpp": manifest.cpp_default_artifact} if manifest else {}


def _target_lines(result: dict) -> list[str]:
    lines = ["", "| target | artifact | measured | met |", "|---|---|---|---|"]
    for t in targets(result):
        value = t["measured"]
        if isinstance(value, list):
            shown = f"{value[0] / 1e6:.1f} M vs {value[1] / 1e6:.1f} M"
        elif t["target"].startswith("C++ peak") and isinstance(value, (int, float)):
            shown = f"{value / 2**20:.1f} MiB ({value / 1e6:.1f} MB)"
        elif isinstance(value, int):
            shown = f"{value / 1e6:.1f} M"
        elif isinstance(value, float):
            shown = f"{value:.1f}x"
        else:
            shown = "not measured"
        met = {True: "yes", False: "**no**", None: "–"}[t["met"]]
        lines.append(f"| {t['target']} | {t['artifact']} | {shown} | {met} |")
    return lines


def _extras(result: dict) -> list[str]:
    out = []
    for row in result["rows"]:
        plan = row.get("memory_plan")
        if plan and row.get("threads") == 1:
            out.append(f"- C++ memory plan, {row['artifact']}: tile buffers {plan['tile_buffers'] / 1e6:.2f} MB, "
                       f"planned activations {plan['planned'] / 1e6:.2f} MB, method arena {plan['method_arena']} B "
                       f"(fitted; {plan['method_arena_used']} B used), temp arena {plan['temp_arena'] / 1e6:.2f} MB, "
                       f"program {plan['program_file'] / 1e3:.0f} kB.")
        arena = row.get("micro_arena")
        if arena and row.get("threads") == 1 and row["runtime"] == "python":
            value = f"{arena['bytes_needed'] / 1e3:.0f} kB" if arena.get("bytes_needed") else arena.get("note")
            out.append(f"- TFLite Micro arena, {row['artifact']}: {value} ({arena.get('method')}).")
        batching = row.get("batching")
        if batching and row.get("threads") == 1:
            out.append(f"- Batching, {row['artifact']} (inference only, per tile): batch 1 "
                       f"{batching['batch_1_ms_per_tile']:.3f} ms, batch 4 {batching['batch_4_ms_per_tile']:.3f} ms.")
        run = row.get("long_run")
        if run:
            out.append(f"- Long run, {row['artifact']} ({row['runtime']}): {run['tiles']} tiles, RSS "
                       f"{run['rss_before_bytes'] / 1e6:.1f} → {run['rss_after_bytes'] / 1e6:.1f} MB, mean time "
                       f"first tenth {run['first_tenth_ms']:.2f} ms, last tenth {run['last_tenth_ms']:.2f} ms.")
    for row in result["rows"]:
        counts = row.get("instructions_per_tile")
        if not counts:
            continue
        cells = [f"{name} {value / 1e6:.1f} M" for name, value in counts.items()
                 if isinstance(value, int)]
        out.append(f"- Instructions per tile, {row['artifact']} (C++ runner): " + ", ".join(cells)
                   + "; unavailable: " + (", ".join(k for k, v in counts.items() if isinstance(v, str)) or "none")
                   + ".")
        for name, stages in counts.items():
            if name.endswith(" stages") and isinstance(stages, dict):
                out.append(f"  {name[:-7]} by stage: " + ", ".join(f"{k} {v / 1e6:.2f} M" for k, v in stages.items())
                           + ".")
        for estimate in row.get("energy_estimates", []):
            out.append(f"  Energy estimate, {estimate['board']}: {1e3 * estimate['joules_per_tile']:.2f} mJ per tile, "
                       f"{estimate['tiles_per_joule']:.0f} tiles/J ({estimate['basis']}).")
    sensor = result.get("sensor", {})
    if "a53_tiles_per_s_four_cores" in sensor:
        out.append(f"- Estimate: four Cortex-A53 cores sustain {sensor['a53_tiles_per_s_four_cores']:.0f} tiles/s "
                   f"({sensor['artifact']}) against Sentinel-1 IW's ~{sensor['sensor_tiles_per_s']:.0f} tiles/s "
                   f"({sensor['basis']}).")
    return [""] + out if out else []


def plots(result: dict, folder: Path) -> list[Path]:
    """Stage breakdown per artifact row; accuracy against latency and against energy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from quakesat.evaluation.plots import plot_bench_accuracy

    rows = [r for r in result["rows"] if "latency" in r and r.get("threads") == 1]
    written = []
    fig, ax = plt.subplots(figsize=(8, 0.5 + 0.45 * max(len(rows), 1)))
    labels = [f"{r['artifact']} ({r['runtime']})" for r in rows]
    left = [0.0] * len(rows)
    for stage in STAGE_ORDER:
        values = [r.get("stage_ms", {}).get(stage, 0.0) for r in rows]
        if any(values):
            ax.barh(labels, values, left=left, label=stage)
            left = [a + b for a, b in zip(left, values)]
    ax.set_xlabel("ms per tile (1 thread)")
    ax.set_title("Where the time goes, per stage")
    ax.legend(fontsize=7, ncol=4)
    fig.tight_layout()
    written.append(folder / "bench_stages.png")
    fig.savefig(written[-1], dpi=110)
    plt.close(fig)
    points = []
    for r in rows:
        if r.get("accuracy_at_operating_point") is None:
            continue
        a53 = next((e for e in r.get("energy_estimates", []) if e.get("board_id", "").endswith("a53")), None)
        points.append({"artifact": r["artifact"], "runtime": r["runtime"], "accuracy": r["accuracy_at_operating_point"],
                       "latency_ms": r["latency"]["p50_ms"], "energy_mj": 1e3 * a53["joules_per_tile"] if a53 else None})
    written.append(plot_bench_accuracy(points, folder / "bench_accuracy.png"))
    return written


def doc_names(result: dict) -> tuple[str, str]:
    """(generated block, plot file prefix) of a bench in a Markdown document: one block per
    tile kind, so that the amplitude and the same-track benches sit side by side."""
    return ("bench", "") if result.get("tile_kind", "amplitude") == "amplitude" else ("bench-same-track", "same_track_")


def write_report(result: dict, folder: Path) -> dict[str, Path]:
    """Write bench.json, bench.md and the plots into ``folder``."""
    from quakesat.bench.record import parse_bench_record, write_bench_record
    from quakesat.files import write_text_atomic

    folder.mkdir(parents=True, exist_ok=True)
    paths = {"json": folder / "bench.json", "markdown": folder / "bench.md"}
    # Through the typed record (bench/record.py), whole or not at all (Ctrl-C).
    write_bench_record(parse_bench_record(result, str(paths["json"])), paths["json"])
    write_text_atomic(paths["markdown"], markdown(result))
    try:
        for path in plots(result, folder):
            paths[path.stem] = path
    except ImportError:  # matplotlib is in the data extra
        pass
    return paths
