"""Write ``tests/vectors/tiny_model/``: a small exported multi-head QuakeLite the flight-side
tests run without torch.

The runtime-only CI environment (numpy + the ``runtime`` extra) cannot train or export, but
its tests need a real exported model: this script simulates a small file (64 x 64 tiles),
trains QuakeLite multi-head (event, magnitude, location) on it briefly, and exports fp32 and
int8 ONNX and ExecuTorch ``.pte`` (the C++ runner's format) with the manifest (gate and
location calibrated on its validation split). Its
accuracy is beside the point; it is a fixture with real graphs, real hashes and a real
manifest. Needs the ``pte`` extra:

    python tests/vectors/make_tiny_model.py            # rewrites tests/vectors/tiny_model/

Run it again after a change to the manifest, the exporter or the preprocessing; the
committed files are what the runtime tests load.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Raw side of the fixture's tiles (the model sees them multilooked by 2: 32 x 32).
SIDE = 64


def make(out: Path):  # -> quakesat.runtime.manifest.Manifest
    from quakesat.errors import FidelityGateError
    from quakesat.export.exporter import ExportOptions, export_model
    from quakesat.models.train import TrainConfig, train
    from quakesat.simulator.simulate import SimulationConfig, simulate_file

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        data = work / "tiny.h5"
        simulate_file(data, SimulationConfig(events=16, seed=11, size=SIDE, identical_negative_share=0.5),
                      progress=False, workers=1)
        train(data, work / "model", TrainConfig(model="quakelite", task="multi", epochs=8, lr=1e-2, downsample=2),
              progress=False)
        if out.exists():
            shutil.rmtree(out)
        options = ExportOptions(formats=("onnx", "pte"), calibration_tiles=32, calibration_methods=("minmax",),
                                per_channel=(True,), try_float_stem=False,
                                # a fixture must flag some events for the parity vectors: its barely
                                # trained net cannot at the flight default of 1 % false alarms
                                false_alarm_rate=0.3)
        try:
            manifest = export_model(work / "model", data, out, options)
        except FidelityGateError as err:  # a fixture, not a flight model: keep it anyway
            print(f"note: {err}")
            manifest = err.manifest
    for extra in ("fidelity.png",):
        (out / extra).unlink(missing_ok=True)
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "tiny_model")
    args = parser.parse_args()
    manifest = make(args.out)
    print(f"wrote {args.out}: " + ", ".join(f"{a.name} ({a.bytes} B)" for a in manifest.artifacts))


if __name__ == "__main__":
    main()
