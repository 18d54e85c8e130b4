"""Mail merge and the signatory list: who, how greeted, what the files hold."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coalition.domain import campaigns, exports, people
from coalition.domain.exports import RecipientFilter, salutation
from coalition.interchange import exporter
from coalition.interchange.safety import safe_text
from tests.conftest import ok


@pytest.mark.parametrize(
    ("language", "honorific", "given", "family", "expected"),
    [
        ("en", "Ms", "Claire", "Bonneau", "Dear Ms Bonneau"),
        ("en", "Mr", "Jan", "Nowak", "Dear Mr Nowak"),
        ("en", "Dr", "Anna", "Berg", "Dear Dr Berg"),
        ("en", None, "Anna", "Berg", "Dear Anna Berg"),
        (None, None, None, None, "Dear colleagues"),
        ("fr", "Mme", "Claire", "Bonneau", "Chère Madame Bonneau"),
        ("fr", "M.", "Pierre", "Dubois", "Cher Monsieur Dubois"),
        ("fr", None, None, None, "Madame, Monsieur"),
        ("de", "Frau", "Claire", "Bonneau", "Sehr geehrte Frau Bonneau"),
        ("de", "Herr", "Jürgen", "Weiß", "Sehr geehrter Herr Weiß"),
        ("de", None, None, None, "Sehr geehrte Damen und Herren"),
        ("es", "Sra.", "Lucía", "García", "Estimada Sra. García"),
        ("es", "Ms", "Lucía", "García", "Estimada Sra. García"),
        ("it", "Sig.ra", "Giulia", "Rossi", "Gentile Sig.ra Rossi"),
        ("nl", "Mevr.", "Eva", "de Vries", "Geachte mevrouw de Vries"),
        ("pl", "Pani", "Zofia", "Kowalska", "Szanowna Pani Zofia"),
        ("pl", None, None, None, "Szanowni Państwo"),
    ],
)
def test_salutations_follow_the_language(
    language: str | None,
    honorific: str | None,
    given: str | None,
    family: str | None,
    expected: str,
) -> None:
    assert salutation(language, honorific, given, family) == expected


@pytest.fixture
def coalition_data(unit: Any) -> None:
    with unit() as w:
        people.add_organisation(w, name="Alpha", country="BE", membership="member")
        people.add_organisation(w, name="Beta", country="DE")
        campaigns.add_campaign(w, "csam-2022", name="Joint statement")
        people.add_contact(
            w,
            given_name="Claire",
            family_name="Bonneau",
            honorific="Mme",
            language="fr",
            emails=["claire@example.org"],
            organisation="Alpha",
            tags=["eu"],
        )
        people.add_contact(
            w,
            given_name="Anna",
            family_name="Arnold",
            emails=["anna@example.org"],
            organisation="Alpha",
        )
        people.add_contact(
            w,
            given_name="Dora",
            family_name="Do-Not",
            emails=["dora@example.org"],
            organisation="Beta",
            do_not_contact=True,
        )
        people.add_contact(
            w,
            given_name="Bo",
            family_name="Bounce",
            emails=["bo@example.org"],
            organisation="Beta",
            bounced=True,
        )
        people.add_contact(
            w,
            given_name="Ian",
            family_name="Invalid",
            emails=["ian@@example.org"],
            organisation="Beta",
            allow_invalid=True,
        )
        people.add_contact(
            w,
            given_name="Twin",
            family_name="One",
            emails=["shared@example.org"],
            organisation="Beta",
        )
        people.add_contact(
            w,
            given_name="Twin",
            family_name="Two",
            emails=["SHARED@example.org"],
            organisation="Beta",
            allow_duplicate=True,
        )
        campaigns.set_signon(w, "Alpha", "csam-2022", "invited")
        campaigns.set_signon(w, "Beta", "csam-2022", "prospect")


def test_recipients_and_what_is_left_out(coalition_data: None, db: Any) -> None:
    with db.read_session() as s:
        found = exports.mailmerge_recipients(s, RecipientFilter())
    assert [r.email for r in found.recipients] == [
        "anna@example.org",
        "claire@example.org",
        "shared@example.org",
    ]
    assert dict(found.left_out) == {
        "do not contact": 1,
        "bounced": 1,
        "no valid email": 1,
        "duplicate address": 1,
    }
    claire = found.recipients[1]
    assert claire.salutation == "Chère Madame Bonneau"
    assert (claire.organisation, claire.country, claire.language) == ("Alpha", "BE", "fr")


def test_filters(coalition_data: None, db: Any) -> None:
    with db.read_session() as s:

        def emails(**kw: Any) -> list[str]:
            return [
                r.email for r in exports.mailmerge_recipients(s, RecipientFilter(**kw)).recipients
            ]

        assert emails(campaign="csam-2022", statuses=("invited",)) == [
            "anna@example.org",
            "claire@example.org",
        ]
        assert emails(tag="eu") == ["claire@example.org"]
        assert emails(country="Germany") == ["shared@example.org"]
        assert emails(language="fr") == ["claire@example.org"]
        assert emails(membership="member") == ["anna@example.org", "claire@example.org"]
        assert emails(search_text="bonn") == ["claire@example.org"]
        assert emails(one_per_org=True) == ["anna@example.org", "shared@example.org"]
        invited = exports.mailmerge_recipients(s, RecipientFilter(campaign="csam-2022")).recipients
        assert invited[0].campaign_status == "invited" and invited[0].invited_on == dt.date.today()


def test_one_per_org_prefers_who_signed(coalition_data: None, unit: Any, db: Any) -> None:
    with unit() as w:
        campaigns.set_signon(w, "Alpha", "csam-2022", "signed", signed_by="claire@example.org")
    with db.read_session() as s:
        found = exports.mailmerge_recipients(
            s, RecipientFilter(campaign="csam-2022", one_per_org=True)
        )
    assert [r.email for r in found.recipients] == ["claire@example.org", "shared@example.org"]


INJECTIONS = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    " =1",
    "\u00a0=1",
    'Line one\n=HYPERLINK("http://example.org","x")',
    '=HYPERLINK("http://example.org","click me")',
]


def test_no_cell_becomes_a_formula_in_csv(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    rows = [[value, "+32 2 555 01 01", -12.5, -3] for value in INJECTIONS]
    exporter.write_table(path, ["Value", "Phone", "Amount", "Count"], rows)
    read = list(csv.reader(path.open(encoding="utf-8", newline="")))[1:]
    for (value, phone, amount, count), original in zip(read, INJECTIONS, strict=True):
        for line in value.split("\n"):
            assert not line.lstrip(" \u00a0").startswith(("=", "+", "-", "@", "\t", "\r")), (
                original,
                value,
            )
        assert phone == "+32 2 555 01 01"
        assert (amount, count) == ("-12.5", "-3")


def test_no_cell_becomes_a_formula_in_xlsx(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "out.xlsx"
    rows = [[value, "+32 2 555 01 01", -12.5] for value in INJECTIONS]
    exporter.write_table(path, ["Value", "Phone", "Amount"], rows)
    sheet = load_workbook(path).active
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:C11"
    assert sheet["A1"].font.bold
    for index, original in enumerate(INJECTIONS, start=2):
        cell = sheet.cell(row=index, column=1)
        assert cell.data_type == "s"
        assert cell.value == original.replace("\r", "\n"), "XML turns CR into LF; text kept"
        assert sheet.cell(row=index, column=2).value == "+32 2 555 01 01"
        assert sheet.cell(row=index, column=3).value == -12.5
    assert sheet.column_dimensions["A"].width > len("Value") + 1


def test_mailmerge_command_writes_csv_for_european_excel(
    coalition_data: None, run: Any, tmp_path: Path
) -> None:
    path = tmp_path / "merge.csv"
    result = ok(run("export", "mailmerge", str(path), "--excel", "--delimiter", ";"))
    assert (
        "Left out: 1 bounced, 1 do not contact, 1 duplicate address, 1 no valid email"
        in result.stderr
    )
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
    assert rows[1]["Salutation"] == "Chère Madame Bonneau"
    assert list(rows[0]) == exporter.MAILMERGE_COLUMNS


def test_log_outreach_logs_everyone_and_moves_prospects(
    coalition_data: None, run: Any, tmp_path: Path
) -> None:
    path = tmp_path / "merge.xlsx"
    ok(
        run(
            "export",
            "mailmerge",
            str(path),
            "--campaign",
            "csam-2022",
            "--log-outreach",
            "Invitation",
        )
    )
    assert path.exists() and not list(tmp_path.glob(".*pending*"))
    signons = {
        s["organisation"]: s["status"]
        for s in json.loads(ok(run("signon", "list", "csam-2022", "--format", "json")).stdout)
    }
    assert signons == {"Alpha": "invited", "Beta": "invited"}
    shown = json.loads(ok(run("contact", "show", "claire@example.org", "--format", "json")).stdout)
    assert [i["subject"] for i in shown["interactions"]] == ["Invitation"]


def test_export_to_a_missing_folder_is_one_sentence(
    coalition_data: None, run: Any, tmp_path: Path
) -> None:
    result = run("export", "mailmerge", str(tmp_path / "nowhere" / "merge.csv"))
    assert result.exit_code == 1 and "does not exist" in result.stderr


@pytest.fixture
def signed(unit: Any) -> None:
    with unit() as w:
        campaigns.add_campaign(w, "csam-2022", name="Joint <statement>", link="example.org/s")
        for name, country, kind in [
            ("Österreichische Kinderhilfe", "AT", "ngo"),
            ("alpha network", "BE", "network"),
            ("Zeta Stiftung", "DE", "foundation"),
            ("Ärzte für Kinder", "DE", "ngo"),
            ("<script>alert(1)</script>", "FR", "ngo"),
            ("Private Org", "FR", "ngo"),
            ("Declined Org", "FR", "ngo"),
        ]:
            people.add_organisation(w, name=name, country=country, kind=kind)
            status = "declined" if name == "Declined Org" else "signed"
            campaigns.set_signon(w, name, "csam-2022", status, public=name != "Private Org")
        campaigns.set_signon(
            w, "Zeta Stiftung", "csam-2022", None, display_name="Zeta-Stiftung für Kinder"
        )


def test_signatories_sorted_as_a_reader_expects(signed: None, db: Any) -> None:
    with db.read_session() as s:
        listing = exports.signatories(s, "csam-2022")
    names = [x.name for x in listing.groups[0].signatories]
    assert names == [
        "<script>alert(1)</script>",
        "alpha network",
        "Ärzte für Kinder",
        "Österreichische Kinderhilfe",
        "Zeta-Stiftung für Kinder",
    ]
    assert listing.total == 5


def test_signatories_grouped_with_counts(signed: None, db: Any) -> None:
    with db.read_session() as s:
        by_country = exports.signatories(s, "csam-2022", "country")
        by_kind = exports.signatories(s, "csam-2022", "kind")
    assert [(g.label, len(g.signatories)) for g in by_country.groups] == [
        ("Austria", 1),
        ("Belgium", 1),
        ("France", 1),
        ("Germany", 2),
    ]
    assert [g.label for g in by_kind.groups] == ["Foundation", "Network", "Ngo"]


def test_html_page_escapes_every_value(signed: None, run: Any, tmp_path: Path) -> None:
    path = tmp_path / "signatories.html"
    ok(run("export", "signatories", "csam-2022", str(path), "--group-by", "country"))
    page = path.read_text(encoding="utf-8")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<title>Joint &lt;statement&gt; — signatories</title>" in page
    assert 'href="https://example.org/s"' in page
    assert "5 signatories" in page and "Germany (2)" in page


@pytest.mark.parametrize("suffix", [".md", ".txt", ".csv", ".xlsx"])
def test_other_signatory_formats(signed: None, run: Any, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"signatories{suffix}"
    ok(run("export", "signatories", "csam-2022", str(path)))
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        values = [c.value for c in load_workbook(path).active["A"]]
    else:
        values = path.read_text(encoding="utf-8").splitlines()
    text = "\n".join(str(v) for v in values)
    assert (
        "Österreichische Kinderhilfe" in text
        and "Private Org" not in text
        and "Declined Org" not in text
    )


def test_a_valid_second_address_is_used_when_the_primary_is_invalid(unit: Any, db: Any) -> None:
    from coalition.domain.people import EmailInput

    with unit() as w:
        people.add_contact(
            w,
            given_name="Pat",
            emails=[EmailInput("pat@@example.org", primary=True), EmailInput("pat@example.net")],
            allow_invalid=True,
        )
    with db.read_session() as s:
        found = exports.mailmerge_recipients(s, RecipientFilter())
    assert [r.email for r in found.recipients] == ["pat@example.net"]
    assert not found.left_out


def test_one_per_org_passes_over_a_signer_who_cannot_be_mailed(
    coalition_data: None, unit: Any, db: Any
) -> None:
    """Beta signed through Dora, who asked not to be contacted: Beta's mail goes to its
    first contact who can be mailed, rather than to nobody."""
    with unit() as w:
        campaigns.set_signon(w, "Beta", "csam-2022", "invited")
        campaigns.set_signon(w, "Beta", "csam-2022", "signed", signed_by="dora@example.org")
    with db.read_session() as s:
        found = exports.mailmerge_recipients(
            s, RecipientFilter(campaign="csam-2022", one_per_org=True)
        )
    assert [r.email for r in found.recipients] == ["anna@example.org", "shared@example.org"]
    assert found.left_out["do not contact"] == 1


def test_the_stream_and_the_list_agree(coalition_data: None, db: Any) -> None:
    with db.read_session() as s:
        listed = exports.mailmerge_recipients(s, RecipientFilter(campaign="csam-2022"))
        stream = exports.recipient_stream(s, RecipientFilter(campaign="csam-2022"))
        assert stream.left_out == {"do not contact": 1, "bounced": 1}, "known before reading"
        assert list(stream) == listed.recipients
    assert stream.left_out == listed.left_out
    assert stream.campaign_id == listed.campaign_id


GREETED = [
    ("fr", "Mme", "Claire", "Bonneau"),
    ("de", "Herr", "Jürgen", "Weiß"),
    (None, "Dr", "Anna", None),
    (None, "Prof.", None, "Berg"),
    ("pl", "Pani", "Zofia", "Kowalska"),
    ("es", None, "Lucía", None),
    ("it", "Sig.ra", "Giulia", "Rossi"),
    (None, None, None, None),
]


def test_the_mail_merge_greets_as_salutation_does(unit: Any, db: Any) -> None:
    with unit() as w:
        for i, (language, honorific, given, family) in enumerate(GREETED):
            people.add_contact(
                w,
                language=language,
                honorific=honorific,
                given_name=given,
                family_name=family,
                display_name=None if given or family else "Press office",
                emails=[f"person{i}@example.org"],
            )
    with db.read_session() as s:
        found = exports.mailmerge_recipients(s, RecipientFilter())
    assert len(found.recipients) == len(GREETED)
    for r in found.recipients:
        assert r.salutation == salutation(r.language, _honorific(r), r.given_name, r.family_name)
    greetings = {r.email: r.salutation for r in found.recipients}
    assert greetings["person7@example.org"] == "Dear colleagues"
    assert greetings["person2@example.org"] == "Dear Anna"


def _honorific(r: Any) -> str | None:
    return {e[2:]: e[1] for e in GREETED}.get((r.given_name, r.family_name))


def _reference_salutation(
    language: str | None, honorific: str | None, given: str | None, family: str | None
) -> str:
    """The salutation rules written plainly, without the caches of the real one."""
    from coalition.domain.exports import _FEMALE, _MALE, SALUTATIONS
    from coalition.domain.values import fold

    female, male, titled, named, nobody = SALUTATIONS.get(language or "en", SALUTATIONS["en"])
    name = " ".join(p for p in (given, family) if p)
    if not name:
        return nobody
    key = " ".join(fold(honorific or "").replace(".", " ").split())
    if key in _FEMALE and family:
        return female.format(f=family, g=given or family)
    if key in _MALE and family:
        return male.format(f=family, g=given or family)
    if honorific and family:
        return titled.format(h=honorific.strip(), f=family)
    return named.format(n=name)


@given(
    st.sampled_from([None, "en", "fr", "de", "es", "it", "nl", "pl", "pt"]),
    st.one_of(
        st.none(),
        st.sampled_from(["Ms", "Mr.", "Mme", "Herr", "Dr", " ", "sig.ra"]),
        st.text(max_size=8),
    ),
    st.one_of(st.none(), st.text(max_size=8)),
    st.one_of(st.none(), st.text(max_size=8)),
)
def test_salutation_keeps_its_rules(
    language: str | None, honorific: str | None, given: str | None, family: str | None
) -> None:
    assert salutation(language, honorific, given, family) == _reference_salutation(
        language, honorific, given, family
    )


def test_a_text_only_sheet_is_neutralised_too(tmp_path: Path) -> None:
    """Rows of strings take the one-check-per-row path; they come out the same."""
    path = tmp_path / "out.csv"
    rows = [[value, "+32 2 555 01 01", "-12.5"] for value in INJECTIONS] + [["Jean-Luc", "", ""]]
    exporter.write_table(path, ["Value", "Phone", "Amount"], rows)
    read = list(csv.reader(path.open(encoding="utf-8", newline="")))[1:]
    assert [r[0] for r in read] == [safe_text(v) for v in INJECTIONS] + ["Jean-Luc"]
    assert all(r[0] != v for r, v in zip(read, INJECTIONS, strict=False))
    assert {(r[1], r[2]) for r in read} == {("+32 2 555 01 01", "-12.5"), ("", "")}


TEXT_CELLS = st.text(alphabet=st.sampled_from(list('ab ,;"\t\r\n=+-@0\u00a0\x00é')), max_size=5)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.integers(min_value=1, max_value=4).flatmap(
        lambda n: st.lists(
            st.lists(st.one_of(TEXT_CELLS, st.none(), st.integers()), min_size=n, max_size=n),
            max_size=5,
        )
    ),
    st.sampled_from([",", ";", "\t", "|"]),
)
def test_csv_rows_are_written_as_csv_writer_writes_them(
    tmp_path: Path, rows: list[list[Any]], delimiter: str
) -> None:
    """Rows joined on the fast path come out byte for byte as csv.writer would write
    them after safe_text, whatever they hold."""
    import io

    path = tmp_path / "fast.csv"
    exporter.write_table(path, ["h"] * len(rows[0] if rows else [1]), rows, delimiter=delimiter)
    expected = io.StringIO(newline="")
    writer = csv.writer(expected, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["h"] * len(rows[0] if rows else [1]))
    for row in rows:
        writer.writerow(
            ["" if v is None else safe_text(v) if isinstance(v, str) else v for v in row]
        )
    assert path.read_bytes() == expected.getvalue().encode("utf-8")


def test_xlsx_cells_keep_their_types_and_text(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from coalition.interchange.tabular import open_table

    path = tmp_path / "types.xlsx"
    row = [
        "a & <b>",
        " padded ",
        dt.date(2024, 5, 1),
        dt.datetime(2024, 5, 1, 10, 30),
        True,
        3,
        -12.5,
        None,
        "",
        "bell\x07",
        "Łódź\nline 2",
    ]
    headers = [f"Column {i}" for i in range(len(row))]
    assert exporter.write_table(path, headers, [row], sheet_title="Sign-ons: 2024/25 [draft]") == 1
    sheet = load_workbook(path).active
    assert sheet.title == "Sign-ons_ 2024_25 _draft_"
    assert [c.value for c in sheet[1]] == headers
    assert [c.value for c in sheet[2]] == [
        "a & <b>",
        " padded ",
        dt.datetime(2024, 5, 1),
        dt.datetime(2024, 5, 1, 10, 30),
        True,
        3,
        -12.5,
        None,
        None,
        "bell",  # a control character XML cannot hold is dropped
        "Łódź\nline 2",
    ]
    assert sheet.auto_filter.ref == "A1:K2"
    table = open_table(path)  # and our own reader takes it back
    assert table.headers == headers


@pytest.mark.parametrize(
    "value",
    [
        dt.date(1900, 1, 1),
        dt.date(1900, 2, 28),
        dt.date(1900, 3, 1),
        dt.date(2024, 5, 1),
        dt.datetime(2024, 5, 1, 23, 59, 59, 500000),
    ],
)
def test_xlsx_dates_count_days_as_spreadsheets_do(value: dt.date) -> None:
    from openpyxl.utils.datetime import to_excel

    assert exporter._serial(value) == pytest.approx(to_excel(value))


@given(st.text(alphabet=st.sampled_from(list("ab,;\\\r\n é€😀")), max_size=90))
def test_vcard_escaping_and_folding_keep_their_rules(value: str) -> None:
    from coalition.interchange import vcard_export

    escaped = (
        value.replace("\\", "\\\\")
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", "\\n")
        .replace(",", "\\,")
        .replace(";", "\\;")
    )
    assert vcard_export.escape(value) == escaped
    folded = vcard_export.fold_line("NOTE:" + escaped)
    lines = folded.encode("utf-8").split(b"\r\n")
    assert lines[-1] == b"" and all(len(line) <= 75 for line in lines)
    assert folded.replace("\r\n ", "") == "NOTE:" + escaped + "\r\n"


def _plain_mail_merge(
    s: Any, campaign_code: str | None = None, one_per_org: bool = False
) -> tuple[list[exports.Recipient], dict[str, int]]:
    """The mail merge's rules read plainly from ORM objects, one contact at a time."""
    from collections import Counter

    from sqlalchemy import func, select

    from coalition.store.models import Campaign, Contact, Organisation, SignOn, SignOnEvent

    signons: dict[int, Any] = {}
    invited: dict[int, dt.date] = {}
    if campaign_code is not None:
        campaign = s.scalars(select(Campaign).where(Campaign.code == campaign_code)).one()
        signons = {
            so.organisation_id: so
            for so in s.scalars(select(SignOn).where(SignOn.campaign_id == campaign.id))
        }
        for signon_id, at in s.execute(
            select(SignOnEvent.signon_id, func.min(SignOnEvent.at))
            .where(SignOnEvent.to_status == "invited")
            .group_by(SignOnEvent.signon_id)
        ):
            invited[signon_id] = at.date()

    def valid(c: Any) -> list[Any]:
        return sorted((e for e in c.emails if e.valid), key=lambda e: (not e.is_primary, e.id))

    def mailable(c: Any) -> bool:
        return not c.do_not_contact and not c.bounced and bool(valid(c))

    contacts = sorted(
        s.scalars(select(Contact)),
        key=lambda c: (
            c.organisation is not None,
            c.organisation.name_key if c.organisation else "",
            c.display_name_key,
            c.id,
        ),
    )
    by_id = {c.id: c for c in contacts}
    left: Counter[str] = Counter()
    found: list[exports.Recipient] = []
    seen: set[str] = set()
    orgs_done: set[int] = set()
    for c in contacts:
        if c.do_not_contact:
            left["do not contact"] += 1
            continue
        if c.bounced:
            left["bounced"] += 1
            continue
        if not valid(c):
            left["no valid email"] += 1
            continue
        org = c.organisation
        signon = signons.get(org.id) if org else None
        if one_per_org and org is not None:
            signer = by_id.get(signon.signed_by_id) if signon and signon.signed_by_id else None
            chosen = signer if signer and signer.organisation_id == org.id else None
            chosen = chosen if chosen and mailable(chosen) else None
            if org.id in orgs_done or (chosen is not None and chosen is not c):
                left["not the organisation's main contact"] += 1
                continue
            orgs_done.add(org.id)
        address = valid(c)[0].address
        if address.casefold() in seen:
            left["duplicate address"] += 1
            continue
        seen.add(address.casefold())
        name = " ".join(p for p in (c.given_name, c.family_name) if p)
        found.append(
            exports.Recipient(
                address,
                salutation(c.language, c.honorific, c.given_name, c.family_name),
                c.given_name,
                c.family_name,
                name or c.display_name,
                org.name if org else None,
                c.role,
                c.country or (org.country if org else None),  # one meaning: domain.filters
                c.language,
                signon.status if signon else None,
                invited.get(signon.id) if signon else None,
                ((signon and signon.display_name) or org.name) if org else None,
                c.id,
                org.id if org else None,
            )
        )
    # Then each organisation none of whose people was written, by name: at its own
    # address, unless it has none or someone there asked not to be contacted.
    reached = {r.organisation_id for r in found}
    for org in sorted(s.scalars(select(Organisation)), key=lambda o: (o.name_key, o.id)):
        if org.id in reached:
            continue
        if not org.email:
            left["organisation(s) with no one to write to"] += 1
        elif any(c.do_not_contact for c in org.contacts):
            left["organisation(s) where someone asked not to be contacted"] += 1
        elif org.email.casefold() in seen:
            left["duplicate address"] += 1
        else:
            seen.add(org.email.casefold())
            signon = signons.get(org.id)
            found.append(
                exports.Recipient(
                    org.email,
                    "Dear colleagues",
                    None,
                    None,
                    org.name,
                    org.name,
                    None,
                    org.country,
                    None,
                    signon.status if signon else None,
                    invited.get(signon.id) if signon else None,
                    (signon and signon.display_name) or org.name,
                    None,
                    org.id,
                )
            )
    return found, dict(left)


@pytest.fixture
def crowd(unit: Any) -> None:
    """Seventy people drawn at random from every case the mail merge tells apart."""
    import random

    from coalition.domain.people import EmailInput

    pick = random.Random(4).choice
    with unit() as w:
        orgs = [
            f"#{people.add_organisation(w, **fields).id}"
            for fields in (
                {"name": "Alpha", "country": "BE"},
                {"name": "alpha", "country": "FR", "allow_duplicate": True},  # same name key
                {"name": "Beta"},
                {"name": "Émile Fondation", "country": "DE", "email": "info@example.net"},
            )
        ]
        # Nobody works at these: one is written to at its own address (once: the other's
        # is the same mailbox), one has no one to write to.
        for fields in (
            {"name": "Gamma Network", "email": "Office@example.net"},
            {"name": "Delta Forum", "email": "office@example.net"},
            {"name": "Epsilon"},
        ):
            people.add_organisation(w, **fields)
        campaigns.add_campaign(w, "c1", name="Statement")
        pool = [f"p{i}@example.org" for i in range(40)]
        for i in range(70):
            given = pick([None, "Ana", "Jan", "Zoë", "Ana"])
            family = pick([None, "Berg", "Nowak", "Weiß"])
            emails = [
                EmailInput(
                    pick([pick(pool), pick(pool).upper(), "bad@@example.org"]),
                    primary=pick([True, False]),
                )
                for _ in range(pick([0, 1, 1, 2, 3]))
            ]
            people.add_contact(
                w,
                given_name=given,
                family_name=family,
                display_name=None if given or family else f"Office {i}",
                honorific=pick([None, "Ms", "Herr", "Dr", "Mme", "Pani"]),
                language=pick([None, "fr", "de", "pl", "en"]),
                country=pick([None, "NL"]),
                role=pick([None, "Director"]),
                organisation=pick([None, *orgs]),
                emails=emails,
                do_not_contact=pick([False] * 9 + [True]),
                bounced=pick([False] * 9 + [True]),
                allow_invalid=True,
                allow_duplicate=True,
            )
        for address, dnc in (("signer@example.org", False), ("quiet@example.org", True)):
            people.add_contact(
                w,
                given_name="Sig",
                family_name="Ner",
                organisation=orgs[1] if not dnc else orgs[3],
                emails=[address],
                do_not_contact=dnc,
            )
        campaigns.set_signon(w, orgs[3], "c1", "signed", signed_by="quiet@example.org")
        campaigns.set_signon(w, orgs[0], "c1", "invited", display_name="Alpha (BE)")
        campaigns.set_signon(w, orgs[2], "c1", "prospect")
        campaigns.set_signon(w, orgs[1], "c1", "invited")
        campaigns.set_signon(w, orgs[1], "c1", "signed", signed_by="signer@example.org")


@pytest.mark.parametrize(
    ("campaign", "one_per_org"), [(None, False), (None, True), ("c1", False), ("c1", True)]
)
def test_the_mail_merge_matches_a_plain_reading(
    crowd: None, db: Any, campaign: str | None, one_per_org: bool
) -> None:
    """Everything the streamed SQL walk decides, against the rules read one contact at a
    time from ORM objects: who, in which order, at which address, greeted how, with
    which organisation, country and sign-on, and who was left out for what."""
    with db.read_session() as s:
        expected, left_out = _plain_mail_merge(s, campaign, one_per_org)
        found = exports.mailmerge_recipients(
            s, RecipientFilter(campaign=campaign, one_per_org=one_per_org)
        )
    assert len(expected) > 10
    assert {"do not contact", "bounced", "no valid email", "duplicate address"} <= set(left_out)
    assert "organisation(s) with no one to write to" in left_out
    assert [r.email for r in expected if r.contact_id is None] == ["office@example.net"]
    assert found.recipients == expected
    assert dict(found.left_out) == left_out


def test_long_csv_tables_are_written_as_csv_writer_writes_them(tmp_path: Path) -> None:
    """Thousands of rows, a few of them needing quotes, neutralising or conversion here
    and there: rows are tested many at a time, and the rows around an odd one keep the
    fast path; the file is still what csv.writer writes, byte for byte."""
    import io
    import random

    odd = ['say "hi"', "a,b", "two\nlines", "=1+1", "\t=1", None, 7, "", " lead", "ok"]
    pick = random.Random(7)
    rows: list[list[Any]] = []
    for i in range(3000):
        row: list[Any] = [f"name {i}", "Dear Ms Berg", "", "Émilie", "x" * (i % 5)]
        if pick.random() < 0.01 or 1500 <= i < 1520:
            row[pick.randrange(len(row))] = pick.choice(odd)
        rows.append(row)
    rows.append(["", "", "", "", ""])
    for delimiter in (",", ";"):
        path = tmp_path / "long.csv"
        assert exporter.write_table(path, ["h"] * 5, rows, delimiter=delimiter) == len(rows)
        expected = io.StringIO(newline="")
        writer = csv.writer(expected, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(["h"] * 5)
        for row in rows:
            writer.writerow(
                ["" if v is None else safe_text(v) if isinstance(v, str) else v for v in row]
            )
        assert path.read_bytes() == expected.getvalue().encode("utf-8")
