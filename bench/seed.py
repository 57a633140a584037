"""The seed-equivalent: the paper's model as published, timed in the same run as everything else.

QuakeSet's best detector is MobileNetV2 (width 1.0) on a bitemporal 4 x 512 x 512 tile, run
in PyTorch eager mode at fp32 (Rege Cambrin & Garza, ISCRAM 2024). quakesat's own MobileNetV2
(:mod:`quakesat.models.networks`, randomly initialised: latency does not depend on the
weights) is timed here at one thread, so that every other figure of the benchmark can be
given as a ratio to it. Needs torch (the ``train`` extra); without it the ratio is reported
as unavailable, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

from quakesat.bench.latency import LatencyStats, RunPolicy, time_calls

#: The paper's input: pre VV, VH and post VV, VH at the full 512 x 512 tile.
SEED_INPUT = (4, 512, 512)


@dataclass(frozen=True)
class SeedResult:
    """The seed-equivalent's latency and size, or why it could not be measured."""

    latency: LatencyStats | None
    macs: int | None
    parameters: int | None
    note: str

    def as_dict(self) -> dict[str, object]:
        return {"model": "MobileNetV2-1.0, PyTorch eager fp32, 4 x 512 x 512, 1 thread",
                "latency": self.latency.as_dict() if self.latency else None, "macs": self.macs,
                "parameters": self.parameters, "note": self.note}


def measure_seed(policy: RunPolicy, threads: int = 1) -> SeedResult:
    """Time the seed-equivalent at ``threads`` threads under ``policy``."""
    try:
        import torch

        from quakesat.models.macs import count_macs
        from quakesat.models.networks import NetSpec, build_network
    except ImportError as err:
        return SeedResult(None, None, None, f"unavailable: {err} (install the train extra)")
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        torch.manual_seed(0)
        net = build_network("mobilenetv2", NetSpec(in_channels=SEED_INPUT[0])).eval()
        x = torch.randn(1, *SEED_INPUT)
        macs, _ = count_macs(net, SEED_INPUT)
        with torch.no_grad():
            seconds = time_calls(lambda _: net(x), policy)
        parameters = sum(p.numel() for p in net.parameters())
        return SeedResult(LatencyStats.from_seconds(seconds), int(macs), int(parameters), "measured")
    finally:
        torch.set_num_threads(previous)
