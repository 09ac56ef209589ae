"""core.geo: postcodes, district centroids and distances computed by the database."""

import math
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from core import geo
from core.tests.test_search import Place, create_place_table


@pytest.fixture(scope="module")
def place_table(django_db_setup, django_db_blocker):
    return create_place_table(django_db_blocker)


# --- Postcodes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("LS1 4AP", "LS1 4AP"),
        ("ls14ap", "LS1 4AP"),
        ("  ls1   4ap ", "LS1 4AP"),
        ("sw1a1aa", "SW1A 1AA"),
        ("W1A 0AX", "W1A 0AX"),
        ("m1 1ae", "M1 1AE"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("gir 0aa", "GIR 0AA"),
        ("ls1", "LS1"),
        (" Sw1A ", "SW1A"),
        ("B33", "B33"),
    ],
)
def test_normalise_postcode_tidies_full_postcodes_and_outward_codes(text, expected):
    assert geo.normalise_postcode(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", None, "LEEDS", "LS1 4A", "LS1 4CP", "1LS 4AP", "LS1 4AP 4AP", "L", "💥", "LS1-4AP"],
)
def test_normalise_postcode_explains_bad_input(text):
    with pytest.raises(geo.PostcodeError) as error:
        geo.normalise_postcode(text)
    message = str(error.value)
    assert message.startswith(("Enter a", "That postcode"))
    assert "LS1 4AP" in message  # every message shows an example


def test_outward_code():
    assert geo.outward_code("ls1 4ap") == "LS1"
    assert geo.outward_code("SW1A") == "SW1A"
    with pytest.raises(geo.PostcodeError):
        geo.outward_code("nowhere")


def test_centroid_of_a_postcode_is_its_districts_and_loads_the_file_once():
    geo._districts.cache_clear()
    assert (
        geo.centroid("LS1 4AP") == geo.centroid("LS1") == pytest.approx((53.797, -1.547), abs=0.05)
    )
    assert geo.centroid("SW1A 1AA") == pytest.approx((51.50265, -0.13111))
    assert geo.centroid("W1A 0AX") == geo.centroid("W1")  # missing sub-district: its district
    assert geo.centroid("ZZ9 9ZZ") is None  # well formed, but no such district
    assert geo.district("BT1 1AA").country == "Northern Ireland"
    assert geo._districts.cache_info().misses == 1
    assert len(geo._districts()) == 2848


def test_haversine_km():
    assert geo.haversine_km((51.5, -0.1), (51.5, -0.1)) == 0
    # One degree of latitude is R·π/180 km.
    assert geo.haversine_km((50, 1), (51, 1)) == pytest.approx(geo.EARTH_RADIUS_KM * math.pi / 180)
    london, leeds = geo.centroid("SW1A"), geo.centroid("LS1")
    assert geo.haversine_km(london, leeds) == pytest.approx(272, abs=3)
    assert geo.haversine_km(london, leeds) == geo.haversine_km(leeds, london)
    assert geo.haversine_km((0, 0), (0, 180)) == pytest.approx(math.pi * geo.EARTH_RADIUS_KM)


@given(
    lat=st.floats(-80, 80),
    lon=st.floats(-179, 179),
    km=st.floats(0.1, 500),
    bearing=st.floats(0, 2 * math.pi),
    fraction=st.floats(0, 1),
)
def test_bounding_box_never_drops_a_point_within_the_radius(lat, lon, km, bearing, fraction):
    # The point `fraction * km` from (lat, lon) along `bearing`, on the sphere.
    d = fraction * km / geo.EARTH_RADIUS_KM
    lat1, lon1 = math.radians(lat), math.radians(lon)
    lat2 = math.asin(
        math.sin(lat1) * math.cos(d) + math.cos(lat1) * math.sin(d) * math.cos(bearing)
    )
    lon2 = lon1 + math.atan2(
        math.sin(bearing) * math.sin(d) * math.cos(lat1),
        math.cos(d) - math.sin(lat1) * math.sin(lat2),
    )
    point = (math.degrees(lat2), math.degrees(lon2))
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(lat, lon, km)
    assert min_lat <= point[0] <= max_lat
    if min_lon is not None:
        assert min_lon <= point[1] <= max_lon


# --- Distances in the database ---------------------------------------------------------------

LEEDS = (53.79648, -1.54785)


@pytest.fixture
def scattered_places(db, place_table):
    """60 places at random across Great Britain, and two with no location."""
    rng = random.Random(20261125)
    Place.objects.bulk_create(
        Place(
            name=f"Place {i:02}", latitude=rng.uniform(50.0, 58.5), longitude=rng.uniform(-5.5, 1.7)
        )
        for i in range(60)
    )
    Place.objects.create(name="Nowhere", latitude=None, longitude=None)
    Place.objects.create(name="Half somewhere", latitude=53.8, longitude=None)
    return list(Place.objects.exclude(latitude=None).exclude(longitude=None))


def python_order(places, origin):
    return sorted(places, key=lambda p: (geo.haversine_km(origin, (p.latitude, p.longitude)), p.pk))


def test_distance_order_is_true_great_circle_order(scattered_places):
    results = list(geo.annotate_distance(Place.objects.all(), *LEEDS).order_by("distance_km", "pk"))
    assert [p.pk for p in results] == [p.pk for p in python_order(scattered_places, LEEDS)]
    for place in results:
        expected = geo.haversine_km(LEEDS, (place.latitude, place.longitude))
        assert place.distance_km == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert "Nowhere" not in [p.name for p in results]  # no location, no distance


def test_within_km_keeps_exactly_the_places_that_close(scattered_places):
    distances = sorted(geo.haversine_km(LEEDS, (p.latitude, p.longitude)) for p in scattered_places)
    # A radius halfway between two places' distances, so rounding cannot matter.
    radius = (distances[14] + distances[15]) / 2
    results = list(
        geo.annotate_distance(Place.objects.all(), *LEEDS, within_km=radius).order_by(
            "distance_km", "pk"
        )
    )
    assert [p.pk for p in results] == [p.pk for p in python_order(scattered_places, LEEDS)[:15]]
    assert list(geo.annotate_distance(Place.objects.all(), *LEEDS, within_km=-1)) == []


def test_distance_works_on_a_search_and_costs_one_query(scattered_places):
    from core import search

    place = Place.objects.get(name="Place 07")
    place.description = "A befriending service"
    place.save()
    search.search_index_update(place)
    queryset = geo.annotate_distance(
        search.search_filter(Place.objects.all(), "befriending"), *LEEDS, within_km=2000
    ).order_by("distance_km", "pk")
    with CaptureQueriesContext(connection) as ctx:
        results = list(queryset)
    assert [p.name for p in results] == ["Place 07"]
    assert results[0].search_rank == 3 and results[0].distance_km > 0
    assert len(ctx.captured_queries) == 1
