"""An exported model opened from its manifest alone: verified, then run on preprocessed tiles.

``ExportedModel.open(folder)`` reads ``manifest.json``, checks the chosen artifact's SHA-256
before the backend ever sees the file, opens the backend once, and from then on
:meth:`ExportedModel.heads` turns a batch of preprocessed tiles into the model's heads:
``event`` (probability), ``magnitude`` (mb) and ``location`` (offset from the tile centre
in half-tile units), whichever the model has. No torch, no training code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from quakesat.errors import BackendError, PreprocessError
from quakesat.runtime.backends import Backend, open_backend
from quakesat.runtime.features import flat_features
from quakesat.runtime.manifest import Artifact, Manifest, OutputRef, load_manifest


def _to_layout(tiles: np.ndarray, layout: str) -> np.ndarray:
    if layout == "NCHW":
        return np.ascontiguousarray(tiles, dtype=np.float32)
    if layout == "NHWC":
        return np.ascontiguousarray(tiles.transpose(0, 2, 3, 1), dtype=np.float32)
    if layout == "features":
        return np.ascontiguousarray(flat_features(tiles), dtype=np.float32)
    raise BackendError(f"unknown input layout {layout!r}")


def select_head(outputs: dict[str, np.ndarray], ref: OutputRef, n: int) -> np.ndarray:
    """One head's ``(N,)`` or ``(N, k)`` float32 values from a backend's raw outputs.

    Raises:
        BackendError: the output is missing, or it has fewer values or columns than the
            reference asks for.
    """
    if ref.output not in outputs:
        raise BackendError(f"the artifact has no output {ref.output!r} (it has {sorted(outputs)})")
    value = np.asarray(outputs[ref.output])
    if n == 0 or value.size % n:
        raise BackendError(f"output {ref.output!r} of shape {value.shape} does not hold {n} tile(s)")
    value = value.reshape(n, -1)
    if value.shape[1] == 0:
        raise BackendError(f"output {ref.output!r} is empty")
    if ref.column is not None:
        if ref.column >= value.shape[1]:
            raise BackendError(f"output {ref.output!r} has {value.shape[1]} column(s), the manifest reads "
                               f"column {ref.column}")
        value = value[:, ref.column]
    elif value.shape[1] == 1:
        value = value[:, 0]
    value = value.astype(np.float32) + np.float32(ref.offset)
    if ref.transform == "sigmoid":
        value = (1.0 / (1.0 + np.exp(-value.astype(np.float64)))).astype(np.float32)
    elif ref.transform == "label":
        value = (value > 0.5).astype(np.float32)
    return value


@dataclass
class ExportedModel:
    """One artifact of a manifest, verified and opened."""

    manifest: Manifest
    artifact: Artifact
    backend: Backend

    @classmethod
    def open(cls, path: str | Path, artifact: str | None = None, threads: int = 1) -> ExportedModel:
        """Open the artifact called ``artifact`` (None: the default) of the manifest at ``path``.

        Raises:
            ModelNotFoundError: no manifest, or the artifact file is missing.
            ManifestError: an invalid manifest or an unknown artifact name.
            ArtifactHashError: the file's SHA-256 differs from the manifest's.
            BackendError: the backend library is missing or cannot open the file.
        """
        manifest = load_manifest(path)
        chosen = manifest.artifact(artifact)
        file = manifest.verify(chosen)
        return cls(manifest, chosen, open_backend(file, chosen.format, threads))

    @property
    def model_id(self) -> int:
        return self.artifact.model_id

    def heads(self, tiles: np.ndarray) -> dict[str, np.ndarray]:
        """Heads for a batch of preprocessed tiles ``(N, C, H, W)`` (``C`` 4 or 2).

        Returns:
            ``event`` ``(N,)`` probabilities, ``magnitude`` ``(N,)`` mb as the head
            reports it (see the manifest's ``decision.magnitude_given_event``),
            ``location`` ``(N, 2)``; only the heads the model has.

        Raises:
            PreprocessError: the tiles do not have the manifest's input shape.
            BackendError: the backend failed or its outputs do not fit the manifest.
        """
        tiles = np.asarray(tiles)
        expected = tuple(self.manifest.input.tile_shape)
        if tiles.ndim != 4 or tuple(tiles.shape[1:]) != expected:
            raise PreprocessError(f"model input must be (N, {', '.join(map(str, expected))}), got {tiles.shape}")
        outputs = self.backend.run(_to_layout(tiles, self.artifact.layout))
        return {head: select_head(outputs, ref, len(tiles)) for head, ref in self.artifact.outputs.items()}
