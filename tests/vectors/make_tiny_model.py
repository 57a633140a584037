"""Write ``tests/vectors/tiny_model/`` (amplitude pairs) or ``tests/vectors/tiny_insar_model/``
(same-track pairs): small exported multi-head QuakeLites the flight-side tests run without torch.

The runtime-only CI environment (numpy + the ``runtime`` extra) cannot train or export, but
its tests need a real exported model: this script simulates a small file (64 x 64 tiles),
trains QuakeLite multi-head (event, magnitude, location) on it briefly, and exports fp32 and
int8 ONNX and ExecuTorch ``.pte`` (the C++ runner's format) with the manifest (gate and
location calibrated on its validation split). Its
accuracy is beside the point; it is a fixture with real graphs, real hashes and a real
manifest. Needs the ``pte`` extra:

    python tests/vectors/make_tiny_model.py            # rewrites tests/vectors/tiny_model/
    python tests/vectors/make_tiny_model.py --same-track   # rewrites tests/vectors/tiny_insar_model/

The same-track fixture is simulated with ``--slc`` at 64 x 64 same-track pixels of 80 m and
takes the pair formed into an interferogram at 4 looks (3 x 16 x 16).

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
#: The same-track fixture's looks (its 64 px pairs become 16 x 16 cells of 320 m).
SAME_TRACK_LOOKS = 4


def make(out: Path, same_track: bool = False):  # -> quakesat.runtime.manifest.Manifest
    from quakesat.errors import FidelityGateError
    from quakesat.export.exporter import ExportOptions, export_model
    from quakesat.models.train import TrainConfig, train
    from quakesat.simulator.simulate import SimulationConfig, simulate_file

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        data = work / "tiny.h5"
        simulate_file(data, SimulationConfig(events=16, seed=11, size=SIDE, identical_negative_share=0.5,
                                             slc=same_track, slc_side=SIDE, slc_footprint_m=SIDE * 80.0),
                      progress=False, workers=1)
        config = TrainConfig(model="quakelite", task="multi", epochs=8, lr=1e-2, downsample=2)
        if same_track:
            config = TrainConfig(model="quakelite", task="multi", epochs=8, lr=1e-2, downsample=SAME_TRACK_LOOKS,
                                 input="interferometric")
        train(data, work / "model", config, progress=False)
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
    parser.add_argument("--same-track", action="store_true", help="the same-track (interferometric) fixture")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or HERE / ("tiny_insar_model" if args.same_track else "tiny_model")
    manifest = make(out, args.same_track)
    print(f"wrote {out}: " + ", ".join(f"{a.name} ({a.bytes} B)" for a in manifest.artifacts))


if __name__ == "__main__":
    main()
