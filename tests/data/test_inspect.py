"""``quakesat data info``: describe_file, format_summary, render_sample_png and the CLI path."""

from __future__ import annotations

import json
import math

import pytest

from quakesat.cli import main
from quakesat.data.inspect import describe_file, format_summary, render_sample_png
from quakesat.errors import DatasetNotFoundError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def summary(quakeset_file):
    return describe_file(quakeset_file.path)


def test_counts(summary):
    assert summary["events"] == 4
    assert summary["patches"] == 7
    assert summary["patches_with_before"] == 6
    assert summary["image_shape"] == [16, 16, 2]
    assert summary["image_shapes"] == {"16x16x2": 7}
    assert summary["splits"] == {
        "train": {"events": 2, "patches": 4},
        "validation": {"events": 1, "patches": 1},
        "test": {"events": 1, "patches": 2},
    }
    pairs = {"train": 7, "validation": 2, "test": 4}
    singles = {"train": 8, "validation": 2, "test": 4}
    assert summary["samples"] == {"task1": pairs, "task2": pairs, "task5": singles, "task6": singles}
    assert summary["ignored_members"] == 2
    assert summary["ignored_member_paths"] == ["/1001/notes", "/1001/patch_2/quicklook"]


def test_counts_are_ints_and_json_serializable(summary):
    json.loads(json.dumps(summary))
    for key in ("events", "patches", "patches_with_before", "patches_scanned", "ignored_members"):
        assert type(summary[key]) is int
    assert all(type(n) is int for task in summary["samples"].values() for n in task.values())
    assert all(type(n) is int for n in summary["magnitude"]["histogram"]["counts"])


def test_magnitudes(summary):
    mag = summary["magnitude"]
    # Per event: 4.5, 5.25, 6.0, 4.0 (deviations from 4.9375 squared sum to 2.296875).
    assert (mag["min"], mag["max"]) == (4.0, 6.0)
    assert mag["mean"] == pytest.approx(4.9375)
    assert mag["std"] == pytest.approx(math.sqrt(2.296875 / 4))
    assert mag["histogram"]["edges"] == [4.0, 4.25, 4.5, 4.75, 5.0, 5.25, 5.5, 5.75, 6.0]
    assert mag["histogram"]["counts"] == [1, 0, 1, 0, 0, 1, 0, 1]  # 6.0 falls in the closed last bin


def test_pixel_statistics(summary):
    assert summary["patches_scanned"] == 7 and summary["images_scanned"] == 20
    # NaN pixels: 60 (border) + 16 + 16 (row 0 twice) + 1 (one VH value) over 20 images of 256 px.
    assert summary["nan_fraction"] == pytest.approx((60 + 16 + 16 + 1) / 256 / 20)
    # Six (before, pre) pairs; only 1002/patch_0 is identical (NaN row included); 2001/patch_0
    # differs by one value.
    assert summary["negative_pairs_scanned"] == 6
    assert summary["identical_negative_pairs"] == 1
    assert summary["identical_negative_share"] == pytest.approx(1 / 6)


def test_scan_limit_is_evenly_spread(quakeset_file):
    two = describe_file(quakeset_file.path, max_patches_scanned=2, progress=False)
    # First and last patch in sample order: 1001/patch_0 (3 images, 60 NaN px) and 999/patch_0.
    assert two["patches_scanned"] == 2 and two["images_scanned"] == 6
    assert two["nan_fraction"] == pytest.approx(60 / 256 / 6)
    assert two["identical_negative_share"] == 0.0
    none = describe_file(quakeset_file.path, max_patches_scanned=0)
    assert none["patches_scanned"] == 0 and none["nan_fraction"] is None
    assert none["identical_negative_share"] is None
    assert none["events"] == 4
    with pytest.raises(ValueError, match="max_patches_scanned"):
        describe_file(quakeset_file.path, max_patches_scanned=-1)


def test_format_summary(summary):
    text = format_summary(summary)
    assert text.count("\n") > 10
    assert "events 4" in text and "patches 7" in text
    assert "identical negative pairs 1 of 6" in text
    assert "validation" in text and "task6" in text


def test_render_sample_png(quakeset_file, tmp_path):
    out = render_sample_png(quakeset_file.path, tmp_path / "nested" / "dir" / "sample.png")
    data = out.read_bytes()
    assert data[:8] == PNG_SIGNATURE and len(data) > 5000
    chosen = render_sample_png(
        quakeset_file.path, tmp_path / "no_before.png", event_id="1001", patch="patch_10"
    )
    assert chosen.read_bytes()[:8] == PNG_SIGNATURE
    with pytest.raises(KeyError, match="4242"):
        render_sample_png(quakeset_file.path, tmp_path / "x.png", event_id="4242")


def test_cli_data_info_json(quakeset_file, capsys):
    assert main(["data", "info", str(quakeset_file.path), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert type(printed["events"]) is int and printed["events"] == 4
    assert type(printed["patches"]) is int and printed["patches"] == 7


def test_cli_data_info_text_and_png(quakeset_file, tmp_path, capsys):
    png = tmp_path / "info.png"
    assert main(["data", "info", str(quakeset_file.path), "--png", str(png)]) == 0
    captured = capsys.readouterr()
    assert "events 4" in captured.out and png.read_bytes()[:8] == PNG_SIGNATURE


def test_cli_missing_file_is_one_line_error(tmp_path, capsys):
    assert main(["data", "info", str(tmp_path / "missing.h5")]) == 2
    assert "quakesat simulate" in capsys.readouterr().err
    with pytest.raises(DatasetNotFoundError):
        describe_file(tmp_path / "missing.h5")
