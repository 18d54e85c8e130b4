"""Merging two contacts or two organisations, and taking a merge back."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from coalition.domain import audit, campaigns, imports, merge, outreach, people, pipeline, privacy
from coalition.domain.imports import ContactRecord, ImportOptions
from coalition.errors import CoalitionError, NotFound
from coalition.store import search
from tests.conftest import ok

# --- helpers --------------------------------------------------------------------------------


def dump(path: Path, *, audit_up_to: int | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every coalition table's rows ordered by primary key, the search tables as their
    ``SELECT rowid, *`` shows them; without the merges table, and without the change-log
    entries after ``audit_up_to`` (those a merge and its undo add)."""
    con = sqlite3.connect(path)
    try:
        tables = [
            name
            for (name,) in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "ORDER BY name"
            )
        ]
        out: dict[str, list[tuple[Any, ...]]] = {}
        for name in tables:
            if name in (search.CONTACT_TABLE, search.ORGANISATION_TABLE):
                out[name] = con.execute(f"SELECT rowid, * FROM {name} ORDER BY rowid").fetchall()
                continue
            if name == "merges" or search.is_index_table(name):
                continue  # the merges themselves; the search tables' shadow tables
            columns = con.execute(f"PRAGMA table_info({name})").fetchall()
            keys = [c[1] for c in sorted(columns, key=lambda c: c[5]) if c[5]]
            order = ", ".join(keys) or "rowid"
            where = f" WHERE id <= {audit_up_to}" if name == "audit_log" and audit_up_to else ""
            out[name] = con.execute(f"SELECT * FROM {name}{where} ORDER BY {order}").fetchall()
        return out
    finally:
        con.close()


def last_audit(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        return int(con.execute("SELECT max(id) FROM audit_log").fetchone()[0] or 0)
    finally:
        con.close()


def assert_same(before: dict[str, Any], after: dict[str, Any]) -> None:
    assert before.keys() == after.keys()
    for table in before:
        assert after[table] == before[table], table


@pytest.fixture
def two_people(unit: Any) -> tuple[int, int]:
    """Jana Novak (kept) and her duplicate Jana Nováková, each with their own history."""
    with unit() as w:
        mce = people.add_organisation(w, name="Minors Care Example", acronym="MCE", country="BE")
        people.add_organisation(w, name="Fundacja Testowa", country="PL")
        kept = people.add_contact(
            w,
            given_name="Jana",
            family_name="Novak",
            emails=["jana@example.org"],
            phones=["+32 2 555 01 01"],
            organisation="MCE",
            role="Policy Officer",
            tags=["eu"],
            notes="Met in Brussels.",
        ).contact
        other = people.add_contact(
            w,
            given_name="Jana",
            family_name="Novak",
            emails=["jana.novak@example.net", "Jana@example.org"],
            phones=["+32 2 555 01 01", "+48 22 555 01 02"],
            organisation="Fundacja Testowa",
            role="Director",
            language="pl",
            tags=["children", "EU"],
            allow_duplicate=True,
        ).contact
        campaigns.add_campaign(w, "csam-2022", name="Joint statement", state="open")
        campaigns.set_signon(w, "MCE", "csam-2022", "signed", signed_by=str(other.id))
        outreach.log_interaction(
            w, contact=str(other.id), subject="Invitation", follow_up_on="2030-01-10"
        )
        outreach.log_interaction(
            w, contact=str(other.id), organisation=None, subject="Call", close_followups=False
        )
        outreach.log_interaction(w, contact=str(kept.id), subject="Hello", close_followups=False)
        assert mce.id
    return kept.id, other.id


@pytest.fixture
def two_orgs(unit: Any) -> tuple[int, int]:
    """Minors Care Example (kept) and "Minors Care Ex." with people, outreach and sign-ons."""
    with unit() as w:
        kept = people.add_organisation(
            w, name="Minors Care Example", acronym="MCE", country="BE", tags=["eu"]
        )
        other = people.add_organisation(
            w,
            name="Minors Care Ex.",
            country="BE",
            city="Brussels",
            website="minors.example.org",
            tags=["children"],
            notes="Found at the 2024 conference.",
            allow_duplicate=True,
        )
        people.add_contact(
            w,
            given_name="Émilie",
            family_name="Müller",
            emails=["emilie@example.org"],
            organisation=str(kept.id),
        )
        for i in range(3):
            people.add_contact(
                w,
                given_name="Jan",
                family_name=f"Nowak {i}",
                emails=[f"jan{i}@example.net"],
                organisation=str(other.id),
            )
        for code in ("csam-2022", "climate-2023", "water-2024"):
            campaigns.add_campaign(w, code, name=code, state="open")
        # csam-2022: both; the other's is further (signed), the kept one's only invited.
        campaigns.set_signon(w, str(kept.id), "csam-2022", "prospect")
        campaigns.set_signon(w, str(kept.id), "csam-2022", "invited")
        campaigns.set_signon(w, str(other.id), "csam-2022", "invited")
        campaigns.set_signon(
            w,
            str(other.id),
            "csam-2022",
            "signed",
            signed_by="jan0@example.net",
            display_name="MCE (Brussels)",
        )
        # climate-2023: the kept one's is further (signed) than the other's (declined).
        campaigns.set_signon(w, str(kept.id), "climate-2023", "signed")
        campaigns.set_signon(w, str(other.id), "climate-2023", "declined", notes="No budget.")
        # water-2024: only the other has one; it moves.
        campaigns.set_signon(w, str(other.id), "water-2024", "considering")
        outreach.log_interaction(
            w, organisation=str(other.id), subject="Invitation", follow_up_on="2030-01-10"
        )
        outreach.log_interaction(
            w, contact="jan1@example.net", subject="Call back", close_followups=False
        )
        outreach.log_interaction(w, organisation=str(kept.id), subject="Hi", close_followups=False)
    return kept.id, other.id


# --- contacts -------------------------------------------------------------------------------


def test_contact_merge_moves_everything_to_the_kept_contact(
    unit: Any, db: Any, two_people: tuple[int, int]
) -> None:
    kept, other = two_people
    with unit() as w:
        view = merge.merge_contacts(w, str(kept), f"#{other}")
    assert (view.kind, view.kept_id, view.other_id) == ("contact", kept, other)
    with db.read_session() as s:
        c = people.get_contact(s, kept)
        # One address and one number appear once; the other's new ones are added, not primary.
        assert [e.address for e in c.emails] == ["jana@example.org", "jana.novak@example.net"]
        assert [e.primary for e in c.emails] == [True, False]
        assert [p.e164 for p in c.phones] == ["+3225550101", "+48225550102"]
        assert sorted(c.tags) == ["children", "eu"]
        assert c.language == "pl"  # empty on the kept one: filled from the other
        assert c.role == "Policy Officer"  # the kept one's wins ...
        assert c.organisation == "Minors Care Example"
        assert c.notes is not None and c.notes.splitlines() == [
            "Met in Brussels.",  # ... and what lost is in the notes
            f"Merged from #{other}: role: Director",
            f"Merged from #{other}: organisation: Fundacja Testowa (#2)",
        ]
        timeline = outreach.interactions_of(s, contact_id=kept)
        assert sorted(i.subject or "" for i in timeline) == ["Call", "Hello", "Invitation"]
        assert [f.contact_id for f in outreach.list_followups(s)] == [kept]
        (signon,) = pipeline.list_signons(s, "csam-2022")
        assert signon.signed_by_id == kept
        with pytest.raises(NotFound):
            people.get_contact(s, other)
        # The other's change log is the kept one's now, with the merge itself on top.
        entries = audit.history(s, contact_id=kept)
        assert entries[0].action == "delete" and entries[0].after == {"merged_into": kept}
        assert entries[1].action == "update" and entries[1].after["merged_from"] == other
        assert {e.entity_id for e in entries if e.entity == "contact"} == {kept, other}
        # The search index: the kept one is found by the other's address, the other is gone.
        assert search.search_contacts(s, "jana.novak@example.net") == [kept]
        assert other not in search.search_contacts(s, "jana")


def test_a_field_in_conflict_goes_to_the_notes_unless_taken(
    unit: Any, db: Any, two_people: tuple[int, int]
) -> None:
    kept, other = two_people
    with unit() as w:
        merge.merge_contacts(w, kept, other, take=["role", "organisation"])
    with db.read_session() as s:
        c = people.get_contact(s, kept)
        assert c.role == "Director"
        assert c.organisation == "Fundacja Testowa"
        assert c.notes is not None and c.notes.splitlines()[1:] == [
            f"Before the merge with #{other}: role: Policy Officer",
            f"Before the merge with #{other}: organisation: Minors Care Example (#1)",
        ]


def test_preview_shows_the_result_field_by_field_and_changes_nothing(
    db: Any, db_path: Path, two_people: tuple[int, int]
) -> None:
    kept, other = two_people
    before = dump(db_path)
    with db.read_session() as s:
        preview = merge.preview_merge(s, "contact", str(kept), str(other), take=["role"])
    assert dump(db_path) == before
    fields = {f.field: f for f in preview.fields}
    assert fields["role"] == merge.FieldMerge(
        "role", "Policy Officer", "Director", "Director", "other", True
    )
    assert fields["language"].winner == "other" and not fields["language"].to_notes
    assert fields["given_name"].winner == "same"
    assert fields["emails"].result == "jana@example.org, jana.novak@example.net"
    assert preview.moves == {
        "emails": 1,
        "phones": 1,
        "tags": 1,
        "interactions": 2,
        "open follow-ups": 1,
        "sign-ons signed": 1,
        "change-log entries": 4,
    }
    assert f"Before the merge with #{other}: role: Policy Officer" in preview.notes


# --- organisations --------------------------------------------------------------------------


def test_organisation_merge_moves_people_outreach_and_signons(
    unit: Any, db: Any, two_orgs: tuple[int, int]
) -> None:
    kept, other = two_orgs
    with unit() as w:
        merge.merge_organisations(w, "MCE", "Minors Care Ex.")
    with db.read_session() as s:
        org = people.get_organisation(s, kept)
        assert org.contact_count == 4
        assert org.city == "Brussels" and org.website == "https://minors.example.org"
        assert org.tags == ["children", "eu"]
        assert org.notes is not None and org.notes.splitlines() == [
            f"Merged from #{other}: name: Minors Care Ex.",
            f"Merged from #{other}: notes: Found at the 2024 conference.",
        ]
        assert {c.organisation for c in people.contacts_of(s, kept)} == {"Minors Care Example"}
        subjects = sorted(
            i.subject or "" for i in outreach.interactions_of(s, organisation_id=kept)
        )
        assert subjects == ["Call back", "Hi", "Invitation"]
        assert [f.organisation_id for f in outreach.list_followups(s)] == [kept]
        signons = {so.campaign: so for so in campaigns.signons_of(s, kept)}
        assert {code: so.status for code, so in signons.items()} == {
            "csam-2022": "signed",
            "climate-2023": "signed",
            "water-2024": "considering",
        }
        # Two sign-ons for one campaign: one, with the further status and both histories.
        csam = signons["csam-2022"]
        assert [(h[1], h[2]) for h in csam.history] == [
            (None, "prospect"),
            ("prospect", "invited"),
            (None, "invited"),
            ("invited", "signed"),
        ]
        assert csam.signed_by == "Jan Nowak 0" and csam.display_name == "MCE (Brussels)"
        climate = signons["climate-2023"]
        assert [(h[1], h[2]) for h in climate.history] == [(None, "signed"), (None, "declined")]
        assert climate.notes == f"Merged from #{other}: notes: No budget."
        assert campaigns.get_campaign(s, "csam-2022").counts["signed"] == 1
        with pytest.raises(NotFound):
            people.get_organisation(s, other)
        # The people's index entries name the kept organisation.
        found = search.search_contacts(s, "minors care example")
        assert len(found) == 4
        assert search.search_organisations(s, "minors") == [kept]


@pytest.mark.parametrize(
    ("kept_moves", "other_moves", "result"),
    [
        (["prospect"], ["invited"], "invited"),
        (["considering"], ["invited"], "considering"),
        (["invited"], ["declined"], "declined"),
        (["declined"], ["signed"], "signed"),
        (["signed", "withdrawn"], ["considering"], "withdrawn"),
        (["signed", "withdrawn"], ["signed"], "signed"),
        (["declined"], ["signed", "withdrawn"], "declined"),  # a tie: the kept one's
    ],
)
def test_the_further_status_wins(
    unit: Any, db: Any, kept_moves: list[str], other_moves: list[str], result: str
) -> None:
    with unit() as w:
        kept = people.add_organisation(w, name="Alpha Kids")
        other = people.add_organisation(w, name="Alpha Kids Foundation", allow_duplicate=True)
        campaigns.add_campaign(w, "csam-2022", name="Joint statement")
        for status in kept_moves:
            campaigns.set_signon(w, str(kept.id), "csam-2022", status)
        for status in other_moves:
            campaigns.set_signon(w, str(other.id), "csam-2022", status)
    with db.read_session() as s:
        preview = merge.preview_merge(s, "organisation", str(kept.id), str(other.id))
    assert [so.result for so in preview.signons] == [result]
    with unit() as w:
        merge.merge_organisations(w, kept.id, other.id)
    with db.read_session() as s:
        (signon,) = campaigns.signons_of(s, kept.id)
        assert signon.status == result
        assert len(signon.history) == len(kept_moves) + len(other_moves)


# --- undo -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["contact", "organisation"])
def test_undo_puts_the_database_back_exactly(
    unit: Any, db_path: Path, request: pytest.FixtureRequest, kind: str
) -> None:
    kept, other = request.getfixturevalue("two_people" if kind == "contact" else "two_orgs")
    before = dump(db_path)
    last = last_audit(db_path)
    with unit("bob") as w:
        if kind == "contact":
            view = merge.merge_contacts(w, kept, other, take=["role"])
        else:
            view = merge.merge_organisations(w, kept, other, take=["city"])
    assert dump(db_path, audit_up_to=last) != before
    with unit("carol") as w:
        undone = merge.undo_merge(w, view.id)
    assert (undone.undone_by, undone.undone_at is not None) == ("carol", True)
    assert_same(before, dump(db_path, audit_up_to=last))


def test_undo_writes_its_own_entries_and_is_refused_twice(
    unit: Any, db: Any, two_people: tuple[int, int]
) -> None:
    kept, other = two_people
    with unit() as w:
        view = merge.merge_contacts(w, kept, other)
    with unit() as w:
        merge.undo_merge(w, view.id)
    with db.read_session() as s:
        (listed,) = merge.list_merges(s)
        assert listed.undone_by == "tester"
        (restored,) = audit.history(s, contact_id=other, limit=1)
        assert (restored.action, restored.entity_id) == ("create", other)
        assert restored.after is not None and restored.after["merge_undone"] == view.id
        (entry,) = audit.history(s, contact_id=kept, limit=1)
        assert entry.action == "update" and entry.after is not None
        assert entry.after["merge_undone"] == view.id
    with unit() as w, pytest.raises(CoalitionError, match=f"Merge #{view.id} was already undone"):
        merge.undo_merge(w, view.id)


def test_undo_is_refused_while_later_changes_depend_on_the_merge(
    unit: Any, db_path: Path, two_orgs: tuple[int, int]
) -> None:
    kept, other = two_orgs
    with unit() as w:
        view = merge.merge_organisations(w, kept, other)
    with unit("bob") as w:
        people.edit_organisation(w, kept, {"city": "Liège"})
        outreach.log_interaction(w, contact="jan2@example.net", subject="Moved over")
    before = dump(db_path)
    with unit() as w, pytest.raises(CoalitionError) as refused:
        merge.undo_merge(w, view.id)
    message = str(refused.value)
    assert message.startswith(f"Cannot undo merge #{view.id}: later changes depend on it")
    assert f"organisation #{kept} Minors Care Example (update by bob" in message
    assert "interaction #" in message
    assert dump(db_path) == before


def test_undo_is_refused_when_an_import_took_a_freed_id(unit: Any, db: Any, db_path: Path) -> None:
    with unit() as w:
        kept = people.add_contact(w, given_name="Anna", emails=["anna@example.org"]).contact
        other = people.add_contact(w, given_name="Anna", emails=["ak@example.net"]).contact
        view = merge.merge_contacts(w, kept.id, other.id)
    records = [
        ContactRecord(source="row 2", given_name="Piotr", emails=[("piotr@example.org", None)])
    ]
    options = ImportOptions(file_name="people.csv", sha256="ab" * 32, file_format="csv")
    with db.read_session() as s:
        plan = imports.plan_import(s, records, options)
    with unit() as w:
        imports.apply_plan(w, plan)
    with db.read_session() as s:
        assert people.get_contact(s, other.id).given_name == "Piotr"
    before = dump(db_path)
    with unit() as w, pytest.raises(CoalitionError, match=f"contact #{other.id} has been taken"):
        merge.undo_merge(w, view.id)
    assert dump(db_path) == before


def test_an_erased_person_leaves_nothing_in_a_merge(unit: Any, db: Any) -> None:
    with unit() as w:
        kept = people.add_contact(w, given_name="Anna", emails=["anna@example.org"]).contact
        other = people.add_contact(w, given_name="Anna K.", emails=["ak@example.net"]).contact
        view = merge.merge_contacts(w, kept.id, other.id)
    with unit() as w:
        privacy.erase_person(w, str(kept.id))
        assert merge.erase_from_merges(w.session, kept.id, privacy.ERASED) == 1
    with db.read_session() as s:
        (listed,) = merge.list_merges(s)
        assert (listed.kept, listed.other) == (privacy.ERASED, privacy.ERASED)
    with unit() as w, pytest.raises(CoalitionError, match="erased"):
        merge.undo_merge(w, view.id)


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("contact", "merge", "1", "#1", "--yes"), "'1' and '#1' are the same contact"),
        (("contact", "merge", "1", "99", "--yes"), "There is no contact #99."),
        (("contact", "merge", "1", "2", "--take", "shoe size", "--yes"), "'shoe size' is not"),
        (("contact", "merge", "1", "2", "--take", "notes", "--yes"), "'notes' cannot be taken"),
        (("contact", "merge", "1", "2", "--take", "honorific"), "has no honorific to take"),
        (("org", "merge", "MCE", "Nowhere Example", "--yes"), "No organisation matches"),
        (("merges", "undo", "7", "--yes"), "There is no merge #7"),
    ],
)
def test_refusals_say_one_sentence_and_change_nothing(
    run: Any, db_path: Path, two_people: tuple[int, int], args: tuple[str, ...], message: str
) -> None:
    before = dump(db_path)
    result = run(*args)
    assert result.exit_code == 1
    assert message in result.output
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1
    assert dump(db_path) == before


# --- the command line -----------------------------------------------------------------------


def test_cli_contact_merge_shows_the_result_and_asks(
    run: Any, db_path: Path, two_people: tuple[int, int]
) -> None:
    kept, other = two_people
    before = dump(db_path)
    declined = run("contact", "merge", str(kept), str(other), input="n\n")
    assert declined.exit_code == 1
    assert dump(db_path) == before
    result = ok(run("contact", "merge", str(kept), str(other), "--take", "role", input="y\n"))
    out = result.output
    assert f"Merging contact #{other} Jana Novak into #{kept} Jana Novak:" in out
    assert "Director" in out and "Policy Officer" in out
    assert f"Before the merge with #{other}: role: Policy Officer" in out
    assert f"Merge #{other} Jana Novak into #{kept} Jana Novak and delete #{other}?" in out
    assert out.rstrip().endswith("`coalition merges undo 1` takes it back.")
    shown = json.loads(ok(run("contact", "show", str(kept), "--format", "json")).stdout)
    assert shown["role"] == "Director"


def test_cli_org_merge_with_yes_then_list_and_undo(
    run: Any, db_path: Path, two_orgs: tuple[int, int]
) -> None:
    kept, other = two_orgs
    before = dump(db_path)
    last = last_audit(db_path)
    result = ok(run("org", "merge", "MCE", str(other), "--take", "name", "--yes"))
    assert result.output == (
        f"Merged organisation #{other} Minors Care Ex. into #{kept} Minors Care Example; "
        "`coalition merges undo 1` takes it back.\n"
    )
    listed = json.loads(ok(run("merges", "list", "--format", "json")).stdout)
    keys = "id kind kept_id other_id kept other at coordinator undone_at undone_by"
    assert [list(item) for item in listed] == [keys.split()]
    assert listed[0]["kind"] == "organisation" and listed[0]["coordinator"] == "tester"
    assert (listed[0]["kept_id"], listed[0]["other_id"]) == (kept, other)
    table = ok(run("merges", "list")).output
    assert "merged into" in table and "organisation" in table
    rows = ok(run("merges", "list", "--format", "csv")).stdout.splitlines()
    assert rows[0] == "id,when,by,kind,kept,merged into it,undone"
    assert rows[1].endswith(
        f",tester,organisation,#{kept} Minors Care Example,#{other} Minors Care Ex.,"
    )

    assert run("merges", "undo", "1", input="n\n").exit_code == 1
    undone = ok(run("merges", "undo", "1", input="y\n"))
    assert f"Undo merge #1: put organisation #{other} Minors Care Ex. back" in undone.output
    assert undone.output.rstrip().endswith(
        f"Undid merge #1: organisation #{other} Minors Care Ex. is back beside "
        f"#{kept} Minors Care Example."
    )
    assert_same(before, dump(db_path, audit_up_to=last))
    again = run("merges", "undo", "1", "--yes")
    assert again.exit_code == 1 and "already undone" in again.output
