"""The flight side of quakesat: one bitemporal tile in, one 32-byte downlink message out.

    from quakesat.runtime import FlightRuntime, RuntimeConfig

    runtime = FlightRuntime.open("artifacts/quakelite", config=RuntimeConfig(gate="manifest"))
    outcome = runtime.process(tile)          # a quakesat.runtime.tile.Tile
    outcome.message                          # 32 bytes, also queued for the next contact
    runtime.drain()                          # a ground contact: the queued messages

Imports numpy and the standard library only; an inference backend (onnxruntime or
ai-edge-litert, the ``runtime`` extra) is imported when a model is opened. Never torch,
scikit-learn, h5py, nor anything from the training, export or ground packages: this is what
flies (docs/architecture.md).
"""

from quakesat.runtime.flight import FlightRuntime, RuntimeConfig, TileOutcome
from quakesat.runtime.tile import Georef, Tile

__all__ = ["FlightRuntime", "RuntimeConfig", "TileOutcome", "Georef", "Tile"]
