"""The trusted issuers file: what it accepts, what it refuses, and the points rate's arithmetic."""

from __future__ import annotations

import base64
import hashlib
from fractions import Fraction
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from app.cli import main
from app.portable import imports, issuers, service
from app.settings import Settings
from models.accounts import User
from models.portable import ImportedEntry, PortableClaim
from tests.portable.conftest import OTHER_SEED

KEY = hashlib.sha256(b"k").digest()  # any 32 bytes stand for a public key here
RAW = base64.urlsafe_b64encode(KEY).decode()


def entry(**changes: object) -> str:
    fields: dict[str, object] = {
        "id": "chengdu-tanhui",
        "url": "https://Tanhui.Chengdu.example/",
        "name_zh": "成都碳惠",
        "name_en": "Chengdu Tanhui",
        "points_rate": "1/2",
    } | changes
    lines = ["[[issuer]]"] + [f'{k} = "{v}"' for k, v in fields.items() if v is not None]
    return "\n".join(lines) + f'\n[[issuer.keys]]\nkey_id = "{issuers.key_id_of(KEY)}"\npublic_key = "{RAW}"\n'


class TestParse:
    def test_an_entry_is_read_with_its_url_normalised(self) -> None:
        found = issuers.parse(entry())
        issuer = found["https://tanhui.chengdu.example"]
        assert issuer.slug == "chengdu-tanhui" and issuer.rate == (1, 2) and issuer.accepts_points
        assert issuer.keys == {issuers.key_id_of(KEY): KEY} and issuer.name("en") == "Chengdu Tanhui"

    def test_achievements_only_is_rate_zero(self) -> None:
        issuer = issuers.parse(entry(points_rate="0"))["https://tanhui.chengdu.example"]
        assert not issuer.accepts_points and issuer.credit_for(1000) == 0

    @pytest.mark.parametrize(
        ("text", "problem"),
        [
            (entry(points_rate="1/0"), "non-zero denominator"),
            (entry(points_rate="half"), "points_rate"),
            (entry(points_rate="101"), "at most 100"),
            (entry(id="Chengdu Tanhui"), "lowercase"),
            (entry(url="ftp://x.example"), "http(s)"),
            (entry(name_en=None), "name_en"),
            (entry(colour="green"), "unknown field"),
            (entry() + entry(id="again"), "listed twice"),
            (entry().replace(issuers.key_id_of(KEY), "0" * 16), "does not match"),
            (entry().replace(RAW, "c2hvcnQ="), "32 bytes"),
        ],
    )
    def test_a_malformed_file_is_refused_naming_the_problem(self, text: str, problem: str) -> None:
        with pytest.raises(issuers.IssuersError, match=problem.replace("(", r"\(").replace(")", r"\)")):
            issuers.parse(text)

    def test_the_shipped_file_loads(self) -> None:
        assert issuers.trusted(Settings()) == {}

    @given(
        moved=st.integers(1, 10**12),
        numerator=st.integers(0, 100),
        denominator=st.integers(1, 100),
    )
    def test_the_credit_is_the_exact_rate_rounded_down(self, moved: int, numerator: int, denominator: int) -> None:
        issuer = issuers.TrustedIssuer("x", "https://x", "x", "x", {}, (numerator, denominator))
        credit = issuer.credit_for(moved)
        exact = Fraction(moved * numerator, denominator)
        assert isinstance(credit, int) and credit <= exact < credit + 1


class TestIssuerEntryCommand:
    def test_the_printed_block_is_what_another_platform_loads_to_trust_us(self, capsys, monkeypatch) -> None:
        monkeypatch.setenv("BASE_URL", "https://microsink.example/")
        monkeypatch.setenv("RECORD_SIGNING_KEY", base64.urlsafe_b64encode(OTHER_SEED).decode())
        assert main(["portable-issuer-entry", "--rate", "2/3"]) == 0
        loaded = issuers.parse(capsys.readouterr().out)["https://microsink.example"]
        settings = Settings.from_env()
        assert loaded.keys == {service.key_id(settings): service.public_key_raw(settings)} and loaded.rate == (2, 3)

    def test_a_bad_rate_is_refused(self, capsys) -> None:
        assert main(["portable-issuer-entry", "--rate", "1/0"]) == 2
        assert "denominator" in capsys.readouterr().out


ids = st.sampled_from([f"p{i}" for i in range(8)])


@hypothesis_settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(exports=st.lists(st.lists(ids, max_size=6), min_size=1, max_size=4))
async def test_any_overlapping_exports_count_each_planting_once(db, settings, other, exports) -> None:
    """However the exports overlap, and in whatever order they arrive, each tree counts once."""
    user = await User.create(public_id=uuid4().hex[:26])
    run = uuid4().hex[:6]  # examples share the database: each uses entry ids of its own
    added = 0
    for listed in exports:
        code, _ = await imports.issue_claim(settings, user)
        plantings = [{"id": f"{run}-{i}", "planted_on": "2026-03-12", "trees": 2} for i in listed]
        document = {
            "format": service.FORMAT,
            "issuer": other.base_url,
            "subject": "user:someone",
            "issued_at": (await PortableClaim.filter(user_id=user.id).order_by("-id").first()).created_at.isoformat(),  # type: ignore[union-attr]
            "audience": settings.base_url,
            "claim_code": code,
            "points": {"moved_out": None},
            "planting": plantings,
            "retirements": [],
        }
        done = await imports.import_record(settings, user, service.sign_document(other, document))
        added += done.record.planting_new
        again = await imports.import_record(settings, user, service.sign_document(other, document))
        assert again.record.id == done.record.id  # the same document again: a replay, nothing added
    distinct = {i for listed in exports for i in listed}
    assert added == len(distinct) == await ImportedEntry.filter(user_id=user.id).count()
    assert (await imports.summary(user, 2026)).this_year.trees == 2 * len(distinct)
