"""The circle schedule of nearest-first pages, shared by both backends."""

from __future__ import annotations

from trialfinder.store.search_order import growing_radii


def test_radii_double_from_a_64th_and_end_at_the_radius() -> None:
    assert list(growing_radii(64.0)) == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]


def test_a_radius_that_is_not_a_power_of_two_multiple_still_ends_exactly_on_it() -> None:
    radii = list(growing_radii(100.0, 0.3))
    assert radii == [30.0, 60.0, 100.0]


def test_the_whole_circle_at_once_and_a_zero_radius_give_one_try() -> None:
    assert list(growing_radii(80.0, 1.0)) == [80.0]
    assert list(growing_radii(0.0)) == [0.0]
