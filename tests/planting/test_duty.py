"""The 义务植树 duty: men 11–60 and women 11–55 (age on the planting date) get a 尽责证书, anybody else
or unknown a 荣誉证书; one certificate per person per Beijing year whose trees accumulate; the yearly
tally toward 3 trees; the optional, encrypted birth date and sex (or the verified ID number)."""

from __future__ import annotations

from datetime import date

import pytest

from app.accounts import privacy
from app.core.errors import AppError
from app.core.i18n import BEIJING
from app.planting import service
from models.audit import AuditEvent
from models.planting import DutyCertificate, DutyProfile
from tests.helpers import signed_in
from tests.planting.builders import planting_campaign, submitted

DAY = date(2027, 3, 12)


def born_years_before(years: int, *, days_after: int = 0) -> date:
    """A birth date making the person exactly `years` old on DAY (a day later: one day short of it)."""
    return date(DAY.year - years, DAY.month, DAY.day + days_after)


class TestAgeRule:
    @pytest.mark.parametrize(
        ("sex", "age", "kind"),
        [
            ("m", 10, "honour"),
            ("m", 11, "duty"),
            ("m", 60, "duty"),
            ("m", 61, "honour"),
            ("f", 10, "honour"),
            ("f", 11, "duty"),
            ("f", 55, "duty"),
            ("f", 56, "honour"),
            ("f", 60, "honour"),
        ],
    )
    def test_the_national_age_bounds(self, sex: str, age: int, kind: str) -> None:
        assert service.kind_for(sex, born_years_before(age), DAY) == kind

    def test_age_counts_from_the_birthday_itself(self) -> None:
        assert service.kind_for("m", born_years_before(11), DAY) == "duty"  # the 11th birthday
        assert service.kind_for("m", born_years_before(11, days_after=1), DAY) == "honour"  # tomorrow
        assert service.kind_for("m", born_years_before(61, days_after=1), DAY) == "duty"  # still 60 today
        assert service.kind_for("f", born_years_before(56, days_after=1), DAY) == "duty"  # still 55 today

    @pytest.mark.parametrize(
        ("sex", "born"), [(None, date(1990, 1, 1)), ("m", None), (None, None), ("x", date(1990, 1, 1))]
    )
    def test_unknown_sex_or_birth_date_is_honour(self, sex, born) -> None:  # type: ignore[no-untyped-def]
        assert service.kind_for(sex, born, DAY) == "honour"

    def test_a_leap_day_birthday_turns_a_year_older_on_the_first_of_march(self) -> None:
        assert service.age_on(date(2016, 2, 29), date(2027, 2, 28)) == 10
        assert service.age_on(date(2016, 2, 29), date(2027, 3, 1)) == 11


class TestCertificate:
    async def test_unknown_details_give_an_honour_certificate(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted, count=2)
        decision = await service.approve(settings, planted.organiser, log.public_id)
        assert decision.certificate is not None and decision.certificate.kind == "honour"

    async def test_a_man_of_thirty_gets_a_duty_certificate(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        user, _ = await signed_in(settings)
        await service.set_profile(settings, user, date(1997, 5, 1), "m")
        log = await submitted(settings, planted, user=user)
        decision = await service.approve(settings, planted.organiser, log.public_id)
        assert decision.certificate is not None and decision.certificate.kind == "duty"

    async def test_a_woman_of_sixty_gets_an_honour_certificate(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        user, _ = await signed_in(settings)
        log = await submitted(settings, planted, user=user)
        born = date(log.planted_on.year - 60, 1, 1)
        await service.set_profile(settings, user, born, "f")
        assert service.age_on(born, log.planted_on) == 60
        decision = await service.approve(settings, planted.organiser, log.public_id)
        assert decision.certificate is not None and decision.certificate.kind == "honour"

    async def test_the_verified_id_number_decides_over_the_profile(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        user, _ = await signed_in(settings)
        await service.set_profile(settings, user, date(1940, 1, 1), "f")  # would be honour
        # A valid resident ID number of a man born 1990-03-07 (digit 17 odd).
        number = _id_number("110101", date(1990, 3, 7), male=True)
        await privacy.set_identity(settings, user, "张三丰", number)
        who = await service.person(settings, user)
        assert who.from_id_number and who.sex == "m" and who.birth_date == date(1990, 3, 7)
        log = await submitted(settings, planted, user=user)
        decision = await service.approve(settings, planted.organiser, log.public_id)
        assert decision.certificate is not None and decision.certificate.kind == "duty"
        assert service.masked_holder(settings, await log.user) == "张**"

    async def test_one_certificate_per_year_accumulates_trees_and_campaigns(self, db, settings) -> None:
        settings = settings.with_(campaign_checkins_per_day=10)
        spring = await planting_campaign(settings)
        autumn = await planting_campaign(settings, slug="autumn")
        user, _ = await signed_in(settings)
        first = await submitted(settings, spring, count=1, user=user)
        second = await submitted(settings, autumn, count=4, user=user)
        one = await service.approve(settings, spring.organiser, first.public_id)
        two = await service.approve(settings, autumn.organiser, second.public_id)
        assert one.certificate is not None and two.certificate is not None
        assert one.certificate.code == two.certificate.code
        cert = await DutyCertificate.get(user_id=user.id)
        assert cert.trees == 5 and cert.campaigns == ["spring", "autumn"]
        assert await DutyCertificate.filter(user_id=user.id).count() == 1
        actions = await AuditEvent.filter(entity_id=cert.code).order_by("id").values_list("action", flat=True)
        assert actions == ["planting.certificate.issued", "planting.certificate.credited"]

    async def test_another_year_gets_its_own_certificate(self, db, settings) -> None:
        user, _ = await signed_in(settings)
        a = await service.credit_certificate(settings, user, date(2026, 3, 12), 2, "spring", actor="test", source="t")
        b = await service.credit_certificate(settings, user, date(2027, 3, 12), 3, "spring", actor="test", source="t")
        assert a.code != b.code and (a.year, a.trees) == (2026, 2) and (b.year, b.trees) == (2027, 3)

    async def test_a_rejected_log_adds_nothing(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted, count=3)
        await service.reject(planted.organiser, log.public_id, "照片不清楚")
        tally = await service.duty_tally(await log.user, log.planted_on.year)
        assert tally.trees == 0 and tally.certificate is None

    async def test_setting_the_profile_later_rejudges_the_certificate(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        user, _ = await signed_in(settings)
        log = await submitted(settings, planted, user=user)
        await service.approve(settings, planted.organiser, log.public_id)
        assert (await DutyCertificate.get(user_id=user.id)).kind == "honour"
        await service.set_profile(settings, user, date(1990, 1, 1), "f")
        assert (await DutyCertificate.get(user_id=user.id)).kind == "duty"
        assert await AuditEvent.filter(action="planting.certificate.rejudged").count() == 1


class TestTally:
    async def test_trees_this_year_against_the_three_tree_duty(self, db, settings) -> None:
        settings = settings.with_(campaign_checkins_per_day=10)
        spring = await planting_campaign(settings)
        autumn = await planting_campaign(settings, slug="autumn")
        user, _ = await signed_in(settings)
        first = await submitted(settings, spring, count=2, user=user)
        year = first.planted_on.year
        await service.approve(settings, spring.organiser, first.public_id)
        tally = await service.duty_tally(user, year)
        assert (tally.trees_planted, tally.trees, tally.done) == (2, 2, False)
        second = await submitted(settings, autumn, count=1, user=user)
        assert (await service.duty_tally(user, year)).trees == 2  # submitted, not yet approved
        await service.approve(settings, autumn.organiser, second.public_id)
        tally = await service.duty_tally(user, year)
        assert (tally.trees, tally.duty_trees, tally.done) == (3, 3, True)
        assert tally.certificate is not None and tally.certificate.trees == tally.trees_planted
        assert (await service.duty_tally(user, year - 1)).trees == 0

    async def test_a_registered_source_adds_trees_in_lieu(self, db, settings) -> None:
        user, _ = await signed_in(settings)

        async def donated(who, year):  # type: ignore[no-untyped-def]
            return 3 if who.id == user.id and year == 2027 else 0

        async def donated_on(who, year):  # type: ignore[no-untyped-def]
            return [date(2027, 3, 12)] if who.id == user.id and year == 2027 else []

        service.register_tally_source("test-donations", donated, donated_on)
        try:
            tally = await service.duty_tally(user, 2027)
            assert (tally.trees_planted, tally.trees_in_lieu, tally.done) == (0, 3, True)
            assert await service.credit_dates(user, 2027) == [date(2027, 3, 12)]
        finally:
            service._TALLY_SOURCES.pop("test-donations")
            service._DATES_SOURCES.pop("test-donations")


class TestProfile:
    async def test_it_is_stored_encrypted_optional_and_audited_without_values(self, db, settings) -> None:
        user, _ = await signed_in(settings)
        who = await service.set_profile(settings, user, date(1988, 8, 8), "f")
        assert (who.birth_date, who.sex, who.from_id_number) == (date(1988, 8, 8), "f", False)
        row = await DutyProfile.get(user_id=user.id)
        assert b"1988" not in bytes(row.birth_date_enc) and bytes(row.sex_enc) != b"f"
        event = await AuditEvent.get(action="planting.profile_set", entity_id=user.public_id)
        assert "1988" not in str(event.after)
        cleared = await service.set_profile(settings, user, None, None)
        assert (cleared.birth_date, cleared.sex) == (None, None)

    async def test_a_future_birth_date_is_400(self, db, settings) -> None:
        user, _ = await signed_in(settings)
        from datetime import datetime, timedelta

        tomorrow = datetime.now(BEIJING).date() + timedelta(days=1)
        with pytest.raises(AppError) as refused:
            await service.set_profile(settings, user, tomorrow, "m")
        assert refused.value.key == "planting.bad_birth_date"

    async def test_account_deletion_forgets_it_and_the_export_lists_the_logs(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        user, _ = await signed_in(settings)
        await service.set_profile(settings, user, date(1988, 8, 8), "f")
        log = await submitted(settings, planted, user=user)
        document = await privacy.export_user_data(settings, user)
        assert document["planting"]["logs"][0]["log"] == log.public_id
        assert document["planting"]["profile"] == {"birth_date": "1988-08-08", "sex": "f"}
        await privacy.delete_account(user, confirmed=True)
        assert not await DutyProfile.exists()


def _id_number(area: str, born: date, *, male: bool) -> str:
    body = f"{area}{born:%Y%m%d}01{1 if male else 2}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
