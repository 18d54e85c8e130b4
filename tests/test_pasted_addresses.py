"""Addresses as people paste them, and the names beside them (issue 13).

A pasted address list is mostly ``Name <address>``; kept as one invalid address, such
a person silently dropped out of mail merge. These tests read cells and typed
options the way a coordinator writes them, import a real file and merge it out again.
"""

from __future__ import annotations

import csv
import json
from email.utils import formataddr
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coalition.domain.values import (
    PastedAddress,
    check_email,
    clean,
    parse_pasted_addresses,
    split_full_name,
)
from coalition.interchange.importer import record_from_vcard, row_reader
from coalition.interchange.mapping import detect
from coalition.interchange.vcard import read_vcards
from tests.conftest import ok


def pairs(text: str) -> list[tuple[str, str | None]]:
    return [(found.address, found.name) for found in parse_pasted_addresses(text)]


# --- the parser ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("jan@example.org", [("jan@example.org", None)]),
        ("  jan@example.org \n", [("jan@example.org", None)]),
        ("Jana Nováková <jana@example.org>", [("jana@example.org", "Jana Nováková")]),
        ("Jan de Vries<jan@example.org>", [("jan@example.org", "Jan de Vries")]),
        ('"Nováková, Jana" <jana@example.org>', [("jana@example.org", "Nováková, Jana")]),
        ("'Jan de Vries' <jan@example.org>", [("jan@example.org", "Jan de Vries")]),
        ('"O\\"Brien, Seán" <sean@example.org>', [("sean@example.org", 'O"Brien, Seán')]),
        ("<jan@example.org>", [("jan@example.org", None)]),
        ("mailto:jan@example.org", [("jan@example.org", None)]),
        ("MAILTO:jan@example.org", [("jan@example.org", None)]),
        ("mailto:jan@example.org?subject=Joint%20statement", [("jan@example.org", None)]),
        ("Jan <mailto:jan@example.org>", [("jan@example.org", "Jan")]),
        ("mailto:jan%40example.org", [("jan@example.org", None)]),
        ("jan@example.org.", [("jan@example.org", None)]),
        ("jan@example.org;", [("jan@example.org", None)]),
        ("jan@example.org,", [("jan@example.org", None)]),
        ("(jan@example.org)", [("jan@example.org", None)]),
        ("[jan@example.org]", [("jan@example.org", None)]),
        ("'jan@example.org'", [("jan@example.org", None)]),
        ('"jan@example.org"', [("jan@example.org", None)]),
        ("Jan <jan@example.org>.", [("jan@example.org", "Jan")]),
        ("jan@example.org (Jan)", [("jan@example.org", None)]),
        # A mail program that writes the address as the name: no name.
        ("jan@example.org <jan@example.org>", [("jan@example.org", None)]),
        ('"jan@example.org" <jan@example.org>', [("jan@example.org", None)]),
        # A non-ASCII name as a mail program writes it in a header.
        ("=?utf-8?q?Jana_Nov=C3=A1kov=C3=A1?= <jana@example.org>",
         [("jana@example.org", "Jana Nováková")]),
    ],
)  # fmt: skip
def test_one_address_in_every_shape_people_paste(
    cell: str, expected: list[tuple[str, str | None]]
) -> None:
    assert pairs(cell) == expected


@pytest.mark.parametrize(
    "cell",
    [
        "jan@example.org, petr@example.net",
        "jan@example.org; petr@example.net",
        "jan@example.org;petr@example.net;",
        "jan@example.org\npetr@example.net",
        "jan@example.org\r\npetr@example.net\r\n",
        "jan@example.org ::: petr@example.net",
        "mailto:jan@example.org,petr@example.net?subject=Hello",
        "<jan@example.org>; (petr@example.net).",
    ],
)
def test_several_addresses_in_one_cell(cell: str) -> None:
    assert pairs(cell) == [("jan@example.org", None), ("petr@example.net", None)]


def test_a_quoted_name_with_a_comma_is_not_cut_at_its_comma() -> None:
    assert pairs('"Nováková, Jana" <jana@example.org>; petr@example.net') == [
        ("jana@example.org", "Nováková, Jana"),
        ("petr@example.net", None),
    ]
    assert pairs('"Nováková, Jana" <jana@example.org>, "Novák, Petr" <petr@example.net>') == [
        ("jana@example.org", "Nováková, Jana"),
        ("petr@example.net", "Novák, Petr"),
    ]


def test_an_unquoted_last_first_name_is_kept_whole() -> None:
    # As some mail programs copy a list: "Last, First <address>" with no quotes.
    assert pairs("Nováková, Jana <jana@example.org>; Novák, Petr <petr@example.net>") == [
        ("jana@example.org", "Nováková, Jana"),
        ("petr@example.net", "Novák, Petr"),
    ]


def test_names_with_separators_inside_brackets_or_quotes_stay_whole() -> None:
    assert pairs('"Team; Brussels office" <office@example.org>') == [
        ("office@example.org", "Team; Brussels office")
    ]
    assert pairs("Jan (Brussels, office) <jan@example.org>, eva@example.net") == [
        ("jan@example.org", "Jan (Brussels, office)"),
        ("eva@example.net", None),
    ]


@pytest.mark.parametrize("cell", ["n/a", "see notes, ask Eva", "jan(at)example.org", "Jan <>"])
def test_a_cell_without_an_at_sign_stays_one_value_to_be_flagged(cell: str) -> None:
    assert parse_pasted_addresses(cell) == [PastedAddress(cell, None)]
    assert not check_email(cell).valid


@pytest.mark.parametrize("cell", ["", "   ", "\n"])
def test_an_empty_cell_has_no_addresses(cell: str) -> None:
    assert parse_pasted_addresses(cell) == []


def test_a_bad_address_beside_a_name_is_kept_to_be_flagged_not_dropped() -> None:
    assert pairs("Jan <bad@@example.org>; petr@example.net") == [
        ("bad@@example.org", "Jan"),
        ("petr@example.net", None),
    ]
    assert pairs("Jan <jan(at)example.org>, petr@example.net") == [
        ("jan(at)example.org", "Jan"),
        ("petr@example.net", None),
    ]
    assert not check_email("bad@@example.org").valid


# --- check_email ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "Jan de Vries <jan@example.org>",
        '"de Vries, Jan" <jan@example.org>',
        "de Vries, Jan <jan@example.org>",
        "<jan@example.org>",
        "mailto:jan@example.org",
        "  mailto:Jan@Example.ORG  ",
        "Jan de Vries <mailto:jan@example.org>",
    ],
)
def test_check_email_accepts_a_named_address_and_gives_the_address_alone(typed: str) -> None:
    checked = check_email(typed)
    assert checked.valid, checked.reason
    assert checked.key == "jan@example.org"
    assert checked.address.casefold() == "jan@example.org"


def test_check_email_of_the_pasted_common_case() -> None:
    checked = check_email("Jan de Vries <jan@example.org>")
    assert (checked.address, checked.valid, checked.reason) == ("jan@example.org", True, None)


def test_check_email_keeps_a_bad_address_beside_a_name_flagged() -> None:
    checked = check_email("Jan de Vries <jan@@example.org>")
    assert not checked.valid
    assert checked.address == "jan@@example.org"
    assert checked.reason


def test_check_email_does_not_take_two_addresses_for_one() -> None:
    typed = "Jan <jan@example.org>, Eva <eva@example.org>"
    checked = check_email(typed)
    assert not checked.valid
    assert checked.address == typed


def test_check_email_still_judges_a_trailing_period_as_email_validator_does() -> None:
    # A pasted cell is tidied (see above); a single typed address is judged as typed.
    assert not check_email("jan@example.org.").valid


# --- names ---------------------------------------------------------------------------------


def test_the_name_beside_an_address_is_split_last_comma_first() -> None:
    (found,) = parse_pasted_addresses('"Müller, Émilie" <e@example.org>')
    name = split_full_name(found.name)
    assert (name.given_name, name.family_name) == ("Émilie", "Müller")


@pytest.mark.parametrize(
    ("full", "given", "family"),
    [
        ("Seán Ó Briain", "Seán", "Ó Briain"),
        ("Aoife Ní Bhriain", "Aoife", "Ní Bhriain"),
        ("Ursula von der Leyen", "Ursula", "von der Leyen"),
        ("Jan de Vries", "Jan", "de Vries"),
        ("Pieter van Dijk", "Pieter", "van Dijk"),
        ("Anna van den Berg", "Anna", "van den Berg"),
        ("Pieter van der Meer", "Pieter", "van der Meer"),
        ("Lucia della Rovere", "Lucia", "della Rovere"),
        ("Ana da Silva", "Ana", "da Silva"),
        ("João dos Santos", "João", "dos Santos"),
        ("Jeanne du Pont", "Jeanne", "du Pont"),
        ("Marie le Guen", "Marie", "le Guen"),
        ("Anne La Rochelle", "Anne", "La Rochelle"),
        ("Ewan McGregor", "Ewan", "McGregor"),
        ("Mary MacAleese", "Mary", "MacAleese"),
        ("Ahmad bin Khalid", "Ahmad", "bin Khalid"),
        ("Layla al-Hassan", "Layla", "al-Hassan"),
        ("Müller, Émilie", "Émilie", "Müller"),
        ("Ó Briain, Seán", "Seán", "Ó Briain"),
        ("Maria Luisa da Costa", "Maria Luisa", "da Costa"),
    ],
)
def test_names_with_particles_split_as_people_expect(full: str, given: str, family: str) -> None:
    name = split_full_name(full)
    assert (name.given_name, name.family_name) == (given, family)


def test_an_honorific_before_a_particle_name_is_still_set_apart() -> None:
    name = split_full_name("Dr. Seán Ó Briain")
    assert (name.honorific, name.given_name, name.family_name) == ("Dr.", "Seán", "Ó Briain")


# --- properties ----------------------------------------------------------------------------

_LOCAL = st.from_regex(r"[a-z0-9]([a-z0-9._+-]{0,14}[a-z0-9])?", fullmatch=True).filter(
    lambda s: ".." not in s
)
_ADDRESS = st.builds(
    "{}@{}".format, _LOCAL, st.sampled_from(["example.org", "example.net", "sub.example.org"])
)
_NAME = st.text(alphabet=st.characters(categories=["L"]) | st.sampled_from(" ,.-'()"), max_size=30)


@settings(max_examples=300, deadline=None)
@given(_ADDRESS, _NAME)
def test_a_named_address_parses_back_to_its_address_and_name(address: str, name: str) -> None:
    # formataddr writes what a mail program writes: quoted or encoded as the name needs.
    (found,) = parse_pasted_addresses(formataddr((name, address)))
    assert found.address == address
    expected = clean(name.strip(" \"'"))
    if expected is None or not any(c.isalnum() for c in expected):
        assert found.name is None
    else:
        assert found.name == expected


@settings(max_examples=300, deadline=None)
@given(_ADDRESS, st.from_regex(r"[A-Za-zÀ-ž][A-Za-zÀ-ž .'-]{0,20}", fullmatch=True))
def test_check_email_of_name_and_address_is_the_address_alone(address: str, name: str) -> None:
    plain = check_email(address)
    assert plain.valid
    assert check_email(f"{name} <{address}>") == plain
    assert check_email(f"mailto:{address}") == plain


@settings(max_examples=200, deadline=None)
@given(st.lists(_ADDRESS, min_size=1, max_size=4), st.sampled_from([",", ";", "\n", " ::: "]))
def test_several_addresses_come_back_in_order(addresses: list[str], separator: str) -> None:
    assert pairs(separator.join(addresses)) == [(a, None) for a in addresses]


# --- reading rows and cards ----------------------------------------------------------------


def test_a_row_reads_every_address_and_the_name_beside_the_first() -> None:
    read = row_reader(detect(["Name", "E-mail", "Organisation"]))
    record = read(["", '"Nováková, Jana" <jana@example.org>; petr@example.net', ""], "row 2")
    assert record.emails == [("jana@example.org", None), ("petr@example.net", None)]
    assert record.full_name == "Nováková, Jana"


def test_a_row_with_its_own_name_keeps_it() -> None:
    read = row_reader(detect(["First name", "Last name", "E-mail"]))
    record = read(["Eva", "Svobodová", "Someone Else <eva@example.org>"], "row 2")
    assert record.emails == [("eva@example.org", None)]
    assert (record.full_name, record.given_name, record.family_name) == (
        None,
        "Eva",
        "Svobodová",
    )


def test_a_plain_cell_is_taken_as_it_is() -> None:
    read = row_reader(detect(["E-mail"]))
    assert read(["jan@example.org"], "row 2").emails == [("jan@example.org", None)]
    assert read(["bad@@example.org"], "row 3").emails == [("bad@@example.org", None)]
    assert read(["(jan@example.org)."], "row 4").emails == [("jan@example.org", None)]


def test_a_vcard_email_written_with_a_name_is_the_address_alone(tmp_path: Path) -> None:
    card = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jan de Vries\r\nN:de Vries;Jan;;;\r\n"
        "EMAIL;TYPE=work:Jan de Vries <jan@example.org>\r\nEND:VCARD\r\n"
    )
    path = tmp_path / "jan.vcf"
    path.write_text(card, encoding="utf-8")
    (read,) = read_vcards(path).cards
    record = record_from_vcard(read)
    assert record.emails == [("jan@example.org", "work")]
    assert (record.given_name, record.family_name) == ("Jan", "de Vries")


# --- end to end: import a pasted list, then merge it out -----------------------------------


def test_a_pasted_address_list_imports_valid_and_named_and_reaches_mail_merge(
    run: Any, tmp_path: Path
) -> None:
    source = tmp_path / "pasted.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Name", "E-mail", "Organisation"])
        writer.writerow(
            ["", '"Nováková, Jana" <jana@example.org>; petr@example.net', "Fundacja Testowa"]
        )
        writer.writerow(["", "Seán Ó Briain <sean@example.org>", ""])
        writer.writerow(["", "mailto:ola@example.net?subject=Invitation", ""])
        writer.writerow(["Eva Svobodová", "Someone Else <eva@example.org>", ""])
    ok(run("import", str(source)))

    people = {
        c["emails"][0]["address"]: c
        for c in json.loads(ok(run("contact", "list", "--format", "json")).stdout)
    }
    assert set(people) == {
        "jana@example.org",
        "sean@example.org",
        "ola@example.net",
        "eva@example.org",
    }
    jana = people["jana@example.org"]
    assert [(e["address"], e["valid"]) for e in jana["emails"]] == [
        ("jana@example.org", True),
        ("petr@example.net", True),
    ]
    assert (jana["given_name"], jana["family_name"]) == ("Jana", "Nováková")
    assert jana["display_name"] == "Jana Nováková"
    assert jana["organisation"] == "Fundacja Testowa"
    sean = people["sean@example.org"]
    assert (sean["given_name"], sean["family_name"]) == ("Seán", "Ó Briain")
    assert people["ola@example.net"]["emails"][0]["valid"]
    eva = people["eva@example.org"]
    assert (eva["given_name"], eva["family_name"]) == ("Eva", "Svobodová")
    assert all(e["valid"] for c in people.values() for e in c["emails"])

    merge = tmp_path / "out.csv"
    ok(run("export", "mailmerge", str(merge)))
    with merge.open(encoding="utf-8-sig", newline="") as handle:
        rows = {row["Email"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {
        "jana@example.org",
        "sean@example.org",
        "ola@example.net",
        "eva@example.org",
    }
    assert (rows["jana@example.org"]["GivenName"], rows["jana@example.org"]["FamilyName"]) == (
        "Jana",
        "Nováková",
    )
    assert rows["sean@example.org"]["FamilyName"] == "Ó Briain"


def test_contact_add_takes_the_name_written_beside_a_pasted_address(run: Any) -> None:
    ok(run("contact", "add", "--email", '"de Vries, Jan" <jan@example.org>'))
    ok(run("contact", "add", "--email", "mailto:Seán Ó Briain <sean@example.net>"))
    ok(run("contact", "add", "--name", "Ursula Beispiel", "--email", "U. B. <ub@example.org>"))
    found = {
        (c["given_name"], c["family_name"]): [(e["address"], e["valid"]) for e in c["emails"]]
        for c in json.loads(ok(run("contact", "list", "--format", "json")).stdout)
    }
    assert found == {
        ("Jan", "de Vries"): [("jan@example.org", True)],
        ("Seán", "Ó Briain"): [("sean@example.net", True)],
        ("Ursula", "Beispiel"): [("ub@example.org", True)],
    }
