"""The fringe rule's window is chosen on validation, as a network's settings are (insar_rows)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from quakesat.evaluation.insar_rows import FRINGE_WINDOWS, choose_fringe_window


def _table(splits: list[str], labels: list[int], identical: list[bool] | None = None) -> SimpleNamespace:
    split = np.array(splits)
    return SimpleNamespace(label=np.array(labels), identical=np.array(identical or [False] * len(labels)),
                           rows=lambda name: np.flatnonzero(split == name))


def test_the_window_that_separates_validation_best_is_chosen() -> None:
    table = _table(["train", "train", "validation", "validation", "validation", "validation", "test", "test"],
                   [1, 0, 1, 0, 1, 0, 1, 0])
    blind = np.zeros(8)
    # window 8 ranks the validation events above the negatives; window 2 would win on train
    # and test, which must not count
    sharp = np.array([0.0, 9.0, 0.9, 0.1, 0.8, 0.2, 0.0, 9.0])
    upside = np.array([9.0, 0.0, 0.1, 0.9, 0.2, 0.8, 9.0, 0.0])
    fringe = {2: upside, 4: blind, 8: sharp, 16: blind}
    assert choose_fringe_window(fringe, table, []) == 8


def test_identical_and_unpaired_pairs_do_not_vote() -> None:
    table = _table(["validation"] * 4, [1, 0, 1, 0], identical=[False, False, False, True])
    # row 3 (identical) and row 2 (unpaired) would make window 2 look best if they counted
    fringe = {2: np.array([0.0, 1.0, 5.0, -5.0]), 4: np.array([1.0, 0.0, 0.0, 9.0]),
              8: np.zeros(4), 16: np.zeros(4)}
    assert choose_fringe_window(fringe, table, [2]) == 4


def test_windows_wider_than_the_grid_are_not_candidates_and_ties_go_to_the_smaller() -> None:
    table = _table(["validation"] * 4, [1, 1, 0, 0])
    good = np.array([1.0, 1.0, 0.0, 0.0])
    fringe = {2: good, 4: good, 8: np.full(4, np.nan), 16: np.full(4, np.nan)}
    assert choose_fringe_window(fringe, table, []) == 2


def test_one_class_in_validation_keeps_the_rules_first_setting() -> None:
    table = _table(["validation"] * 3, [0, 0, 0])
    assert choose_fringe_window({w: np.zeros(3) for w in FRINGE_WINDOWS}, table, []) == FRINGE_WINDOWS[1] == 4
