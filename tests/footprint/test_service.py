"""The calculators: worked examples by hand from the factor file's values, the ceiling rule, and the limits."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from app.core.errors import AppError
from app.footprint import service
from app.footprint.factors import catalogue
from app.footprint.schemas import DayIn, EventIn, TravelGroup, TripIn


def _kg(f: object) -> tuple[str, int]:
    return f.kg, f.offset_kg  # type: ignore[attr-defined]


class TestTrip:
    def test_train_from_chengdu_to_jiuzhaigou_for_two_with_two_hotel_nights(self) -> None:
        """Worked example T1 (docs/footprint.md).

        Preset great-circle distance chengdu → jiuzhaigou = 290 km; by land × routing factor 1.3 = 377 km one way.
        Return trip, 2 people: 377 × 2 × 2 = 1508 passenger-km × factor.rail 0.03546 = 53.47368 kg.
        Hotel: 2 nights × 1 room × factor.hotel_cn 53.5 = 107 kg.
        Total 160.47368 kg → offset ceil = 161 kg.
        """
        f = service.trip(TripIn(mode="rail", origin="chengdu", destination="jiuzhaigou", people=2, hotel_nights=2))
        assert [(line.item, line.quantity, line.kg) for line in f.lines] == [
            ("rail", "1508", "53.47368"),
            ("hotel", "2", "107"),
        ]
        assert _kg(f) == ("160.47368", 161)
        assert f.buy_url == "/market?kg=161&purpose=trip"
        assert f.factor_set_version == "1.0.0" and f.factor_set_sha256 == catalogue().current.sha256
        assert any("1.3" in note for note in f.notes), "a preset land trip says it used the routing factor"

    def test_a_1500_km_flight_is_short_haul_with_radiative_forcing_unless_unticked(self) -> None:
        """T2: 1500 km < 3700 km → short-haul. Return: 3000 passenger-km.
        With RF 3000 × 0.12786 = 383.58 kg → 384; without RF 3000 × 0.07559 = 226.77 kg → 227.
        """
        with_rf = service.trip(TripIn(mode="air", distance_km=Decimal(1500)))
        without = service.trip(TripIn(mode="air", distance_km=Decimal(1500), radiative_forcing=False))
        assert _kg(with_rf) == ("383.58", 384) and with_rf.lines[0].factor.key == "factor.air_short_haul_rf"
        assert _kg(without) == ("226.77", 227) and without.lines[0].factor.key == "factor.air_short_haul"

    def test_the_long_haul_band_starts_at_exactly_3700_km(self) -> None:
        """T3, one way: 3700 km × 0.15282 = 565.434 kg → 566; 3699.9 km × 0.12786 = 473.069214 kg → 474."""
        at = service.trip(TripIn(mode="air", distance_km=Decimal(3700), return_trip=False))
        below = service.trip(TripIn(mode="air", distance_km=Decimal("3699.9"), return_trip=False))
        assert _kg(at) == ("565.434", 566) and at.lines[0].factor.key == "factor.air_long_haul_rf"
        assert _kg(below) == ("473.069214", 474) and below.lines[0].factor.key == "factor.air_short_haul_rf"

    def test_a_preset_flight_uses_the_great_circle_without_the_routing_factor(self) -> None:
        """T5: chengdu → daocheng great-circle 407 km, return, 1 person: 814 × 0.12786 = 104.07804 kg → 105."""
        f = service.trip(TripIn(mode="air", origin="chengdu", destination="daocheng"))
        assert _kg(f) == ("104.07804", 105)
        assert not any("1.3" in note for note in f.notes)

    def test_a_car_counts_vehicles_not_the_people_in_it(self) -> None:
        """T4: 100 km, return, 3 people in 1 petrol car: 200 vehicle-km × 0.16272 = 32.544 kg → 33."""
        f = service.trip(TripIn(mode="car_petrol", distance_km=Decimal(100), people=3))
        assert _kg(f) == ("32.544", 33) and f.lines[0].quantity_unit == "车公里"
        two_cars = service.trip(TripIn(mode="car_petrol", distance_km=Decimal(100), people=3, vehicles=2))
        assert two_cars.kg == "65.088"

    def test_the_places_may_be_given_either_way_round(self) -> None:
        there = service.trip(TripIn(mode="coach", origin="chengdu", destination="emeishan"))
        back = service.trip(TripIn(mode="coach", origin="emeishan", destination="chengdu"))
        assert there.kg == back.kg


class TestDay:
    def test_a_year_of_electricity_and_metro_commuting(self) -> None:
        """D1: 365 days × 5 kWh = 1825 kWh × 0.5306 = 968.345 kg;
        365 × 12 km metro = 4380 passenger-km × 0.0286 = 125.268 kg. Total 1093.613 kg → 1094, purpose personal.
        """
        f = service.day(
            DayIn(days=365, electricity_kwh_per_day=Decimal(5), commute_km_per_day={"metro": Decimal(12)}), "en"
        )
        assert [(line.label, line.quantity, line.kg) for line in f.lines] == [
            ("Household electricity", "1825", "968.345"),
            ("Metro", "4380", "125.268"),
        ]
        assert _kg(f) == ("1093.613", 1094) and f.buy_url == "/market?kg=1094&purpose=personal"

    def test_a_flight_is_not_a_commute(self) -> None:
        with pytest.raises(AppError) as e:
            service.day(DayIn(commute_km_per_day={"air": Decimal(10)}))
        assert e.value.key == "footprint.unknown_commute_mode"


class TestEvent:
    def test_a_two_day_conference_with_flights_and_coaches(self) -> None:
        """E1: venue 3000 kWh × 2 days = 6000 kWh × 0.5306 = 3183.6 kg; hotel 150 room-nights × 53.5 = 8025 kg;
        50 flyers × 1500 km × 2 = 150000 passenger-km × 0.12786 = 19179 kg;
        150 by coach × 120 km × 2 = 36000 passenger-km × 0.02776 = 999.36 kg.
        Total 31386.96 kg → 31387, purpose event.
        """
        f = service.event(
            EventIn(
                attendees=200,
                days=2,
                venue_kwh_per_day=Decimal(3000),
                hotel_room_nights=150,
                travel=[TravelGroup("air", 50, Decimal(1500)), TravelGroup("coach", 150, Decimal(120))],
            )
        )
        assert [line.kg for line in f.lines] == ["3183.6", "8025", "19179", "999.36"]
        assert _kg(f) == ("31386.96", 31387) and f.purpose == "event"

    def test_travellers_cannot_outnumber_the_attendees_but_cars_are_not_people(self) -> None:
        with pytest.raises(AppError) as e:
            service.event(EventIn(attendees=10, travel=[TravelGroup("rail", 11, Decimal(50))]))
        assert e.value.key == "footprint.limit.travellers_exceed_attendees"
        ok = service.event(EventIn(attendees=10, travel=[TravelGroup("car_diesel", 12, Decimal(50))]))
        assert ok.kg == "207.648"  # 12 cars × 100 vehicle-km × 0.17304


class TestCeiling:
    def test_an_exact_whole_kg_is_not_rounded_up(self) -> None:
        """2 room-nights × 53.5 = 107 kg exactly → offset 107, not 108."""
        assert _kg(service.event(EventIn(attendees=1, hotel_room_nights=2))) == ("107", 107)

    def test_any_fraction_of_a_kg_buys_a_whole_kg(self) -> None:
        """1 kWh × 0.5306 = 0.5306 kg → 1 kg."""
        assert _kg(service.day(DayIn(electricity_kwh_per_day=Decimal(1)))) == ("0.5306", 1)

    def test_nothing_entered_is_refused_rather_than_offering_zero_kg(self) -> None:
        with pytest.raises(AppError) as e:
            service.day(DayIn())
        assert e.value.key == "footprint.nothing_entered"

    def test_exact_decimal_is_exact(self) -> None:
        assert service.exact_decimal(Fraction(1, 8)) == "0.125"
        assert service.exact_decimal(Fraction(377)) == "377"
        with pytest.raises(ValueError):
            service.exact_decimal(Fraction(1, 3))


class TestLimits:
    @pytest.mark.parametrize(
        ("call", "key", "limit", "given"),
        [
            (lambda: service.trip(TripIn(mode="rail", distance_km=Decimal(20001))), "distance_km_max", 20000, "20001"),
            (lambda: service.trip(TripIn(mode="rail", distance_km=Decimal(10), people=101)), "people_max", 100, "101"),
            (
                lambda: service.trip(TripIn(mode="rail", distance_km=Decimal(10), hotel_nights=61)),
                "hotel_nights_max",
                60,
                "61",
            ),
            (lambda: service.day(DayIn(days=367, electricity_kwh_per_day=Decimal(1))), "days_max", 366, "367"),
            (lambda: service.event(EventIn(attendees=100001)), "attendees_max", 100000, "100001"),
        ],
    )
    def test_each_limit_is_refused_with_a_message_naming_it(
        self, call: object, key: str, limit: int, given: str
    ) -> None:
        with pytest.raises(AppError) as e:
            call()  # type: ignore[operator]
        assert e.value.key == f"footprint.limit.{key}"
        assert e.value.params["limit"] == limit and str(e.value.params["given"]) == given
        assert e.value.detail["limit"] == str(limit)

    def test_the_limit_itself_is_allowed(self) -> None:
        assert service.trip(TripIn(mode="rail", distance_km=Decimal(20000), return_trip=False)).kg == "709.2"

    def test_a_trip_needs_a_distance_or_both_places(self) -> None:
        with pytest.raises(AppError) as e:
            service.trip(TripIn(mode="rail", destination="jiuzhaigou"))
        assert e.value.key == "footprint.distance_or_places"
        with pytest.raises(AppError) as e:
            service.trip(TripIn(mode="rail", origin="atlantis", destination="jiuzhaigou"))
        assert e.value.key == "footprint.unknown_place"

    def test_zero_or_negative_distance_is_refused(self) -> None:
        for km in ("0", "-5", "NaN"):
            with pytest.raises(AppError) as e:
                service.trip(TripIn(mode="rail", distance_km=Decimal(km)))
            assert e.value.key == "footprint.positive_number"

    def test_absurd_exponents_are_refused_before_any_arithmetic(self) -> None:
        """`Fraction(Decimal("1E+999999999"))` would build a billion-digit number; the limits come first."""
        with pytest.raises(AppError) as e:
            service.trip(TripIn(mode="rail", distance_km=Decimal("1E+999999999")))
        assert e.value.key == "footprint.limit.distance_km_max"
        with pytest.raises(AppError) as e:
            service.trip(TripIn(mode="rail", distance_km=Decimal("1E-999999999")))
        assert e.value.key == "footprint.too_many_decimals"
        assert (
            service.trip(TripIn(mode="rail", distance_km=Decimal("10.5000000000"), return_trip=False)).kg == "0.37233"
        )
