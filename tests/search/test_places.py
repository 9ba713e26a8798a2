"""Offline place names and distances."""

from __future__ import annotations

import pytest

from trialfinder.errors import QueryError
from trialfinder.search import Place, parse_distance, registry_country, resolve_place

PLACES = [
    ("Boston, MA", Place("Boston, MA", 42.35843, -71.05977, "US", "city")),
    ("02115", Place("02115 Boston, MA", 42.3427, -71.0922, "US", "zip")),
    ("Paris, France", Place("Paris, France", 48.85341, 2.3488, "FR", "city")),
    ("42.5,-71", Place("42.5,-71", 42.5, -71.0, "", "point")),
]


@pytest.mark.parametrize(("text", "place"), PLACES, ids=[p[0] for p in PLACES])
def test_resolve_place(text: str, place: Place) -> None:
    assert resolve_place(text) == place


def test_country_resolves_to_a_point_inside_it() -> None:
    place = resolve_place("France")
    assert (place.name, place.country_code, place.kind) == ("France", "FR", "country")
    assert 42 < place.lat < 51 and -5 < place.lon < 8


def test_unknown_place_suggests() -> None:
    with pytest.raises(QueryError) as error:
        resolve_place("Bostn, MA", "--near")
    assert error.value.args[0] == (
        "--near: unknown place 'Bostn, MA'; did you mean 'Boston, MA'? Or try a city "
        "('Boston'), 'City, ST' ('Boston, MA'), 'City, Country', a US ZIP code, a country or "
        "'lat,lon'"
    )


@pytest.mark.parametrize(
    ("text", "km"), [("50mi", 80.4672), ("80 km", 80.0), ("1.5 miles", 2.414016)]
)
def test_parse_distance(text: str, km: float) -> None:
    assert parse_distance(text, "--within") == pytest.approx(km)


@pytest.mark.parametrize("text", ["50", "fifty mi", "0km", "-5mi", "99999km"])
def test_parse_distance_rejects(text: str) -> None:
    with pytest.raises(QueryError) as error:
        parse_distance(text, "--within")
    assert error.value.parameter == "--within"


def test_registry_country_uses_clinicaltrials_spelling() -> None:
    assert registry_country("KR") == "Korea, Republic of"
    assert registry_country("united states") == "United States"
