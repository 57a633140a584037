"""How much of the ground fails under given shaking: landslides, liquefaction, building damage.

Each is a published empirical model, evaluated per pixel (docs/simulator.md, "Co-seismic
effects", gives each with what it was fitted on):

- landslides: the global model of Nowicki Jessee et al. (2018, JGR Earth Surface 123) —
  logistic in ln(PGV), slope, lithology, land cover, CTI and ln(PGV) x slope — and its areal
  coverage conversion (their equation 9) less its value at zero probability, with the USGS
  implementation's masks (no coverage below 2 %g PGA or on slopes of 2° or less);
- liquefaction: the general global model of Zhu et al. (2017, BSSA 107(3)) — logistic in
  ln(PGV), ln(Vs30), precipitation, distance to water and water-table depth — and its areal
  extent conversion less its value at zero probability, zero below 3 cm/s PGV, above 620 m/s
  Vs30 (Zhu et al.) and below 0.1 g PGA (the threshold the USGS ground-failure product adds);
- buildings: the macroseismic method of Lagomarsino & Giovinazzi (2006, Bull. Earthquake
  Eng. 4) — mean EMS-98 damage grade from intensity and a vulnerability index — with the
  binomial distribution of damage grades used with it.
"""

from __future__ import annotations

import math

import numpy as np

# ─── landslides: Nowicki Jessee et al. (2018), Table 3 and equation 9 ───────────────────
NJ18_INTERCEPT = -6.30
NJ18_LN_PGV = 1.65
NJ18_SLOPE = 0.06
NJ18_CTI = 0.03
NJ18_LN_PGV_X_SLOPE = 0.01
#: Lithology coefficients (GLiM top-level classes; evaporites are the reference, 0).
NJ18_LITHOLOGY = {
    "metamorphics": -1.87, "acid plutonic": -0.78, "basic plutonic": -1.88, "intermediate plutonic": -1.61,
    "pyroclastics": -1.05, "carbonate sedimentary": -0.95, "mixed sedimentary": -1.36,
    "siliciclastic sedimentary": -1.92, "unconsolidated sediments": -3.22, "acid volcanic": -1.54,
    "basic volcanic": -1.50, "intermediate volcanic": -0.81,
}
#: Land-cover coefficients of the GlobCover 2009 classes the simulator's covers map to.
NJ18_LAND_COVER = {
    "rainfed croplands (14)": 0.91, "closed to open broadleaved evergreen forest (40)": 0.68,
    "closed to open herbaceous vegetation (140)": 1.03, "artificial surfaces (190)": 0.30,
    "bare areas (200)": -0.06,
}
#: Areal coverage LP = exp(a + b P + c P² + d P³) (a fraction of the area).
NJ18_COVERAGE = (-7.592, 5.237, -3.042, 4.035)
#: USGS ground-failure implementation of the model: no estimate below 2 %g PGA, no coverage
#: on slopes of 2° or less; CTI clipped to the fitted range.
NJ18_MIN_PGA_G = 0.02
NJ18_MIN_SLOPE_DEG = 2.0
NJ18_CTI_RANGE = (0.0, 19.0)


def landslide_probability(pgv_cm_s: np.ndarray, slope_deg: np.ndarray, lithology: float, land_cover: np.ndarray,
                          cti: np.ndarray) -> np.ndarray:
    """Nowicki Jessee et al. (2018) probability of landsliding per pixel.

    Args:
        pgv_cm_s: peak ground velocity (cm/s).
        slope_deg: topographic slope (degrees).
        lithology: the lithology coefficient (:data:`NJ18_LITHOLOGY`).
        land_cover: the land-cover coefficient per pixel (:data:`NJ18_LAND_COVER`).
        cti: compound topographic index.

    Returns:
        Probability in [0, 1], the shape of the inputs.
    """
    log_pgv = np.log(np.maximum(pgv_cm_s, 1e-3))
    x = (NJ18_INTERCEPT + NJ18_LN_PGV * log_pgv + NJ18_SLOPE * slope_deg + lithology + land_cover
         + NJ18_CTI * np.clip(cti, *NJ18_CTI_RANGE) + NJ18_LN_PGV_X_SLOPE * log_pgv * slope_deg)
    return 1.0 / (1.0 + np.exp(-x))


def landslide_coverage(probability: np.ndarray, pga_g: np.ndarray, slope_deg: np.ndarray) -> np.ndarray:
    """Areal share of the ground covered by landslides (Nowicki Jessee et al. 2018, eq. 9),
    zero where the USGS implementation gives none (weak shaking, flat ground)."""
    a, b, c, d = NJ18_COVERAGE
    p = np.asarray(probability)
    # The fit's value at P = 0 (0.05 %) is a floor the inventories it was fitted on imply,
    # not landsliding caused by the shaking: it is subtracted, so coverage vanishes with P.
    share = np.exp(a + b * p + c * p**2 + d * p**3) - math.exp(a)
    return np.where((pga_g >= NJ18_MIN_PGA_G) & (slope_deg > NJ18_MIN_SLOPE_DEG), share, 0.0)


# ─── liquefaction: Zhu et al. (2017), general model ─────────────────────────────────────
ZHU17 = {"intercept": 8.801, "ln_pgv": 0.334, "ln_vs30": -1.918, "precip_mm": 5.408e-4,
         "water_km": -0.2054, "water_table_m": -0.0333}
#: Liquefaction spatial extent (percent) = a / (1 + b exp(-c P))².
ZHU17_EXTENT = (49.15, 42.40, 9.165)
ZHU17_MIN_PGV_CM_S = 3.0
ZHU17_MAX_VS30 = 620.0
#: The USGS ground-failure product adds this PGA floor to Zhu et al. (2017).
USGS_LIQUEFACTION_MIN_PGA_G = 0.1


def liquefaction_probability(pgv_cm_s: np.ndarray, vs30: np.ndarray, precipitation_mm: float,
                             water_distance_km: np.ndarray, water_table_m: np.ndarray) -> np.ndarray:
    """Zhu et al. (2017) general-model probability of liquefaction per pixel (before the masks)."""
    c = ZHU17
    x = (c["intercept"] + c["ln_pgv"] * np.log(np.maximum(pgv_cm_s, 1e-3)) + c["ln_vs30"] * np.log(vs30)
         + c["precip_mm"] * precipitation_mm + c["water_km"] * water_distance_km + c["water_table_m"] * water_table_m)
    return 1.0 / (1.0 + np.exp(-x))


def liquefaction_extent(probability: np.ndarray, pgv_cm_s: np.ndarray, pga_g: np.ndarray,
                        vs30: np.ndarray) -> np.ndarray:
    """Areal share (0–1) of the ground with surface manifestations of liquefaction (Zhu et al.
    2017), zero outside the model's masks."""
    a, b, c = ZHU17_EXTENT
    # Like the landslide coverage, the extent's floor at P = 0 (0.026 %) is subtracted.
    share = (a / (1.0 + b * np.exp(-c * np.asarray(probability))) ** 2 - a / (1.0 + b) ** 2) / 100.0
    active = (pgv_cm_s >= ZHU17_MIN_PGV_CM_S) & (vs30 <= ZHU17_MAX_VS30) & (pga_g >= USGS_LIQUEFACTION_MIN_PGA_G)
    return np.where(active, share, 0.0)


# ─── buildings: Lagomarsino & Giovinazzi (2006) ─────────────────────────────────────────
#: Most probable vulnerability index V* of the EMS-98 vulnerability classes A (adobe, rubble
#: stone) to F (high earthquake-resistant design) (Giovinazzi & Lagomarsino 2004).
EMS98_VULNERABILITY = {"A": 0.90, "B": 0.74, "C": 0.58, "D": 0.42, "E": 0.26, "F": 0.10}
#: Ductility index of the method for ordinary buildings.
DUCTILITY_Q = 2.3
DAMAGE_GRADES = 5


def mean_damage_grade(intensity: np.ndarray, vulnerability: np.ndarray, ductility: float = DUCTILITY_Q) -> np.ndarray:
    """Mean EMS-98 damage grade μD in [0, 5]: 2.5 [1 + tanh((I + 6.25 V - 13.1) / Q)].

    Intensity is EMS-98; the simulator passes modified Mercalli intensity, which agrees with
    EMS-98 within the scatter of either at these levels (docs/simulator.md).
    """
    return 2.5 * (1.0 + np.tanh((np.asarray(intensity) + 6.25 * np.asarray(vulnerability) - 13.1) / ductility))


def damage_grade_probabilities(mean_grade: np.ndarray) -> np.ndarray:
    """Probability of each damage grade D0..D5 (last axis) from the mean grade, binomial with
    five trials and success probability μD / 5."""
    p = np.clip(np.asarray(mean_grade, dtype=float) / DAMAGE_GRADES, 0.0, 1.0)[..., None]
    k = np.arange(DAMAGE_GRADES + 1)
    choose = np.array([math.comb(DAMAGE_GRADES, int(i)) for i in k], dtype=float)
    return choose * p**k * (1.0 - p) ** (DAMAGE_GRADES - k)
