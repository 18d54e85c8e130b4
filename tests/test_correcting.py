"""Correcting the record: a sign-on or an interaction logged by mistake, or logged wrong."""

from __future__ import annotations

import json
import shlex
from typing import Any

import pytest

from coalition.store.database import Database
from tests.conftest import fails, ok

SETUP = """
org add "Minors Care Example" --acronym MCE --country BE
org add "Fundacja Testowa" --country PL
contact add --name "Émilie Müller" --email emilie@example.org --org MCE
campaign add csam-2022
campaign add climate-2026
signon set MCE csam-2022 invited
signon set MCE csam-2022 signed --by emilie@example.org
log --org MCE --subject "Thank you" --campaign csam-2022 --follow-up +7d
log --contact emilie@example.org --channel call --subject Hello --keep-followups
log --org "Fundacja Testowa" --subject "Climate letter" --campaign climate-2026
"""


@pytest.fixture
def coalition(run: Any) -> Any:
    """MCE (with Émilie) and Fundacja Testowa; csam-2022 and climate-2026; MCE signed
    csam-2022; three interactions: #1 MCE about csam-2022 with a follow-up, #2 Émilie about
    nothing, #3 Fundacja Testowa about climate-2026."""
    for line in SETUP.strip().splitlines():
        ok(run(*shlex.split(line)))
    return run


def listed(run: Any, *args: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(ok(run(*args, "--format", "json")).stdout)
    return rows


def history(run: Any, ref: str = "MCE") -> list[dict[str, Any]]:
    return listed(run, "history", ref)


# --- signon delete -----------------------------------------------------------------------------


def test_signon_delete_asks_first_then_removes_the_signon_and_its_history(coalition: Any) -> None:
    run = coalition
    asked = run("signon", "delete", "MCE", "csam-2022", input="n\n")
    assert asked.exit_code == 1
    assert (
        "Delete the sign-on of Minors Care Example for csam-2022 (signed, 2 status changes)?"
        in (asked.stderr)
    )
    assert [s["status"] for s in listed(run, "signon", "list", "csam-2022")] == ["signed"]

    said = ok(run("signon", "delete", "MCE", "csam-2022", input="y\n"))
    assert (
        "Deleted the sign-on of Minors Care Example for csam-2022 (it was signed)." in said.stderr
    )
    assert listed(run, "signon", "list", "csam-2022") == []
    assert [
        s["organisation"] for s in listed(run, "signon", "list", "csam-2022", "--status", "none")
    ] == ["Fundacja Testowa", "Minors Care Example"]
    # In the change log, with what it was; set again, it starts a history of its own.
    entry = history(run)[0]
    assert (entry["action"], entry["entity"], entry["label"]) == (
        "delete",
        "signon",
        "Minors Care Example / csam-2022",
    )
    assert entry["before"]["status"] == "signed"
    assert [h[1:3] for h in entry["before"]["history"]] == [
        [None, "invited"],
        ["invited", "signed"],
    ]
    ok(run("signon", "set", "MCE", "csam-2022", "considering"))
    (again,) = listed(run, "signon", "list", "csam-2022")
    assert [h[1:3] for h in again["history"]] == [[None, "considering"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("Nobody Example", "csam-2022"), "No organisation matches 'Nobody Example'."),
        (("MCE", "nope"), "There is no campaign 'nope'."),
        (("Fundacja Testowa", "csam-2022"), "Fundacja Testowa has no sign-on for csam-2022."),
    ],
)
@pytest.mark.parametrize("yes", [(), ("--yes",)], ids=["asking", "yes"])
def test_signon_delete_refuses_what_is_not_there(
    coalition: Any, args: tuple[str, ...], message: str, yes: tuple[str, ...]
) -> None:
    before = history(coalition)
    assert message in fails(coalition("signon", "delete", *args, *yes))
    assert history(coalition) == before


# --- interaction list --------------------------------------------------------------------------


def test_interaction_list_newest_first_and_narrowed(coalition: Any) -> None:
    run = coalition
    rows = listed(run, "interaction", "list")
    assert [r["subject"] for r in rows] == ["Climate letter", "Hello", "Thank you"]
    assert [r["subject"] for r in listed(run, "interaction", "list", "--org", "MCE")] == [
        "Hello",
        "Thank you",
    ]
    assert [
        r["subject"] for r in listed(run, "interaction", "list", "--contact", "Émilie Müller")
    ] == ["Hello"]
    about = listed(run, "interaction", "list", "--org", "MCE", "--campaign", "csam-2022")
    assert [(r["id"], r["subject"], r["follow_up_on"] is not None) for r in about] == [
        (1, "Thank you", True)
    ]
    table = ok(run("interaction", "list", "--campaign", "climate-2026", "--format", "csv"))
    assert table.stdout.splitlines()[0].startswith("id,when,channel,organisation,contact,subject")
    assert "Fundacja Testowa" in table.stdout and "MCE" not in table.stdout
    nothing = run(
        "interaction", "list", "--contact", "emilie@example.org", "--campaign", "climate-2026"
    )
    assert "No interactions." in ok(nothing).stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--org", "Nobody Example"), "No organisation matches 'Nobody Example'."),
        (("--contact", "nobody@example.net"), "No contact matches 'nobody@example.net'."),
        (("--campaign", "nope"), "There is no campaign 'nope'."),
    ],
)
def test_interaction_list_refuses_an_unknown_party_or_campaign(
    coalition: Any, args: tuple[str, ...], message: str
) -> None:
    assert message in fails(coalition("interaction", "list", *args))


# --- interaction edit ----------------------------------------------------------------------------


def test_interaction_edit_changes_only_what_is_given_and_is_in_the_history(
    coalition: Any,
) -> None:
    run = coalition
    (before,) = [r for r in listed(run, "interaction", "list") if r["id"] == 2]
    said = ok(
        run(
            "interaction",
            "edit",
            "2",
            "--subject",
            "Call about the text",
            "--campaign",
            "csam-2022",
            "--outcome",
            "Will sign",
            "--when",
            "2026-03-02",
        )
    )
    assert "Saved interaction #2." in said.stderr
    (after,) = [r for r in listed(run, "interaction", "list") if r["id"] == 2]
    assert (after["subject"], after["campaign"], after["outcome"]) == (
        "Call about the text",
        "csam-2022",
        "Will sign",
    )
    # Another day, the same time of day; the rest as it was.
    assert after["occurred_at"][:10] == "2026-03-02"
    assert after["occurred_at"][10:] == before["occurred_at"][10:]
    for name in ("channel", "direction", "contact", "organisation", "notes", "coordinator"):
        assert after[name] == before[name]
    entry = history(run, "emilie@example.org")[0]
    assert (entry["action"], entry["entity"], entry["entity_id"]) == ("update", "interaction", 2)
    assert entry["before"]["subject"] == "Hello" and entry["after"]["outcome"] == "Will sign"
    # "" clears a field.
    ok(run("interaction", "edit", "2", "--outcome", "", "--campaign", ""))
    (cleared,) = [r for r in listed(run, "interaction", "list") if r["id"] == 2]
    assert (cleared["outcome"], cleared["campaign"]) == (None, None)


def test_a_new_follow_up_day_opens_the_follow_up_again(coalition: Any) -> None:
    run = coalition
    ok(run("followup-done", "1"))
    assert listed(run, "followups") == []
    ok(run("interaction", "edit", "1", "--follow-up", "2026-12-20"))
    assert [(f["id"], f["follow_up_on"]) for f in listed(run, "followups")] == [(1, "2026-12-20")]
    ok(run("interaction", "edit", "1", "--follow-up", ""))
    assert listed(run, "followups") == []


def test_editing_whom_it_was_with(coalition: Any) -> None:
    run = coalition
    # The contact alone brings their organisation, as `log` does.
    ok(run("interaction", "edit", "3", "--contact", "Émilie Müller"))
    (moved,) = [r for r in listed(run, "interaction", "list") if r["id"] == 3]
    assert (moved["contact"], moved["organisation"]) == ("Émilie Müller", "Minors Care Example")
    ok(run("interaction", "edit", "3", "--org", "Fundacja Testowa", "--contact", ""))
    (back,) = [r for r in listed(run, "interaction", "list") if r["id"] == 3]
    assert (back["contact"], back["organisation"]) == (None, "Fundacja Testowa")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("99", "--subject", "x"), "There is no interaction #99."),
        (("3", "--subject", "New", "--channel", "pigeon"), "'pigeon' is not a channel"),
        (("3", "--subject", "New", "--campaign", "nope"), "There is no campaign 'nope'."),
        (("3", "--subject", "New", "--org", "Nobody Example"), "No organisation matches"),
        (("3", "--subject", "New", "--when", "someday"), "'someday' is not a date"),
        (("3", "--subject", "New", "--when", ""), "Say on which day it happened"),
        (
            ("3", "--subject", "New", "--org", ""),
            "Interaction #3 needs someone it was with: an organisation, a contact or both.",
        ),
    ],
)
def test_interaction_edit_refuses_bad_input_and_changes_nothing(
    coalition: Any, args: tuple[str, ...], message: str
) -> None:
    before = listed(coalition, "interaction", "list")
    said = fails(coalition("interaction", "edit", *args))
    assert message in said and len(said.splitlines()) == 1
    assert listed(coalition, "interaction", "list") == before


# --- interaction delete --------------------------------------------------------------------------


def test_interaction_delete_asks_first_and_takes_its_follow_up(coalition: Any) -> None:
    run = coalition
    asked = run("interaction", "delete", "1", input="n\n")
    assert asked.exit_code == 1
    assert "Delete email #1 with Minors Care Example (Thank you, " in asked.stderr
    assert len(listed(run, "followups")) == 1
    said = ok(run("interaction", "delete", "1", "--yes"))
    assert "Deleted email #1 with Minors Care Example (Thank you, " in said.stderr
    assert [r["id"] for r in listed(run, "interaction", "list")] == [3, 2]
    assert listed(run, "followups") == []
    entry = history(run)[0]
    assert (entry["action"], entry["entity"], entry["entity_id"], entry["label"]) == (
        "delete",
        "interaction",
        1,
        "Thank you",
    )
    assert entry["before"]["subject"] == "Thank you" and entry["after"] is None
    assert "There is no interaction #1." in fails(run("interaction", "delete", "1", "--yes"))
    assert "There is no interaction #1." in fails(run("interaction", "delete", "1"))


def test_the_domain_functions_leave_nothing_half_written(db: Database, unit: Any) -> None:
    """A refused edit inside one unit of work rolls back the fields it had set already."""
    from coalition.domain import outreach, people
    from coalition.errors import InvalidValue

    with unit() as w:
        people.add_organisation(w, name="Minors Care Example", acronym="MCE")
        logged = outreach.log_interaction(w, organisation="MCE", subject="Invite").interaction
    with pytest.raises(InvalidValue), unit() as w:
        outreach.edit_interaction(w, logged.id, {"subject": "Changed", "channel": "pigeon"})
    with db.read_session() as s:
        assert outreach.get_interaction(s, logged.id).subject == "Invite"
    with pytest.raises(Exception, match="Unknown interaction field"), unit() as w:
        outreach.edit_interaction(w, logged.id, {"coordinator": "mallory"})
