"""A torch-side Python backend for ``.pte`` programs, registered with the runtime on import.

ExecuTorch's Python runtime takes and returns torch tensors, so this backend cannot be part
of the torch-free flight runtime. Importing this module registers it for the ``pte`` format
(:func:`quakesat.runtime.model.register_backend`), so that the exporter's fidelity gate,
``quakesat run`` on the ground and the Python/C++ parity checks can run the very program the
C++ runner runs. torch and executorch are imported when a program is opened, not here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from quakesat.errors import BackendError
from quakesat.export.quiet import quiet_threadpool_start, quiet_torchao
from quakesat.runtime.model import register_backend


class ExecuTorchBackend:
    """ExecuTorch's Python runtime for ``.pte`` programs, batch 1 per call.

    It runs the same program the C++ runner runs, so Python and C++ can be compared end to
    end. Its tensors are torch tensors: this backend needs torch, so it lives here and not in
    the torch-free ``quakesat.runtime`` (``pip install 'quakesat[pte]'``). Outputs are named
    by position.
    """

    def __init__(self, path: str | Path, threads: int = 1) -> None:
        quiet_torchao()  # executorch.runtime imports torchao
        try:
            import torch
            from executorch.runtime import Runtime
        except ImportError as err:
            raise BackendError(f"the ExecuTorch backend needs executorch and torch ({err}); "
                               "pip install 'quakesat[pte]'") from None
        quiet_threadpool_start()
        self._torch = torch
        try:
            self.method = Runtime.get().load_program(str(path)).load_method("forward")
        except Exception as err:
            raise BackendError(f"{path}: ExecuTorch cannot load the program ({err})") from None
        self.output_names: list[str] = []

    def run(self, x: np.ndarray) -> dict[str, np.ndarray]:
        rows: list[list[np.ndarray]] = []
        try:
            for sample in x:
                outputs = self.method.execute([self._torch.from_numpy(np.ascontiguousarray(sample[None]))])
                if not rows:
                    rows = [[] for _ in outputs]
                for i, value in enumerate(outputs):
                    rows[i].append(value.numpy().astype(np.float32, copy=True))
        except Exception as err:
            raise BackendError(f"ExecuTorch failed on an input of shape {x.shape} ({err})") from None
        self.output_names = [str(i) for i in range(len(rows))]
        return {name: np.concatenate(parts) for name, parts in zip(self.output_names, rows)}


register_backend("pte", ExecuTorchBackend)
