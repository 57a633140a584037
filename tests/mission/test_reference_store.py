"""The reference store's byte arithmetic, its quantiser, and the coherence each format costs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from quakesat.doc_blocks import markers
from quakesat.mission.reference_store import (
    HEADER_BYTES,
    StoreFormat,
    choose_format,
    coherence_cost,
    dequantise,
    kept,
    presum,
    quantise,
    store_study_markdown,
)


def test_byte_arithmetic_by_hand() -> None:
    # 256 px at 4 bits per part: 256 rows of 256 x 2 x 4 bits = 256 bytes, 2 bytes of scale each.
    assert StoreFormat(1, 4).tile_bytes(256) == HEADER_BYTES + 256 * 256 + 256 * 2
    # presum 2: 128 rows of 128 x 2 x 3 bits = 96 bytes.
    assert StoreFormat(2, 3).tile_bytes(256) == HEADER_BYTES + 128 * 96 + 128 * 2
    # 5 bits do not fill bytes: a row of 3 values is 30 bits, 4 bytes.
    assert StoreFormat(1, 5).tile_bytes(3) == HEADER_BYTES + 3 * 4 + 3 * 2
    # float32 parts carry no scale.
    assert StoreFormat(1, 32).tile_bytes(256) == HEADER_BYTES + 256 * 256 * 8


def test_budget_and_refresh() -> None:
    store = StoreFormat(1, 4)
    per_tile = store.tile_bytes(256)
    assert store.tiles_in(10 * per_tile + per_tile - 1, 256) == 10
    assert store.refresh_bytes_per_day(120, 256, 12) == pytest.approx(10 * per_tile)
    with pytest.raises(ValueError):
        store.refresh_bytes_per_day(1, 256, 0)
    with pytest.raises(ValueError):
        StoreFormat(3, 4).tile_bytes(256)


@pytest.mark.parametrize("bad", [{"presum": 0}, {"presum": True}, {"bits": 7}, {"bits": 1}])
def test_formats_out_of_range_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        StoreFormat(**bad)


def test_presum_is_the_complex_block_mean() -> None:
    image = np.arange(16, dtype=np.float64).reshape(4, 4) * (1 + 1j)
    reduced = presum(image, 2)
    assert reduced.shape == (2, 2)
    assert reduced[0, 0] == pytest.approx((0 + 1 + 4 + 5) / 4 * (1 + 1j))


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_quantiser_error_stays_within_half_a_step(bits: int) -> None:
    rng = np.random.default_rng(3)
    image = rng.standard_normal((8, 64)) + 1j * rng.standard_normal((8, 64))
    codes, scales = quantise(image, bits)
    assert codes.min() >= -(2 ** (bits - 1)) and codes.max() <= 2 ** (bits - 1) - 1
    decoded = dequantise(codes, scales)
    step = scales.astype(np.float64)[:, None]
    inside = (np.abs(image.real) < step * (2 ** (bits - 1) - 1))
    assert np.all(np.abs(decoded.real - image.real)[inside] <= step.repeat(64, axis=1)[inside] / 2 + 1e-12)


def test_a_zero_row_stays_zero_and_finite() -> None:
    image = np.zeros((2, 8), dtype=np.complex128)
    image[1] = 1 + 1j
    decoded = kept(image, StoreFormat(1, 4))
    assert np.all(np.isfinite(decoded))
    assert np.all(np.abs(decoded[0]) < 1e-3)


def test_costs_follow_the_number_of_looks_and_the_bits() -> None:
    stores = [StoreFormat(1, 32), StoreFormat(1, 2), StoreFormat(1, 4), StoreFormat(2, 32)]
    costs = {cost.store: cost for cost in coherence_cost(stores, [0.7], side_px=128, tiles=4, seed=1)}
    full = costs[StoreFormat(1, 32)]
    assert full.estimated_coherence == pytest.approx(0.7, abs=0.02)
    # Presum 2 leaves a quarter of the independent samples per output block: about twice the spread.
    assert 1.7 < costs[StoreFormat(2, 32)].phase_std / full.phase_std < 2.5
    # Quantisation noise lowers the coherence; 4 bits cost far less than 2.
    assert costs[StoreFormat(1, 2)].estimated_coherence < costs[StoreFormat(1, 4)].estimated_coherence
    assert costs[StoreFormat(1, 4)].phase_std / full.phase_std < 1.05 < costs[StoreFormat(1, 2)].phase_std / full.phase_std


def test_choose_format_takes_the_cheapest_within_the_loss_at_every_coherence() -> None:
    stores = [StoreFormat(p, b) for p in (1, 2) for b in (2, 3, 4, 8, 32)]
    costs = coherence_cost(stores, [0.5, 0.9], side_px=128, tiles=4, seed=2)
    chosen = choose_format(costs, 128, max_phase_std_ratio=1.1)
    assert chosen.presum == 1 and chosen.bits in (3, 4)
    assert choose_format(costs, 128, max_phase_std_ratio=100.0) == StoreFormat(2, 2)
    without_reference = [cost for cost in costs if not (cost.store == StoreFormat(1, 32) and cost.coherence == 0.5)]
    with pytest.raises(ValueError):
        choose_format(without_reference, 128)


def test_the_docs_block_is_what_the_study_renders() -> None:
    document = (Path(__file__).resolve().parents[2] / "docs" / "mission.md").read_text(encoding="utf-8")
    begin, end = markers("reference-store")
    block = document.split(begin + "\n", 1)[1].split("\n" + end, 1)[0]
    assert block == store_study_markdown()
