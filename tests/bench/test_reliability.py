"""The reliability campaign (bench/reliability.py) at a small scale: clean on both runtimes,
and able to fail: a check that lets bad tiles through, or a decoder that raises, is found."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("onnxruntime")

from quakesat.bench import reliability  # noqa: E402
from quakesat.bench.reliability import TILE_KINDS, CampaignConfig, findings, markdown, run_campaign  # noqa: E402
from quakesat.runtime.preprocess import SUPPORTED_PREPROCESS_VERSIONS  # noqa: E402
from quakesat.runtime.tile import TileCheck  # noqa: E402
from quakesat.runtime.status import Status  # noqa: E402

RUNNER_BUILT = reliability.RUNNER.is_file()


def test_a_small_campaign_is_clean_on_both_runtimes(tmp_path) -> None:
    config = CampaignConfig(out=tmp_path, tiles=len(TILE_KINDS) + 20, packets=3000, manifests=12)
    result = run_campaign(config)
    assert findings(result) == [], findings(result)
    flights = result["tiles"]["flights"]
    assert [flight["preprocess_version"] for flight in flights] == sorted(SUPPORTED_PREPROCESS_VERSIONS)
    for tiles in flights:
        assert tiles["kinds"] == len(TILE_KINDS) and tiles["tried"] == config.tiles
        assert tiles["python"]["messages"] == config.tiles and tiles["python"]["controls_flagged"] > 0
        assert tiles["python"]["refused_as_bad_input"] == tiles["must_refuse"]
        assert tiles["cpp"]["ran"] is RUNNER_BUILT
        if RUNNER_BUILT:
            assert tiles["disagreements"] == 0 and tiles["cpp"]["messages"] == config.tiles
            assert tiles["cpp"]["refused_as_bad_input"] == tiles["must_refuse"]
    assert result["packets"]["tried"] == 3000 and result["packets"]["python"]["verdicts"]["ok"] > 0
    signatures = result["manifests"].get("signatures")
    if signatures is not None:  # the manifest part needs the .pte backend
        assert signatures["tried"] == len(reliability.SIGNATURE_CASES) and signatures["wrong_verdicts"] == 0
    assert "| hostile tiles: tiny_model, 64 px, preprocessing v2" in markdown(result)


def test_a_check_that_lets_bad_tiles_through_is_found(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("quakesat.runtime.flight.check_pair", lambda *a, **k: TileCheck(Status.OK))
    config = CampaignConfig(out=tmp_path, tiles=len(TILE_KINDS), packets=10, manifests=0, runner=None)
    result = reliability.tile_campaign(config, say=lambda line: None)
    assert all(flight["python"]["false_events"] > 0 for flight in result["flights"])  # flagged, as it got through
    full = {"tiles": result, "packets": reliability.packet_campaign(config, lambda line: None),
            "manifests": {"tried": 0}, "seed": 0, "seconds": 0, "machine": ""}
    assert any("false_events" in problem for problem in findings(full))


def test_a_decoder_that_raises_anything_else_is_a_crash(tmp_path, monkeypatch) -> None:
    real = reliability.decode

    def brittle(packet: bytes):  # noqa: ANN202
        if packet[0] == 0x00:
            raise IndexError("boom")
        return real(packet)

    monkeypatch.setattr(reliability, "decode", brittle)
    config = CampaignConfig(out=tmp_path, packets=3000, decoder=None)
    assert reliability.packet_campaign(config, lambda line: None)["python"]["crashes"] > 0


def test_the_command_line_writes_the_report_and_exits_zero(tmp_path, capsys) -> None:
    from quakesat.cli import main

    tiny = Path(__file__).resolve().parents[1] / "vectors" / "tiny_model"  # hermetic: not whatever out/demo holds
    assert main(["reliability", "--out", str(tmp_path), "--tiles", "60", "--packets", "500", "--manifests", "0",
                 "--artifacts", str(tiny)]) == 0
    assert (tmp_path / "reliability.json").is_file() and (tmp_path / "reliability.md").is_file()
    assert '"findings": 0' in capsys.readouterr().out


def test_the_tile_kinds_cover_every_class_the_issues_name() -> None:
    needed = {"band_constant", "band_all_nan", "bands_first", "all_subnormal", "header_bit_flips", "invalid_utf8",
              "nul_in_path", "escaping_path", "huge_tile_id",
              # round two: special files, signalling NaNs, dead polarisations, stray pixels, duplicate keys,
              # deep nesting, path spellings, an overclaiming header
              "fifo_image", "dev_zero_image", "signalling_nan_out_of_range", "band_zero", "zero_one_stray",
              "constant_one_stray", "band_nan_one_stray", "duplicate_key", "key_nested_1100", "path_trailing_slash",
              "path_trailing_dot", "overclaiming_header", "long_line"}
    assert needed <= set(TILE_KINDS)
    assert not TILE_KINDS["control"][0] and all(TILE_KINDS[name][0] for name in needed - {"header_bit_flips"})
    assert replace(CampaignConfig(out=Path(".")), tiles=1).tiles == 1
