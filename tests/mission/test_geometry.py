"""The mission's orbit, swath and contacts against facts that do not come from this code.

Independent figures: Sentinel-1's reference orbit (ESA Sentinel-1 User Handbook: 693 km,
98.18°, 12-day repeat of 175 orbits, 98.6-minute period, ascending node at 18:00 local
time); the sun-synchronous node rate (360° per tropical year = 0.9856°/day); IW's incidence
range (29.1°–46.0°); a polar station sees a polar orbit on nearly every revolution, a
mid-latitude one a few times a day.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("skyfield")

from quakesat.mission.contacts import Contact, Station, contacts, merge_contacts  # noqa: E402
from quakesat.mission.orbit import (  # noqa: E402
    ascending_node_times,
    design_sun_synchronous,
    ground_track,
    local_mean_time_hours,
    satellite_from_design,
)
from quakesat.mission.scenario import Scenario, parse_time  # noqa: E402
from quakesat.mission.swath import (  # noqa: E402
    Swath,
    ground_speed_km_s,
    incidence_at_km,
    looks_at,
    swath_edges_km,
    swath_points,
)

START = parse_time("2026-01-01T00:00:00Z", "start")
DAY = 86_400


@pytest.fixture(scope="module")
def timescale():
    from skyfield.api import load

    return load.timescale(builtin=True)


@pytest.fixture(scope="module")
def design(timescale):
    return design_sun_synchronous(START, 12, 175, 18.0, 0.0001, 90.0, timescale)


@pytest.fixture(scope="module")
def satellite(design, timescale):
    return satellite_from_design(design, START, timescale)


@pytest.fixture(scope="module")
def day_track(satellite, timescale):
    return ground_track(satellite, timescale, START, DAY, 10.0)


def test_the_design_is_sentinel_1s_reference_orbit(design) -> None:
    assert design.nodal_period_min == pytest.approx(12 * 1440 / 175, abs=0.01)  # 98.74 min
    assert design.inclination_deg == pytest.approx(98.18, abs=0.02)
    assert design.mean_altitude_km == pytest.approx(693.0, abs=5.0)
    assert design.node_rate_deg_day == pytest.approx(360.0 / 365.2422, abs=1e-3)


def test_the_track_is_sun_synchronous_at_18h_and_repeats_in_12_days(satellite, timescale, day_track) -> None:
    nodes = ascending_node_times(day_track)
    assert len(nodes) in (14, 15)  # 175 / 12 = 14.58 revolutions a day
    assert np.diff(nodes).mean() / 60.0 == pytest.approx(98.74, abs=0.05)
    index = np.searchsorted(day_track.times, nodes)
    hours = local_mean_time_hours(day_track.times[index], day_track.lon[index])
    assert np.all(np.abs(hours - 18.0) < 0.1)
    # Twelve days later the satellite is back over the same ground (repeat track).
    later = ground_track(satellite, timescale, START + 12 * DAY, 600.0, 10.0)
    first = ground_track(satellite, timescale, START, 600.0, 10.0)
    gap = np.degrees(np.arccos(np.clip(np.sum(later.up * first.up, axis=1), -1, 1))) * 111.2
    assert gap.max() < 5.0


def test_ground_speed_is_that_of_a_693_km_orbit(day_track) -> None:
    # v_ground = 2 pi R / T  for a near-circular orbit, R = 6371 km, T = 98.74 min (plus Earth
    # rotation, at most ~0.46 km/s at the equator, mostly across the track): about 6.8 km/s.
    assert ground_speed_km_s(day_track) == pytest.approx(2 * math.pi * 6371 / (98.74 * 60), rel=0.03)


def test_the_iw_swath_spans_its_published_incidence_range(day_track) -> None:
    near, far = swath_edges_km(Swath(), float(np.mean(day_track.altitude_km)))
    assert far - near == pytest.approx(250.0)
    assert incidence_at_km(near, float(np.mean(day_track.altitude_km))) == pytest.approx(29.1, abs=0.01)
    assert 44.0 <= incidence_at_km(far, float(np.mean(day_track.altitude_km))) <= 46.5  # IW: up to 46.0°


def test_a_point_on_the_swath_is_looked_at_once_per_pass(day_track) -> None:
    lat, lon, inside = swath_points(day_track, Swath(), samples=5)
    k = int(np.nonzero(inside)[0][len(inside) // 3])
    looks = looks_at(day_track, Swath(), float(lat[k, 2]), float(lon[k, 2]))
    assert any(abs(look.time - day_track.times[k]) < 20.0 for look in looks)
    assert all(29.0 < look.incidence_deg < 46.5 for look in looks)
    # A point straight below the track is never in a side-looking radar's swath on that pass.
    below = looks_at(day_track, Swath(), float(day_track.lat[k]), float(day_track.lon[k]))
    assert all(abs(look.time - day_track.times[k]) > 600.0 for look in below)


def test_svalbard_sees_nearly_every_revolution_and_matera_far_fewer(satellite, timescale) -> None:
    stations = list(Scenario().stations)
    windows, per_station = contacts(satellite, timescale, stations, START, START + DAY)
    svalbard, matera = per_station["Svalbard"], per_station["Matera"]
    assert 13 <= len(svalbard) <= 16
    gaps = np.diff([c.start for c in svalbard]) / 60.0
    assert np.median(gaps) == pytest.approx(98.74, abs=5.0)
    assert 2 <= len(matera) <= 7
    assert all(3 * 60 < c.seconds < 16 * 60 for c in svalbard[1:-1])  # a LEO pass: minutes, not hours
    assert all(c.max_elevation_deg >= 5.0 for c in svalbard)
    assert len(windows) <= len(svalbard) + len(matera)


def test_a_higher_mask_gives_shorter_passes(satellite, timescale) -> None:
    low = contacts(satellite, timescale, [Station("S", 78.23, 15.40, 500.0, 5.0)], START, START + DAY)[0]
    high = contacts(satellite, timescale, [Station("S", 78.23, 15.40, 500.0, 30.0)], START, START + DAY)[0]
    assert sum(c.seconds for c in high) < 0.6 * sum(c.seconds for c in low)


def test_overlapping_passes_merge_into_one_window() -> None:
    merged = merge_contacts([Contact(0, 100, ("A",), 20.0), Contact(50, 150, ("B",), 30.0),
                             Contact(200, 260, ("A",), 10.0)])
    assert [(c.start, c.end, c.stations) for c in merged] == [(0, 150, ("A", "B")), (200, 260, ("A",))]
    assert merged[0].max_elevation_deg == 30.0


def test_a_tle_flies_the_same_orbit_as_the_design_it_was_written_from(satellite, timescale, day_track) -> None:
    from sgp4.exporter import export_tle

    from quakesat.mission.orbit import satellite_from_tle

    line1, line2 = export_tle(satellite.model)
    again = satellite_from_tle(line1, line2, timescale)
    track = ground_track(again, timescale, START, 3 * 3600, 10.0)
    gap = np.degrees(np.arccos(np.clip(np.sum(track.up * day_track.up[:len(track.up)], axis=1), -1, 1))) * 111.2
    assert gap.max() < 2.0  # the TLE's rounded digits, nothing more


def test_a_malformed_tle_is_a_config_error(timescale) -> None:
    from quakesat.errors import ConfigError
    from quakesat.mission.orbit import satellite_from_tle

    with pytest.raises(ConfigError, match="TLE"):
        satellite_from_tle("1 garbage", "2 garbage", timescale)


def test_overlapping_cues_count_their_shared_tiles_once(day_track) -> None:
    from quakesat.mission.tiles import tiles_within

    lat, lon, inside = swath_points(day_track, Swath(), samples=9)
    k = int(np.nonzero(inside)[0][100])
    cue = (float(lat[k, 4]), float(lon[k, 4]), float(day_track.times[0]), float(day_track.times[-1]))
    one, cells = tiles_within(day_track, Swath(), [cue], 100.0, 5.12)
    two, _ = tiles_within(day_track, Swath(), [cue, cue], 100.0, 5.12)
    assert one == two > 0
    # A 100 km circle crossed by a 250 km swath: at most the circle's area in tiles per pass.
    passes = len({round(t / 600) for t, _, _ in cells})
    assert one <= passes * math.pi * 100.0 ** 2 / 5.12 ** 2 * 1.2
