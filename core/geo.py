"""UK postcodes and distances: "near a postcode" for the directory, events and the help chat.

Locations are postcode-district centroids from ``core/data/uk-outcodes.csv`` (origin in
``core/data/README.md``), good to a few kilometres. Nothing here touches the network.

- ``normalise_postcode("ls1 4ap") == "LS1 4AP"``; bad input raises ``PostcodeError`` whose message
  can be shown to the person as it is.
- ``centroid("LS1 4AP")`` gives ``(lat, lon)`` of the district ``LS1``, or ``None`` if unknown.
- ``annotate_distance(queryset, lat, lon)`` adds ``distance_km`` computed by the database
  (great-circle distance, the same on SQLite and PostgreSQL), optionally only ``within_km``.
"""

from __future__ import annotations

import csv
import math
import re
from functools import cache
from pathlib import Path
from typing import NamedTuple

from django.db.models import F, FloatField, Q, QuerySet, Value
from django.db.models.functions import ASin, Cos, Least, Radians, Sin, Sqrt
from django.utils.translation import gettext as _

__all__ = [
    "EARTH_RADIUS_KM",
    "District",
    "PostcodeError",
    "annotate_distance",
    "bounding_box",
    "centroid",
    "district",
    "haversine_km",
    "normalise_postcode",
    "outward_code",
]

DATA_FILE = Path(__file__).resolve().parent / "data" / "uk-outcodes.csv"

# The mean Earth radius (IUGG). The database and Python use the same figure, so their
# distances agree to floating-point rounding.
EARTH_RADIUS_KM = 6371.0088

# Outward code: area (1-2 letters), district (digit, then an optional digit or letter).
# Inward code: a digit and two letters; C, I, K, M, O and V are never used there.
_OUTWARD = r"[A-Z]{1,2}[0-9][A-Z0-9]?"
_INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"
_FULL_RE = re.compile(rf"({_OUTWARD})({_INWARD})")
_OUTWARD_RE = re.compile(_OUTWARD)
# Messages are shown beside the field as they are, so they are translated.


class PostcodeError(ValueError):
    """The text is not a UK postcode or outward code. ``str(error)`` is a plain-English message
    fit to show beside the form field."""


class District(NamedTuple):
    """A postcode district: its outward code, centroid and names (town may be blank)."""

    outcode: str
    latitude: float
    longitude: float
    town: str
    county: str
    country: str


def normalise_postcode(text: str) -> str:
    """Return ``text`` as a tidy UK postcode ("LS1 4AP") or outward code ("LS1").

    Case, surrounding and inner spaces are forgiven ("ls14ap", " ls1  4ap "). Anything that is
    not shaped like a UK postcode raises ``PostcodeError`` with a message for the person.
    Whether the district exists is not checked here (see ``centroid``).
    """
    if text is None or not str(text).strip():
        raise PostcodeError(
            _("Enter a postcode, like LS1 4AP, or the first part of one, like LS1.")
        )
    compact = re.sub(r"\s+", "", str(text)).upper()
    if len(compact) > 8:
        raise PostcodeError(
            _(
                "That postcode is too long. Enter a UK postcode, like LS1 4AP, "
                "or the first part of one, like LS1."
            )
        )
    if compact == "GIR0AA":  # Girobank's historic postcode, still valid
        return "GIR 0AA"
    if match := _FULL_RE.fullmatch(compact):
        return f"{match[1]} {match[2]}"
    if _OUTWARD_RE.fullmatch(compact):
        return compact
    raise PostcodeError(
        _("Enter a real UK postcode, like LS1 4AP, or the first part of one, like LS1.")
    )


def outward_code(postcode: str) -> str:
    """The outward code (district) of a postcode or outward code: "ls1 4ap" gives "LS1".

    Raises ``PostcodeError`` for text that is not a postcode.
    """
    return normalise_postcode(postcode).split(" ")[0]


@cache
def _districts() -> dict[str, District]:
    """Every district in the data file, by outward code; read once per process."""
    districts = {}
    with DATA_FILE.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            outcode = row["postcode"].strip().upper()
            districts[outcode] = District(
                outcode=outcode,
                latitude=float(row["latitude"]),
                longitude=float(row["longitude"]),
                town=(row.get("city") or "").strip(),
                county=(row.get("county") or "").strip(),
                country=(row.get("country_name") or "").strip(),
            )
    return districts


def district(postcode_or_outcode: str) -> District | None:
    """The district a postcode or outward code is in, or ``None`` if the data does not have it.

    A sub-district missing from the data (e.g. ``W1A``) falls back to its district (``W1``).
    Raises ``PostcodeError`` for text that is not a postcode.
    """
    outcode = outward_code(postcode_or_outcode)
    districts = _districts()
    found = districts.get(outcode)
    if found is None and outcode[-1].isalpha():
        found = districts.get(outcode[:-1])
    return found


def centroid(postcode_or_outcode: str) -> tuple[float, float] | None:
    """``(latitude, longitude)`` of the postcode's district centroid, or ``None`` if unknown.

    Raises ``PostcodeError`` for text that is not a postcode, so a form can show why.
    """
    found = district(postcode_or_outcode)
    return None if found is None else (found.latitude, found.longitude)


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in kilometres between two ``(latitude, longitude)`` points."""
    lat1, lon1 = map(math.radians, a)
    lat2, lon2 = map(math.radians, b)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(lat: float, lon: float, km: float) -> tuple[float, float, float, float | None]:
    """``(min_lat, max_lat, min_lon, max_lon)`` in degrees enclosing every point within ``km``.

    The box is exact for a sphere (it allows for meridians converging away from the equator), so
    a filter on it never drops a point that is within ``km``. Longitudes are ``None`` when the
    circle reaches a pole or crosses the 180th meridian: then any longitude may qualify.
    """
    angular = km / EARTH_RADIUS_KM
    lat_r = math.radians(lat)
    min_lat, max_lat = lat_r - angular, lat_r + angular
    min_lon = max_lon = None
    if -math.pi / 2 < min_lat and max_lat < math.pi / 2:
        spread = math.asin(min(1.0, math.sin(angular) / math.cos(lat_r)))
        lon_r = math.radians(lon)
        if -math.pi < lon_r - spread and lon_r + spread < math.pi:
            min_lon, max_lon = math.degrees(lon_r - spread), math.degrees(lon_r + spread)
    # A hair of slack so that rounding never excludes a point exactly on the edge.
    slack = 1e-9
    return (
        max(-90.0, math.degrees(min_lat) - slack),
        min(90.0, math.degrees(max_lat) + slack),
        None if min_lon is None else min_lon - slack,
        None if max_lon is None else max_lon + slack,
    )


def distance_expression(lat: float, lon: float, lat_field: str, lon_field: str):
    """A database expression for the haversine distance in km from ``(lat, lon)`` to each row.

    Uses only functions Django provides on both SQLite and PostgreSQL (on SQLite they are
    SQLite's built-in maths functions, or Python ones Django registers where SQLite lacks them).
    """
    float_field = FloatField()
    lat0, lon0 = math.radians(lat), math.radians(lon)
    half_dlat = (Radians(F(lat_field)) - Value(lat0)) / Value(2.0)
    half_dlon = (Radians(F(lon_field)) - Value(lon0)) / Value(2.0)
    sin_half_dlat = Sin(half_dlat, output_field=float_field)
    sin_half_dlon = Sin(half_dlon, output_field=float_field)
    h = (
        sin_half_dlat * sin_half_dlat
        + Value(math.cos(lat0)) * Cos(Radians(F(lat_field))) * sin_half_dlon * sin_half_dlon
    )
    # LEAST guards ASIN against a rounding error pushing its argument just above 1.
    return Value(2 * EARTH_RADIUS_KM) * ASin(
        Least(Sqrt(h, output_field=float_field), Value(1.0), output_field=float_field)
    )


def annotate_distance(
    queryset: QuerySet,
    lat: float,
    lon: float,
    lat_field: str = "latitude",
    lon_field: str = "longitude",
    *,
    within_km: float | None = None,
    alias: str = "distance_km",
) -> QuerySet:
    """``queryset`` with ``distance_km`` (great-circle km from ``(lat, lon)``) on every row.

    The distance is computed in the database, so ``order_by("distance_km", "pk")`` and keyset
    pagination work on it; the order is true great-circle order (the haversine formula, as
    ``haversine_km`` computes in Python). Rows without coordinates are left out: they have no
    distance. With ``within_km``, only rows at most that far away are kept, and a bounding box
    on the plain coordinate columns is applied first so the trigonometry runs only for nearby
    rows (an index on ``lat_field`` makes that box cheap). The queryset is not reordered.
    """
    queryset = queryset.filter(
        **{f"{lat_field}__isnull": False, f"{lon_field}__isnull": False}
    ).annotate(**{alias: distance_expression(lat, lon, lat_field, lon_field)})
    if within_km is None:
        return queryset
    if within_km < 0:
        return queryset.none()
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, within_km)
    box = Q(**{f"{lat_field}__gte": min_lat, f"{lat_field}__lte": max_lat})
    if min_lon is not None:
        box &= Q(**{f"{lon_field}__gte": min_lon, f"{lon_field}__lte": max_lon})
    return queryset.filter(box).filter(**{f"{alias}__lte": within_km})
