"""Scenario files: the default round-trips through TOML, every mistake is one line, and the
``quakesat mission`` command line turns them into exit status 2."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from quakesat.cli import main
from quakesat.errors import ConfigError
from quakesat.mission.catalogue import build_catalogue, gutenberg_richter, historical_sample
from quakesat.mission.scenario import CatalogueSpec, Scenario, load_scenario, scenario_to_toml


def test_the_default_round_trips_through_toml(tmp_path) -> None:
    path = tmp_path / "scenario.toml"
    path.write_text(scenario_to_toml(Scenario()), encoding="utf-8")
    assert load_scenario(path) == Scenario()


def test_a_partial_file_keeps_the_defaults(tmp_path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('duration_hours = 6.0\n[downlink]\nrate_bps = 9600\n[[stations]]\nname = "Kiruna"\n'
                    'latitude = 67.86\nlongitude = 20.96\n', encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.duration_hours == 6.0 and scenario.downlink.rate_bps == 9600.0
    assert scenario.downlink.overhead_s == 30.0 and scenario.satellite.repeat_days == 12
    assert [s.name for s in scenario.stations] == ["Kiruna"] and scenario.stations[0].elevation_mask_deg == 5.0


@pytest.mark.parametrize("text, message", [
    ("durration_hours = 3\n", "unknown key 'durration_hours'"),
    ("[downlink]\nrate_bps = \"fast\"\n", "downlink.rate_bps must be a finite number"),
    ("[downlink]\nrate_bps = 0\n", "downlink.rate_bps must be > 0"),
    ("[onboard]\nqueue_capacity = 0\n", "queue_capacity must be >= 1"),
    ("[onboard]\nruntime = \"java\"\n", "onboard.runtime"),
    ("modes = [\"survey\", \"psychic\"]\n", "modes must be a non-empty list"),
    ("start = \"yesterday\"\n", "is not an ISO 8601 time"),
    ("[[stations]]\nname = \"X\"\nlatitude = 95\nlongitude = 0\n", "is not a latitude/longitude"),
    ("[catalogue]\nsource = \"list\"\n", "needs [[catalogue.events]]"),
    ("[instrument]\nswath_km = 0\n", "swath must be within"),
    ("[satellite]\ntle = [\"1 only one line\"]\n", "two lines"),
    ("stations = 3\n", "must be a list"),
    ("this is = not toml\n", "is not valid TOML"),
])
def test_every_mistake_is_one_clear_error(tmp_path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_scenario(path)


def test_the_command_line_writes_and_refuses_scenarios(tmp_path, capsys) -> None:
    path = tmp_path / "written.toml"
    assert main(["mission", "--write-scenario", str(path), "--hours", "6", "--modes", "cued"]) == 0
    scenario = load_scenario(path)
    assert scenario.duration_hours == 6.0 and scenario.modes == ("cued",)
    bad = tmp_path / "bad.toml"
    bad.write_text("[downlink]\nrate_bps = -1\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["mission", "--scenario", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "rate_bps must be > 0" in err
    assert main(["mission", "--modes", "survey,nope", "--write-scenario", str(path)]) == 2
    assert "modes must be" in capsys.readouterr().err


def test_a_mission_without_a_model_is_a_usage_error(tmp_path, capsys, monkeypatch) -> None:
    pytest.importorskip("skyfield")
    monkeypatch.chdir(tmp_path)  # no out/demo here for the command to fall back on
    assert main(["mission", "--hours", "1", "--out", str(tmp_path / "m")]) == 2
    assert "--artifacts" in capsys.readouterr().err
    assert main(["mission", "--artifacts", str(tmp_path), "--out", str(tmp_path / "m")]) == 2
    assert "no exported model" in capsys.readouterr().err


def test_the_historical_sample_is_real_events_with_their_ids() -> None:
    sample = historical_sample()
    assert len(sample) == 16
    names = {e.name for e in sample}
    assert {"Pazarcik, Turkey", "Gorkha, Nepal", "Amatrice, Italy"} <= names
    assert all(5.5 <= e.mw <= 8.5 and 0 <= e.depth_km <= 70 for e in sample)
    quakes = build_catalogue(CatalogueSpec(), 1_700_000_000, 1_700_086_400, seed=0)
    assert all(1_700_000_000 <= q.origin < 1_700_086_400 and q.usgs_id and q.historical_time for q in quakes)
    pazarcik = next(q for q in quakes if q.name.startswith("Pazarcik"))
    assert pazarcik.usgs_id == "us6000jllz" and pazarcik.historical_time == "2023-02-06T01:17:34Z"
    # mb for the simulator: the inverse of the Scordilis (2006) Mw(mb) the simulator uses
    # (an extrapolation above mb 6.2, where that relation ends; the shaking uses Mw itself).
    from quakesat.simulator.shaking import MB_TO_MW

    assert MB_TO_MW[0] * pazarcik.mb + MB_TO_MW[1] == pytest.approx(7.8)


def test_random_catalogues_follow_gutenberg_richter_and_the_seed() -> None:
    magnitudes = gutenberg_richter(np.random.default_rng(0), 20_000, 5.0, 8.0)
    # b = 1: ten times fewer events per magnitude unit.
    assert np.mean(magnitudes >= 6.0) == pytest.approx(0.1, abs=0.01)
    spec = CatalogueSpec(source="random", count=30)
    a = build_catalogue(spec, 1_700_000_000, 1_700_086_400, seed=5)
    assert a == build_catalogue(spec, 1_700_000_000, 1_700_086_400, seed=5)
    assert a != build_catalogue(spec, 1_700_000_000, 1_700_086_400, seed=6)
    assert [q.origin for q in a] == sorted(q.origin for q in a)


def test_scenario_values_are_checked_on_replace_too() -> None:
    with pytest.raises(ConfigError):
        dataclasses.replace(Scenario(), duration_hours=0.0)
