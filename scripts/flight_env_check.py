"""Check that an environment with only the ``runtime`` extra (no torch) runs exported models.

Two steps, two interpreters (``.ci/run`` uses them):

    python scripts/flight_env_check.py make DIR   # full environment: simulate, train, export
    python scripts/flight_env_check.py run DIR    # runtime-only environment: load and run
    python scripts/flight_env_check.py footprint OUT.json   # packages and bytes installed here

``make`` writes a tiny exported model (every format the full environment can export) and
preprocessed test tiles into DIR. ``run`` asserts torch cannot be imported, opens every
artifact from ``DIR/artifacts/manifest.json`` alone (hash checked), runs it on the tiles and
checks that it decides like the fp32 ONNX artifact.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path


def make(folder: Path) -> None:
    import numpy as np

    from quakesat.data.quakeset import QuakeSetFile
    from quakesat.export.exporter import ExportOptions, export_model
    from quakesat.export.tflite_export import tflite_available
    from quakesat.models.torch_data import TorchQuakeSet
    from quakesat.models.train import TrainConfig, train
    from quakesat.runtime.preprocess import PreprocessConfig
    from quakesat.simulator.simulate import SimulationConfig, simulate_file

    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "small.h5"
    simulate_file(data, SimulationConfig(events=16, seed=5, size=64), progress=False, workers=1)
    # A planted +6 dB in every post image (only positives use it) gives the network something to
    # learn, so its outputs are confident and agreement checks the export, not the science.
    import h5py

    with h5py.File(data, "a") as h5:
        for patch in (p for event in h5.values() for name, p in event.items() if name.startswith("patch_")):
            patch["post"][...] = patch["post"][...] * 4.0
    train(data, folder / "model", TrainConfig(model="quakelite", task="multi", epochs=20, lr=1e-2, downsample=2,
                                              keep_best=False), progress=False)
    formats = ("onnx", "tflite") if tflite_available() else ("onnx",)
    export_model(folder / "model", data, folder / "artifacts",
                 ExportOptions(formats=formats, calibration_tiles=32, calibration_methods=("minmax",)))
    with QuakeSetFile(data) as qs:
        tiles = TorchQuakeSet(qs, 1, "test", PreprocessConfig(downsample=2))
        np.save(folder / "tiles.npy", np.stack([tiles[i][0].numpy() for i in range(len(tiles))]))
    print(f"made {folder} with formats {formats}")


def run(folder: Path) -> None:
    import numpy as np

    from quakesat.runtime.decision import decide
    from quakesat.runtime.manifest import load_manifest
    from quakesat.runtime.model import ExportedModel

    if importlib.util.find_spec("torch") is not None:
        raise SystemExit("torch is importable here: this check must run in a runtime-only environment")
    manifest = load_manifest(folder / "artifacts")
    tiles = np.load(folder / "tiles.npy")
    decisions = {}
    for name in manifest.artifact_names:
        heads = ExportedModel.open(folder / "artifacts", name).heads(tiles)
        decisions[name] = decide(heads, manifest.decision).event
    reference = decisions["onnx-fp32"]
    agreement = {name: float(np.mean(flags == reference)) for name, flags in decisions.items()}
    print(json.dumps({"torch": False, "tiles": int(len(tiles)), "agreement_with_onnx_fp32": agreement}))
    if min(agreement.values()) < 0.9:
        raise SystemExit("an artifact decides unlike the fp32 ONNX model in the runtime-only environment")


def footprint(out: Path) -> None:
    """Every installed distribution of this environment with its installed bytes (the files
    its RECORD lists), largest first, as JSON in ``out`` and a table on stdout: the on-board
    footprint of a runtime-only install (README "Installing by hand", where
    ``python -m quakesat.readme_figures footprint OUT.json`` puts it)."""
    import importlib.metadata as metadata
    import os
    import platform

    rows: dict[str, dict] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name in rows or name in ("pip", "setuptools", "wheel"):  # the installer is not the payload
            continue
        size = 0
        for file in dist.files or []:
            try:
                size += os.path.getsize(dist.locate_file(file))
            except OSError:
                pass
        rows[name] = {"name": name, "version": dist.version, "bytes": size}
    table = sorted(rows.values(), key=lambda row: -row["bytes"])
    total = sum(row["bytes"] for row in table)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"python": sys.version.split()[0], "machine": platform.machine(), "total_bytes": total,
                               "packages": table}, indent=2))
    for row in table:
        print(f"{row['name']:24s} {row['version']:12s} {row['bytes'] / 2**20:8.1f} MB")
    print(f"{'total':24s} {'':12s} {total / 2**20:8.1f} MB ({len(table)} distributions)")


if __name__ == "__main__":
    steps = {"make": make, "run": run, "footprint": footprint}
    if len(sys.argv) != 3 or sys.argv[1] not in steps:
        raise SystemExit(__doc__)
    steps[sys.argv[1]](Path(sys.argv[2]))
