"""Campaign files: every problem named by file, line and field; all files or none; upsert by slug, audited."""

from __future__ import annotations

from pathlib import Path

from app.accounts import service as accounts
from app.accounts.cli import DEMO_ORGANISATIONS
from app.campaigns import files, service
from app.campaigns.sync import CAMPAIGNS_DIR, sync
from models.accounts import Organisation
from models.audit import AuditEvent
from models.campaigns import Booking, Campaign, Site, Slot
from tests.helpers import signed_in

GOOD = """\
slug = "spring"
title_zh = "春季植树"
title_en = "Spring planting"
story_zh = "种树。"
story_en = "Plant trees."
organiser = "{org}"
starts_on = 2027-03-01
ends_on = 2027-04-30
modes = ["plant"]
species = ["tree.cupressus"]

[goals]
trees = 100

[[sites]]
key = "hill"
name_zh = "山上"
name_en = "Hill"
lon = 104.33
lat = 30.55
county = "510112"
checkin_radius_m = 300

[[sites.slots]]
starts = 2027-03-12T09:00:00+08:00
ends = 2027-03-12T12:00:00+08:00
capacity = 40

[[sites.slots]]
starts = 2027-03-13T09:00:00+08:00
ends = 2027-03-13T12:00:00+08:00
capacity = 40
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


async def demo_organisations() -> None:
    for public_id, kind, name, county in DEMO_ORGANISATIONS:
        await Organisation.create(public_id=public_id, kind=kind, name=name, county_code=county)


class TestLocate:
    def test_finds_keys_in_arrays_of_tables_by_their_index(self) -> None:
        assert files.locate(GOOD, "sites[0].slots[1].capacity") == 32
        assert files.locate(GOOD, "sites[0].slots[0].starts") == 25
        assert files.locate(GOOD, "goals.trees") == 13
        assert files.locate(GOOD, "species[0]") == 10
        assert files.locate(GOOD, "sites[0].checkin_window") == 15  # missing key: the table's header


class TestValidation:
    async def test_each_problem_names_the_file_the_line_and_the_field(self, db, tmp_path) -> None:
        bad = (
            GOOD.format(org="o")
            .replace('species = ["tree.cupressus"]', 'species = ["tree.oak"]')
            .replace('county = "510112"', 'county = "510100"')
            .replace("capacity = 40\n\n[[sites.slots]]", "capacity = 0\n\n[[sites.slots]]")
            .replace("2027-03-13T09:00:00+08:00", "2027-03-12T11:00:00+08:00")
            .replace("ends_on = 2027-04-30", "ends_on = 2027-02-01")
        )
        write(tmp_path, "spring.toml", bad)
        report = await sync(tmp_path, include_demo=True)
        found = {(p.line, p.problem.field, p.problem.key) for p in report.problems}
        assert (10, "species[0]", "campaigns.species_unknown") in found
        assert (21, "sites[0].county", "regions.not_a_county") in found
        assert (27, "sites[0].slots[0].capacity", "campaigns.slot_capacity") in found
        assert (30, "sites[0].slots[1].starts", "campaigns.slot_overlap") in found
        assert (8, "ends_on", "campaigns.dates_order") in found
        described = [p.describe() for p in report.problems]
        assert any(d.startswith("spring.toml:27: sites[0].slots[0].capacity: 名额须大于 0") for d in described), (
            described
        )
        assert not await Campaign.exists()

    async def test_malformed_toml_and_wrong_types_and_unknown_fields_are_located(self, db, tmp_path) -> None:
        write(tmp_path, "broken.toml", 'slug = "broken"\ntitle_zh = [\n')
        write(
            tmp_path,
            "typed.toml",
            GOOD.format(org="o").replace('slug = "spring"', 'slug = "typed"').replace("trees = 100", 'trees = "many"'),
        )
        write(
            tmp_path,
            "extra.toml",
            GOOD.format(org="o")
            .replace('slug = "spring"', 'slug = "extra"')
            .replace("capacity = 40\n", "capacity = 40\ncolour = 1\n", 1),
        )
        report = await sync(tmp_path, include_demo=True)
        by_file = {p.file: p for p in report.problems}
        assert by_file["broken.toml"].problem.key == "campaigns.file.unreadable"
        assert (by_file["typed.toml"].line, by_file["typed.toml"].problem.field) == (13, "goals.trees")
        assert (by_file["extra.toml"].line, by_file["extra.toml"].problem.field) == (28, "sites[0].slots[0].colour")

    async def test_a_slot_without_a_utc_offset_is_refused(self, db, tmp_path) -> None:
        write(tmp_path, "spring.toml", GOOD.format(org="o").replace("2027-03-12T09:00:00+08:00", "2027-03-12T09:00:00"))
        report = await sync(tmp_path, include_demo=True)
        assert [(p.line, p.problem.field) for p in report.problems] == [(25, "sites[0].slots[0].starts")]

    async def test_the_file_name_must_be_the_slug(self, db, tmp_path) -> None:
        write(tmp_path, "autumn.toml", GOOD.format(org="o"))
        report = await sync(tmp_path, include_demo=True)
        assert [p.problem.key for p in report.problems] == ["campaigns.file.slug_mismatch"]

    async def test_a_slug_the_api_paths_use_is_refused(self, db, tmp_path) -> None:
        write(tmp_path, "bookings.toml", GOOD.format(org="o").replace('slug = "spring"', 'slug = "bookings"'))
        report = await sync(tmp_path, include_demo=True)
        assert [(p.line, p.problem.key) for p in report.problems] == [(1, "campaigns.slug_reserved")]

    async def test_demo_marking_must_be_whole(self, db, tmp_path) -> None:
        write(tmp_path, "demo-spring.toml", GOOD.format(org="o").replace('slug = "spring"', 'slug = "demo-spring"'))
        report = await sync(tmp_path, include_demo=True)
        assert [p.problem.key for p in report.problems] == ["campaigns.demo_marking"]


class TestSync:
    async def test_the_three_demo_campaigns_load_then_stay_unchanged(self, db) -> None:
        await demo_organisations()
        first = await sync(CAMPAIGNS_DIR, include_demo=True)
        assert first.ok, [p.describe() for p in first.problems]
        assert sorted(first.outcomes.values()) == ["created"] * 3
        slugs = set(await Campaign.all().values_list("slug", flat=True))
        assert slugs == {"demo-longquan", "demo-zoige-wetland", "demo-liangshan-bamboo"}
        assert all("【演示】" in c.title_zh and c.is_demo for c in await Campaign.all())
        again = await sync(CAMPAIGNS_DIR, include_demo=True)
        assert sorted(again.outcomes.values()) == ["unchanged"] * 3
        assert await AuditEvent.filter(action="campaign.created").count() == 3
        assert not await AuditEvent.filter(action="campaign.updated").exists()

    async def test_demo_files_are_left_out_when_demo_data_is_off(self, db) -> None:
        report = await sync(CAMPAIGNS_DIR, include_demo=False)
        assert report.ok and len(report.skipped) == 3 and not await Campaign.exists()

    async def test_a_dry_run_writes_nothing(self, db) -> None:
        await demo_organisations()
        report = await sync(CAMPAIGNS_DIR, include_demo=True, dry_run=True)
        assert sorted(report.outcomes.values()) == ["would be created"] * 3
        assert not await Campaign.exists() and not await AuditEvent.filter(entity_type="campaign").exists()

    async def test_one_bad_file_loads_nothing_at_all(self, db, tmp_path) -> None:
        org = await accounts.create_organisation("foundation", "基金会", None, "test")
        write(tmp_path, "spring.toml", GOOD.format(org=org.public_id))
        write(
            tmp_path,
            "autumn.toml",
            GOOD.format(org=org.public_id).replace('"spring"', '"autumn"').replace("capacity = 40", "capacity = 0", 1),
        )
        report = await sync(tmp_path, include_demo=True)
        assert [p.file for p in report.problems] == ["autumn.toml"]
        assert not await Campaign.exists()

    async def test_an_unknown_organiser_rolls_back_the_files_already_written(self, db, tmp_path) -> None:
        org = await accounts.create_organisation("foundation", "基金会", None, "test")
        write(tmp_path, "a-first.toml", GOOD.format(org=org.public_id).replace('"spring"', '"a-first"'))
        write(tmp_path, "b-second.toml", GOOD.format(org="nobody").replace('"spring"', '"b-second"'))
        report = await sync(tmp_path, include_demo=True)
        assert [(p.file, p.line, p.problem.key) for p in report.problems] == [
            ("b-second.toml", 6, "campaigns.organiser_unknown")
        ]
        assert not await Campaign.exists() and not await Site.exists()

    async def test_a_changed_file_updates_by_slug_and_the_audit_keeps_before_and_after(self, db, tmp_path) -> None:
        org = await accounts.create_organisation("foundation", "基金会", None, "test")
        path = write(tmp_path, "spring.toml", GOOD.format(org=org.public_id))
        await sync(tmp_path, include_demo=True)
        path.write_text(
            GOOD.format(org=org.public_id)
            .replace("capacity = 40", "capacity = 50", 1)
            .replace("trees = 100", "trees = 200")
        )
        report = await sync(tmp_path, include_demo=True)
        assert report.outcomes == {"spring.toml": "updated"}
        campaign = await Campaign.get(slug="spring")
        assert campaign.goal_trees == 200 and await Campaign.all().count() == 1
        assert sorted(await Slot.all().values_list("capacity", flat=True)) == [40, 50]
        event = await AuditEvent.get(action="campaign.updated", entity_id="spring")
        assert event.before["goals"]["trees"] == 100 and event.after["goals"]["trees"] == 200
        assert event.before["sites"][0]["slots"][0][2] == 40 and event.after["sites"][0]["slots"][0][2] == 50

    async def test_capacity_cannot_drop_below_the_bookings_already_taken(self, db, tmp_path, settings) -> None:
        org = await accounts.create_organisation("foundation", "基金会", None, "test")
        path = write(tmp_path, "spring.toml", GOOD.format(org=org.public_id))
        await sync(tmp_path, include_demo=True)
        slot = await Slot.all().order_by("starts_at").first()
        assert slot is not None
        for _ in range(3):
            user, _ = await signed_in(settings)
            await service.book(user, slot.id)
        path.write_text(GOOD.format(org=org.public_id).replace("capacity = 40", "capacity = 2", 1))
        report = await sync(tmp_path, include_demo=True)
        assert [(p.line, p.problem.key) for p in report.problems] == [(1, "campaigns.slot_capacity_below_booked")]
        assert (await Slot.get(id=slot.id)).capacity == 40
        # and a slot with bookings cannot simply vanish from the file
        path.write_text(
            GOOD.format(org=org.public_id)
            .replace("starts = 2027-03-12T09", "starts = 2027-03-14T09")
            .replace("ends = 2027-03-12T12", "ends = 2027-03-14T12")
        )
        report = await sync(tmp_path, include_demo=True)
        assert [p.problem.key for p in report.problems] == ["campaigns.slot_has_bookings"]
        assert await Booking.filter(slot_id=slot.id).count() == 3
