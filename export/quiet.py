"""Silence third-party converters that print progress to stdout/stderr from C++ and Python.

onnxruntime's calibrators ``print`` histogram details; litert-torch prints progress lines
and its MLIR/absl layers write to file descriptor 2 directly. Export output should be the
one JSON line (and errors), so these run inside :func:`silenced`, which redirects the
process-level descriptors 1 and 2 to a temporary file and replays it only if the block
raises (so a converter's own error text is not lost).

Known-harmless lines that libraries print on import or first use are stopped at their
source instead, each as narrowly as it allows: :func:`quiet_torchao` (two logging filters),
:func:`quiet_threadpool_start` (ExecuTorch's cpuinfo probe) and, for the converter's import,
:func:`silenced` (its absl/oneDNN lines come from C++ with no switch). JAX's fork warning is
filtered where the kit forks (:mod:`quakesat.data.parallel`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """Run a block with stdout/stderr (Python and file descriptors), logging and warnings muted."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    previous = logging.root.level
    with tempfile.TemporaryFile(mode="w+b") as sink:
        try:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
            logging.root.setLevel(logging.ERROR)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield
        except BaseException:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            sink.seek(0)
            sys.stderr.write(sink.read()[-4000:].decode("utf-8", "replace"))
            raise
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            logging.root.setLevel(previous)


class _DropMessages(logging.Filter):
    """Drops a logger's records whose message starts with ``prefix`` and contains ``marker``."""

    def __init__(self, prefix: str, marker: str) -> None:
        super().__init__()
        self.prefix, self.marker = prefix, marker

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (message.startswith(self.prefix) and self.marker in message)


def _drop(logger: str, prefix: str, marker: str) -> None:
    """Install :class:`_DropMessages` on ``logger`` once."""
    target = logging.getLogger(logger)
    if not any(isinstance(f, _DropMessages) and (f.prefix, f.marker) == (prefix, marker) for f in target.filters):
        target.addFilter(_DropMessages(prefix, marker))


def quiet_torchao() -> None:
    """Drop the warnings torchao's import logs on every CPU-only machine; call it before
    anything imports torchao (executorch and litert-torch do).

    - ``Failed to load .../torchao/_C_mxfp8...so`` (and ``_C_cutlass_90a``): CUDA kernels the
      CPU wheel ships but cannot load; torchao catches the error and goes on without them.
    - ``Warning: Detected no triton ...`` (``torchao.kernel.intmm``): Triton compiles GPU
      kernels; a CPU machine has none and the kit runs no torchao GPU kernel.
    - ``<enum 'KernelPreference'> is an Enum subclass ...`` from torch's pytree module: torchao
      registers one of its enums the old way; a deprecation notice aimed at torchao.

    Only these messages, on these three loggers: anything else torchao or torch logs still shows.
    """
    _drop("torchao", "Failed to load ", "torchao")
    _drop("torchao.kernel.intmm", "Warning: Detected no triton", "Triton")
    _drop("torch.utils._pytree", "<enum 'KernelPreference'> is an Enum subclass", "register_constant()")


_THREADPOOL_STARTED = False


def quiet_threadpool_start() -> None:
    """Start ExecuTorch's thread pool with file descriptors 1 and 2 muted; call it after
    importing ``executorch.runtime`` and before loading a method.

    The pool starts when the first XNNPACK-delegated method loads. The pip wheel then probes
    the CPU through ``cpuinfo_utils.cpp``, which looks for ARM ID registers and logs at Info
    level, with no switch, five lines on x86 (``[cpuinfo_utils.cpp:71] Reading file
    /sys/devices/soc0/image_version``, ``Failed to open midr file ...``, ``CPU info and manual
    query on # of cpus dont match.``). The pool is created once per process, so starting it
    here, silenced, is the only call that is muted; errors later are printed as usual.
    """
    global _THREADPOOL_STARTED
    if _THREADPOOL_STARTED:
        return
    try:
        from executorch.extension.pybindings.portable_lib import _threadpool_get_thread_count
    except ImportError:  # another executorch: its lines may show, nothing else changes
        return
    with silenced():
        _threadpool_get_thread_count()
    _THREADPOOL_STARTED = True
