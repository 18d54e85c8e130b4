"""``coalition signon set --tag/--country/--org … CAMPAIGN STATUS``: many organisations at
once, with a count of what changed and what was already there."""

from __future__ import annotations

import json
from typing import Any

import pytest

from coalition.domain import campaigns, people
from tests.conftest import fails, ok


@pytest.fixture
def members(unit: Any) -> None:
    """Five organisations, three of them tagged members; one member has already signed."""
    with unit() as w:
        campaigns.add_campaign(w, "kids-2027", name="Kids 2027")
        for name, country, tags in (
            ("Alpha Kids", "BE", ["members"]),
            ("Beta Jeunesse", "FR", ["members"]),
            ("Gamma Enfance", "FR", ["members"]),
            ("Delta Jugend", "DE", []),
            ("Epsilon Jeunes", "FR", []),
        ):
            people.add_organisation(w, name=name, country=country, tags=tags)
        campaigns.set_signon(w, "Gamma Enfance", "kids-2027", "signed")


def statuses(run: Any) -> dict[str, str]:
    listed = json.loads(ok(run("signon", "list", "kids-2027", "--format", "json")).stdout)
    return {s["organisation"]: s["status"] for s in listed}


def test_a_tag_invites_its_organisations_and_leaves_those_already_in(
    members: None, run: Any
) -> None:
    result = ok(run("signon", "set", "--tag", "members", "kids-2027", "invited", "--yes"))
    assert result.stderr.strip() == (
        "Added 2 organisations to kids-2027 as invited. Left 1 organisation as it was (1 signed)."
    )
    assert statuses(run) == {
        "Alpha Kids": "invited",
        "Beta Jeunesse": "invited",
        "Gamma Enfance": "signed",
    }


def test_filters_narrow_together_and_names_narrow_further(members: None, run: Any) -> None:
    ok(run("signon", "set", "--tag", "members", "--country", "FR", "kids-2027", "prospect",
           "--yes"))  # fmt: skip
    assert statuses(run) == {"Beta Jeunesse": "prospect", "Gamma Enfance": "signed"}
    ok(run("signon", "set", "--org", "Delta Jugend", "--org", "Epsilon Jeunes", "--country",
           "FR", "kids-2027", "invited", "--yes"))  # fmt: skip
    assert statuses(run)["Epsilon Jeunes"] == "invited" and "Delta Jugend" not in statuses(run)


def test_it_says_what_it_will_do_and_asks_first(members: None, run: Any) -> None:
    result = run("signon", "set", "--tag", "members", "kids-2027", "invited", input="n\n")
    assert result.exit_code == 1
    assert (
        "Will add 2 organisations to kids-2027 as invited. Will leave 1 organisation as it is "
        "(1 signed)." in result.stderr
    )
    assert statuses(run) == {"Gamma Enfance": "signed"}  # nothing changed
    ok(run("signon", "set", "--tag", "members", "kids-2027", "invited", input="y\n"))
    assert len(statuses(run)) == 3


def test_moving_those_already_in_is_asked_for(members: None, run: Any) -> None:
    ok(run("signon", "set", "--tag", "members", "kids-2027", "invited", "--yes"))
    result = ok(run("signon", "set", "--tag", "members", "kids-2027", "considering",
                    "--move-existing", "--yes"))  # fmt: skip
    assert "Moved 2 organisations to considering (2 invited)." in result.stderr
    assert "Left 1 organisation as it was (1 signed)." in result.stderr


def test_mistakes_are_one_sentence_and_change_nothing(members: None, run: Any) -> None:
    assert "No organisation is chosen" in fails(
        run("signon", "set", "--tag", "nobody", "kids-2027", "invited", "--yes")
    )
    assert "There is no campaign 'nope'" in fails(
        run("signon", "set", "--tag", "members", "nope", "invited", "--yes")
    )
    result = run(
        "signon", "set", "--tag", "members", "kids-2027", "invited", "--by", "x@example.org"
    )
    assert result.exit_code == 2 and "for one organisation" in result.output
    result = run("signon", "set", "--tag", "members", "Alpha Kids", "kids-2027", "invited")
    assert result.exit_code == 2 and "CAMPAIGN STATUS" in result.output
    assert statuses(run) == {"Gamma Enfance": "signed"}


def test_one_organisation_is_set_as_before(members: None, run: Any) -> None:
    result = ok(run("signon", "set", "Alpha Kids", "kids-2027", "invited"))
    assert "Alpha Kids is invited for kids-2027." in result.stderr
