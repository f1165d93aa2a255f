"""certificate(code): everything public about one retirement, assembled from the registry itself."""

from __future__ import annotations

from datetime import date

import pytest

from app.certificates import service
from app.core.errors import NotFound
from app.credits import inventory, reversal
from models.credits import CreditSupply, Retirement
from tests.certificates.helpers import FULL_NAME, real_issuances, retire, sized_issuance

BASE = "https://microsink.example.cn"


class TestCertificate:
    async def test_it_assembles_a_retirement_made_through_the_credits_services(self, db, settings) -> None:
        (first, second), project = await real_issuances(settings, periods=2)
        sellable_first = await inventory.sellable_kg(first.public_id)
        sellable_second = await inventory.sellable_kg(second.public_id)
        assert sellable_first >= 1 and sellable_second >= 1
        kg = sellable_first + 1  # all of the first issuance and one unit of the second: two issuances
        code = await retire(
            "order:two", kg, project=project.public_id, beneficiary_shown="full", purpose_reference="G8 川西自驾"
        )

        cert = await service.certificate(code, BASE)

        assert cert.code == code and cert.kg == kg
        assert (cert.beneficiary, cert.beneficiary_shown) == (FULL_NAME, "full")
        assert (cert.purpose, cert.purpose_reference) == ("trip", "G8 川西自驾")
        assert [i.id for i in cert.issuances] == [first.public_id, second.public_id]
        assert [i.kg for i in cert.issuances] == [sellable_first, 1]
        assert sum(s.quantity for s in cert.serials) == kg
        assert all(s.status == "retired" for s in cert.serials)
        blocks = await Retirement.filter(certificate_code=code).select_related("block")
        assert sorted(s.serial for s in cert.serials) == sorted(r.block.display for r in blocks)
        for issued, shown in zip((first, second), cert.issuances, strict=True):
            assert shown.vintage == issued.vintage
            assert shown.methodology.id == issued.methodology_id == "SC-LCP-AFF"
            assert shown.methodology.version == issued.methodology_version
            assert shown.methodology.parameter_sha256 == issued.parameter_sha256 and len(issued.parameter_sha256) == 64
            assert (
                shown.project.id == project.public_id and shown.project.url == f"/registry/projects/{project.public_id}"
            )
            assert shown.project.county_name.startswith("四川省")
            assert [p.id for p in shown.parcels] == issued.parcel_public_ids
            assert all(p.url == f"/registry/parcels/{p.id}" for p in shown.parcels)
            assert shown.basis in ("ex_ante", "ex_post")  # the approved estimates' basis
            assert {p.basis for p in shown.parcels} == {shown.basis}
        assert cert.links.page == f"{BASE}/certificates/{code}"
        assert cert.reversals == []

    async def test_the_retirement_date_is_written_in_beijing_time(self, db, settings) -> None:
        from datetime import UTC, datetime

        assert service.retired_on(datetime(2026, 12, 5, 17, 30, tzinfo=UTC), "zh") == "2026年12月6日"
        assert service.retired_on(datetime(2026, 12, 5, 15, 59, tzinfo=UTC), "en") == "December 5, 2026"

    def test_the_lookup_knows_the_alphabet_and_length_retire_draws_codes_from(self) -> None:
        drawn = [inventory.new_certificate_code() for _ in range(200)]
        assert all(service.normalise_code(code) == code for code in drawn)
        assert set("".join(drawn)) <= service.CODE_ALPHABET and not set("01OI") & service.CODE_ALPHABET

    async def test_codes_are_case_insensitive_and_may_be_typed_in_groups(self, db, settings) -> None:
        issuance, _, _ = await sized_issuance(settings)
        code = await retire("order:case", 10, issuance=issuance.public_id)
        typed = " ".join(code.lower()[i : i + 4] for i in range(0, 16, 4))
        assert (await service.certificate(typed, BASE)).code == code
        assert (await service.certificate("-".join(code[i : i + 4] for i in range(0, 16, 4)), BASE)).code == code

    @pytest.mark.parametrize(
        "typed", ["", "SHORT", "0" * 16, "O" * 16, "I" * 16, "1" * 16, "AAAA'; DROP TABLE x", "A" * 17]
    )
    async def test_impossible_codes_are_not_found_like_unknown_ones(self, db, settings, typed) -> None:
        with pytest.raises(NotFound) as refused:
            await service.certificate(typed, BASE)
        assert refused.value.key == "certificates.not_found"

    async def test_an_unknown_code_is_not_found(self, db, settings) -> None:
        issuance, _, _ = await sized_issuance(settings)
        await retire("order:known", 5, issuance=issuance.public_id)
        with pytest.raises(NotFound):
            await service.certificate(inventory.new_certificate_code(), BASE)


class TestPrivacy:
    async def test_a_masked_beneficiary_shows_the_first_character_only_and_no_reference(self, db, settings) -> None:
        issuance, _, _ = await sized_issuance(settings)
        code = await retire(
            "order:m", 10, issuance=issuance.public_id, beneficiary="张三丰", beneficiary_shown="masked",
            purpose_reference="给张三丰的生日礼物",
        )  # fmt: skip
        cert = await service.certificate(code, BASE)
        assert (cert.beneficiary, cert.purpose_reference) == ("张**", None)

    async def test_a_hidden_beneficiary_is_null(self, db, settings) -> None:
        issuance, _, _ = await sized_issuance(settings)
        code = await retire("order:h", 10, issuance=issuance.public_id, beneficiary_shown="hidden")
        cert = await service.certificate(code, BASE)
        assert (cert.beneficiary, cert.beneficiary_shown, cert.purpose_reference) == (None, "hidden", None)

    async def test_a_courts_case_number_stays_public_unless_it_names_the_person(self, db, settings) -> None:
        issuance, _, _ = await sized_issuance(settings)
        case = await retire(
            "order:c1", 10, issuance=issuance.public_id, purpose="court_case", beneficiary_shown="masked",
            purpose_reference="（2026）川0112刑初123号",
        )  # fmt: skip
        named = await retire(
            "order:c2", 10, issuance=issuance.public_id, purpose="court_case", beneficiary_shown="masked",
            purpose_reference=f"{FULL_NAME}案",
        )  # fmt: skip
        assert (await service.certificate(case, BASE)).purpose_reference == "（2026）川0112刑初123号"
        assert (await service.certificate(named, BASE)).purpose_reference is None


class TestReversal:
    async def test_a_loss_made_good_by_the_buffer_is_shown_with_its_event(self, db, settings) -> None:
        issuance, project, verifier = await sized_issuance(settings, kg=100, buffer=25)
        code = await retire("order:r", 100, issuance=issuance.public_id)
        assert (await service.certificate(code, BASE)).reversals == []
        event = await reversal.record_loss(verifier, project.public_id, "fire", date(2026, 3, 1), 20)
        assert event.buffer_drawn_kg == 20
        cert = await service.certificate(code, BASE)
        assert [(r.id, r.cause, r.occurred_on, r.covered_by) for r in cert.reversals] == [
            (event.public_id, "fire", date(2026, 3, 1), "buffer_pool")
        ]
        assert cert.kg == 100  # the offset stands: the pool cancelled its own units instead
        assert (await CreditSupply.get(issuance_id=issuance.id)).retired == 100
