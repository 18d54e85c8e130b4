"""The campaign loop of issue 15: a mail merge that logs the invitation shows what it
did, reaches the organisations known only by their own address (info@…) and counts
every one it cannot reach; the Markdown signatory list shows names as they are."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coalition.domain import campaigns, exports, people
from coalition.errors import CoalitionError
from coalition.interchange import exporter
from tests.conftest import ok


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def utc_today() -> dt.date:
    """The day a sign-on event is dated (the database keeps UTC)."""
    return dt.datetime.now(dt.UTC).date()


# --- 1. a logged mail merge shows the statuses it leaves ------------------------------------


EARLIER = (dt.date.today() - dt.timedelta(days=40)).isoformat()


@pytest.fixture
def pipeline(unit: Any, db_path: Path) -> None:
    """Organisations at every step of a campaign: invited weeks ago, a prospect, not in
    it yet, declined; and a person without an organisation."""
    with unit() as w:
        campaigns.add_campaign(w, "kids-2027", name="Kids 2027")
        for name, status in (
            ("Alpha Kids", "invited"),
            ("Beta Jeunesse", "prospect"),
            ("Gamma Youth", None),
            ("Delta Enfance", "declined"),
        ):
            people.add_organisation(w, name=name, country="BE")
            if status:
                campaigns.set_signon(w, name, "kids-2027", status)
            given = name.split()[0]
            people.add_contact(
                w, given_name=given, family_name="Example", organisation=name,
                emails=[f"{given.lower()}@example.org"],
            )  # fmt: skip
        people.add_contact(w, given_name="Eva", family_name="Alone", emails=["eva@example.net"])
    con = sqlite3.connect(db_path)
    with con:
        con.execute(
            "UPDATE signon_events SET at = ? WHERE signon_id = "
            "(SELECT s.id FROM signons s JOIN organisations o ON o.id = s.organisation_id "
            "WHERE o.name = 'Alpha Kids')",
            (f"{EARLIER} 09:00:00.000000",),
        )
    con.close()


def campaign_columns(rows: list[dict[str, str]]) -> dict[str, tuple[str, str]]:
    return {r["Email"]: (r["CampaignStatus"], r["InvitedOn"]) for r in rows}


def test_a_logged_mail_merge_shows_everyone_invited_as_the_log_left_them(
    pipeline: None, run: Any, tmp_path: Path
) -> None:
    logged = tmp_path / "invitations.csv"
    before = utc_today()
    result = ok(run("export", "mailmerge", str(logged), "--campaign", "kids-2027",
                    "--log-outreach", "Invitation"))  # fmt: skip
    today = campaign_columns(read_csv(logged))["beta@example.org"][1]
    assert today in {before.isoformat(), utc_today().isoformat()}
    assert campaign_columns(read_csv(logged)) == {
        "alpha@example.org": ("invited", EARLIER),  # invited before: its date stays
        "beta@example.org": ("invited", today),  # a prospect, invited now
        "delta@example.org": ("declined", ""),  # declined stays declined
        "gamma@example.org": ("invited", today),  # not in the campaign yet, invited now
        "eva@example.net": ("", ""),  # no organisation, no sign-on
    }
    assert "2 organisations moved to invited" in result.stderr

    again = tmp_path / "again.csv"
    ok(run("export", "mailmerge", str(again), "--campaign", "kids-2027"))
    assert again.read_bytes() == logged.read_bytes(), "the file is what the log left"


@pytest.mark.parametrize("keep", [False, True])
def test_a_logged_mail_merge_closes_the_followups_it_answers(
    pipeline: None, run: Any, tmp_path: Path, keep: bool
) -> None:
    """The invitation is the contact a reminder waited for, as a logged email is: it closes
    the recipients' reminders about its campaign or none, not another campaign's, and not
    those of organisations it did not go to; --keep-followups leaves them all."""
    ok(run("campaign", "add", "other-2027"))
    for org, about in (
        ("Alpha Kids", "kids-2027"),
        ("Beta Jeunesse", None),
        ("Gamma Youth", "other-2027"),
    ):
        ok(run("log", "--org", org, "--subject", "Reminder", "--follow-up", "+14",
               "--keep-followups", *(("--campaign", about) if about else ())))  # fmt: skip
    ok(run("log", "--contact", "eva@example.net", "--follow-up", "+14"))
    result = ok(run("export", "mailmerge", str(tmp_path / "chase.csv"), "--campaign",
                    "kids-2027", "--status", "invited", "--status", "prospect",
                    "--log-outreach", "Reminder: the statement",
                    *(("--keep-followups",) if keep else ())))  # fmt: skip
    still = {
        (r["organisation"] or r["contact"], r["campaign"])
        for r in json.loads(ok(run("followups", "--format", "json")).stdout)
    }
    untouched = {("Gamma Youth", "other-2027"), ("Eva Alone", None)}
    if keep:
        assert still == untouched | {("Alpha Kids", "kids-2027"), ("Beta Jeunesse", None)}
        assert "follow-up" not in result.stderr
    else:
        assert still == untouched
        assert "Closed 2 earlier follow-ups." in result.stderr


def test_a_logged_xlsx_mail_merge_shows_the_invitation_date(
    pipeline: None, run: Any, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "invitations.xlsx"
    before = utc_today()
    ok(run("export", "mailmerge", str(path), "--campaign", "kids-2027", "--status", "prospect",
           "--log-outreach", "Invitation"))  # fmt: skip
    sheet = load_workbook(path).active
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(2)]
    assert [(r["Email"], r["CampaignStatus"]) for r in rows] == [("beta@example.org", "invited")]
    assert rows[0]["InvitedOn"].date() in {before, utc_today()}


def test_the_statuses_filter_selects_before_the_log_and_the_file_shows_after(
    pipeline: None, run: Any, tmp_path: Path
) -> None:
    path = tmp_path / "next.csv"
    ok(run("export", "mailmerge", str(path), "--campaign", "kids-2027",
           "--status", "prospect,none", "--log-outreach", "Invitation"))  # fmt: skip
    assert {r["Email"]: r["CampaignStatus"] for r in read_csv(path)} == {
        "beta@example.org": "invited",
        "gamma@example.org": "invited",
        "eva@example.net": "",
    }
    left = tmp_path / "left.csv"
    ok(run("export", "mailmerge", str(left), "--campaign", "kids-2027", "--status", "prospect"))
    assert read_csv(left) == []


def test_a_file_that_cannot_be_written_logs_nothing(
    pipeline: None, db: Any, tmp_path: Path, db_path: Path
) -> None:
    """The file is written inside the log's transaction: when it cannot be put in place,
    nothing is logged and no prospect moves. A folder stands where the file would go
    (the app's export dialog, which has no command-line check of the path, comes here)."""
    target = tmp_path / "invitations.csv"
    target.mkdir()
    wanted = exports.RecipientFilter(campaign="kids-2027")
    with pytest.raises(CoalitionError) as refused:
        exporter.mail_merge(db, "tester", target, wanted, log_subject="Invitation")
    assert "folder" in str(refused.value)
    con = sqlite3.connect(db_path)
    try:
        assert con.execute("SELECT count(*) FROM interactions").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM signons WHERE status = 'prospect'").fetchone() == (
            1,
        )
    finally:
        con.close()
    assert target.is_dir() and not any(target.iterdir())
    assert not list(tmp_path.glob(".invitations.csv.*"))


# --- 2. organisations known only by their own address ---------------------------------------


@pytest.fixture
def generic(unit: Any) -> None:
    """Organisations as a coordinator's lists leave them: one with only info@ (as the
    importer files an "Organisation, info@…" row), one whose only person bounced, one
    whose only person asked not to be contacted, one with neither person nor address,
    and one with a person to write to."""
    with unit() as w:
        campaigns.add_campaign(w, "kids-2027", name="Kids 2027")
        people.add_organisation(
            w, name="Digital Rights Network", country="LU", email="info@example.org",
            membership="partner",
        )  # fmt: skip
        people.add_organisation(w, name="Moved On", country="DE", email="office@example.net")
        people.add_contact(w, given_name="Bo", family_name="Gone", organisation="Moved On",
                           emails=["bo@example.net"], bounced=True)  # fmt: skip
        people.add_organisation(w, name="Quiet Org", country="FR", email="hello@example.net")
        people.add_contact(w, given_name="Dora", family_name="Still", organisation="Quiet Org",
                           emails=["dora@example.net"], do_not_contact=True)  # fmt: skip
        people.add_organisation(w, name="Paper Only", country="BE")
        people.add_organisation(w, name="Alpha Kids", country="BE", email="info@example.net")
        people.add_contact(w, given_name="Ana", family_name="Example", organisation="Alpha Kids",
                           emails=["ana@example.org"], language="fr")  # fmt: skip
        campaigns.set_signon(w, "Digital Rights Network", "kids-2027", "prospect",
                             display_name="DRN")  # fmt: skip


def test_an_organisation_with_only_its_own_address_is_written_to(
    generic: None, run: Any, tmp_path: Path
) -> None:
    path = tmp_path / "merge.csv"
    result = ok(run("export", "mailmerge", str(path), "--campaign", "kids-2027"))
    rows = {r["Email"]: r for r in read_csv(path)}
    assert list(rows) == ["ana@example.org", "info@example.org", "office@example.net"]
    drn = rows["info@example.org"]
    assert drn == {
        "Email": "info@example.org",
        "Salutation": "Dear colleagues",
        "GivenName": "",
        "FamilyName": "",
        "FullName": "Digital Rights Network",
        "Organisation": "Digital Rights Network",
        "Role": "",
        "Country": "LU",
        "Language": "",
        "CampaignStatus": "prospect",
        "InvitedOn": "",
        "DisplayName": "DRN",
    }
    # Moved On's person bounced. It is in Germany: its greeting and language are German, as
    # a person in DE without a language of their own is written to (LU has three: English).
    assert rows["office@example.net"]["Organisation"] == "Moved On"
    assert rows["office@example.net"]["Salutation"] == "Sehr geehrte Damen und Herren"
    assert rows["office@example.net"]["Language"] == "de"
    assert result.stderr.strip() == (
        f"Wrote 3 recipients to {path}. Of these, 2 are organisations' own addresses. "
        "Left out: 1 bounced, 1 do not contact, "
        "1 organisation(s) where someone asked not to be contacted, "
        "1 organisation(s) with no one to write to."
    )


def test_every_contact_and_organisation_is_written_or_counted(
    generic: None, run: Any, tmp_path: Path
) -> None:
    """Whatever the filter, the rows written and the numbers left out add up to the
    people it selects and the organisations none of those people reach."""
    for options in ([], ["--one-per-org"], ["--country", "DE"], ["--membership", "partner"],
                    ["--campaign", "kids-2027", "--status", "none"]):  # fmt: skip
        path = tmp_path / "merge.csv"
        summary = ok(run("export", "mailmerge", str(path), *options)).stderr
        rows = read_csv(path)
        filters = [o for o in options if o != "--one-per-org"]
        contacts = json.loads(ok(run("contact", "list", *filters, "--format", "json")).stdout)
        organisations = json.loads(ok(run("org", "list", *filters, "--format", "json")).stdout)
        reached = {r["Organisation"] for r in rows if r["GivenName"] or r["FamilyName"]}
        unreached = [o for o in organisations if o["name"] not in reached]
        left_out = summary.partition("Left out: ")[2].rstrip(".\n")
        counted = sum(int(part.split()[0]) for part in left_out.split(", ") if part)
        assert len(rows) + counted == len(contacts) + len(unreached), (options, summary)


def test_one_per_org_falls_back_on_the_organisations_own_address(
    generic: None, run: Any, tmp_path: Path
) -> None:
    path = tmp_path / "merge.csv"
    ok(run("export", "mailmerge", str(path), "--one-per-org"))
    assert [(r["Organisation"], r["Email"]) for r in read_csv(path)] == [
        ("Alpha Kids", "ana@example.org"),  # a person first: the generic address is not used
        ("Digital Rights Network", "info@example.org"),
        ("Moved On", "office@example.net"),
    ]


def test_a_language_is_a_persons_so_it_selects_no_organisation(
    generic: None, run: Any, tmp_path: Path
) -> None:
    path = tmp_path / "merge.csv"
    result = ok(run("export", "mailmerge", str(path), "--language", "fr"))
    assert [r["Email"] for r in read_csv(path)] == ["ana@example.org"]
    assert "Left out" not in result.stderr


def test_logging_an_invitation_to_an_organisations_own_address(
    generic: None, run: Any, tmp_path: Path
) -> None:
    path = tmp_path / "merge.csv"
    result = ok(run("export", "mailmerge", str(path), "--campaign", "kids-2027",
                    "--status", "prospect", "--log-outreach", "Invitation"))  # fmt: skip
    assert [(r["Email"], r["CampaignStatus"]) for r in read_csv(path)] == [
        ("info@example.org", "invited")
    ]
    assert "Logged 'Invitation' for 1 recipient; 1 organisation moved to invited." in (
        result.stderr
    )
    shown = json.loads(ok(run("org", "show", "Digital Rights Network", "--format", "json")).stdout)
    assert [i["subject"] for i in shown["interactions"]] == ["Invitation"]
    assert [s["status"] for s in shown["signons"]] == ["invited"]


# --- 3. the Markdown signatory list ---------------------------------------------------------

NAMES = [
    "Enfance & e-Protection [EU] *Test*",
    "e-Enfance",
    "Kinder &amp; Jugend",  # as a web form left it: shown as it is stored
    "Rights &#38; Kids",
    "# Kids first",
    "1. Verein",
    "- Network",
    "> Quote Org",
    "---",
    "Snake_case_org and _Underlined_",
    "<b>Bold</b> Org",
    "www.kids.example.org",
    "https://example.org/kids",
    "info@example.org Kids",
    "US$ 5 $Fund$",
    "~~Struck~~ Org",
    "`Code` Org",
    "Back\\slash \\*Org",
    "[x] Task Org",
    "[^1] Footnote Org",
    "[EU]: https://example.org",
    "Kids #",
]


def markdown_renderer() -> Any:
    """Markdown as GitHub and sites read it: CommonMark with tables, strikethrough,
    autolinks of URLs, task lists, footnotes and $math$."""
    markdown_it = pytest.importorskip("markdown_it")  # rich's, so the app's, dependency
    pytest.importorskip("mdit_py_plugins")
    pytest.importorskip("linkify_it")
    from mdit_py_plugins.dollarmath import dollarmath_plugin
    from mdit_py_plugins.footnote import footnote_plugin
    from mdit_py_plugins.tasklists import tasklists_plugin

    md = (
        markdown_it.MarkdownIt("commonmark", {"linkify": True})
        .enable(["table", "strikethrough", "linkify"])
        .use(dollarmath_plugin)
        .use(footnote_plugin)
        .use(tasklists_plugin)
    )
    md.linkify.set({"fuzzy_link": False})
    return md


class Items(HTMLParser):
    """The text of each list item and heading, and every element found inside one."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[str] = []
        self.headings: list[str] = []
        self.inside: list[str] = []
        self.current: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("li", "h1", "h2"):
            self.current = self.items if tag == "li" else self.headings
            self.current.append("")
        elif self.current is not None:
            self.inside.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("li", "h1", "h2"):
            self.current = None

    def handle_data(self, data: str) -> None:
        if self.current is not None:
            self.current[-1] += data


def listing(names: list[str], campaign_name: str = "Joint statement") -> Any:
    signatories = [exports.Signatory(n, i, None, None, "ngo", None) for i, n in enumerate(names)]
    return exports.SignatoryList(
        "kids-2027", campaign_name, None, len(names), [exports.SignatoryGroup("", signatories)]
    )


def rendered(path: Path) -> Items:
    items = Items()
    items.feed(markdown_renderer().render(path.read_text(encoding="utf-8")))
    return items


@pytest.fixture
def signed_markdown(unit: Any, run: Any, tmp_path: Path) -> Path:
    with unit() as w:
        campaigns.add_campaign(w, "kids-2027", name="Kids & *Rights* 2027 #")
        for i, name in enumerate(NAMES):
            people.add_organisation(w, name=f"Organisation {i}", country="BE")
            campaigns.set_signon(w, f"Organisation {i}", "kids-2027", "signed", display_name=name)
    path = tmp_path / "signatories.md"
    ok(run("export", "signatories", "kids-2027", str(path)))
    return path


def test_markdown_names_render_as_they_are(signed_markdown: Path) -> None:
    items = rendered(signed_markdown)
    assert sorted(items.items) == sorted(NAMES)
    assert items.inside == [], "no link, emphasis, code, math, box or tag in a name"


def test_markdown_escapes_only_what_markdown_would_read(signed_markdown: Path) -> None:
    lines = signed_markdown.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# Kids & \\*Rights\\* 2027 \\#"
    assert "- Enfance & e-Protection \\[EU] \\*Test\\*" in lines
    assert "- e-Enfance" in lines
    assert "- Snake_case_org and \\_Underlined\\_" in lines
    assert "- Kinder \\&amp; Jugend" in lines
    assert "- \\# Kids first" in lines
    heading = markdown_renderer().render(lines[0])
    assert heading == "<h1>Kids &amp; *Rights* 2027 #</h1>\n"


NAME_PARTS = [
    *"aZé1 -_*~`$#>+.!:/@&;<[]()\\|^=«\u00a0",
    *("www.", "http://", "//", "&amp;", "&#38;", "a@b.org", "```", "~~~", "1.", "[x]"),
]


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.lists(st.sampled_from(NAME_PARTS), min_size=1, max_size=12)
        .map(lambda parts: " ".join(filter(None, "".join(parts).split(" "))).strip())
        .filter(bool),
        min_size=1,
        max_size=4,
    )
)
def test_any_name_renders_as_itself(tmp_path: Path, names: list[str]) -> None:
    """Whatever a name holds (one space between words, as names are stored), the list
    shows it as it is: the campaign's name in the heading, the signatories' in the list,
    with no link, emphasis or markup."""
    path = tmp_path / "signatories.md"
    exporter.write_signatories(path, listing(names, names[0]), dt.date(2027, 3, 1))
    items = rendered(path)
    assert items.headings == [names[0]]
    assert items.items == names
    assert items.inside == []
