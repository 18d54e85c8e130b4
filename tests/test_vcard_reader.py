"""The vCard reader against files as real address books write them.

Fixtures in tests/fixtures/vcards/ (all people, addresses and numbers are
invented; numbers use 555 ranges, mail goes to example.org/.net/.com):

- outlook2016_v21_qp.vcf — Outlook 2016 for Windows "Save as vCard": vCard
  2.1, CRLF, ``CHARSET=utf-8``, quoted-printable FN and NOTE whose soft line
  breaks fall *inside* UTF-8 characters (``=C3=`` / ``=A9``, written as exact
  bytes), base64 PHOTO and X-MS-CARDPICTURE ending in a blank line,
  X-MS-OL-DESIGN.
- apple_macos14_v30.vcf — Apple Contacts on macOS 14 / iCloud / iOS 17:
  vCard 3.0, ``itemN.`` groups with ``X-ABLabel`` (``_$!<Other>!$_`` and
  custom labels), ``type=`` repeated, base64 PHOTO folded at 75 columns,
  a Japanese card and an ``X-ABShowAs:COMPANY`` card.
- google_contacts_v30.vcf — Google Contacts export (vCard 3.0): ``item1.``
  labels, ``\\:`` in URLs, CATEGORIES:myContacts, a company card with an
  empty FN.
- android13_v21_qp.vcf — Android 13 (AOSP Contacts) export in vCard 2.1
  mode: ``CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE``, unindented soft breaks
  splitting 3-byte Japanese characters, bare 2.1 types (``TEL;CELL;PREF``),
  X-ANDROID-CUSTOM, base64 PHOTO ended by a blank line.
- nextcloud_cardbook_v40.vcf — Nextcloud Contacts 5 (sabre/vobject 4.5) and
  CardBook 92: vCard 4.0, ``PREF=1``, ``TYPE="work,voice"``,
  ``VALUE=uri:tel:``, LANG, ADR with a LABEL parameter, data: URI PHOTO,
  Greek text.
- thunderbird115_v40.vcf — Thunderbird 115 address book export (vCard 4.0):
  ``EMAIL;PREF=1``, ``TEL;VALUE=TEXT``, ``URL;VALUE=URL``.
- outlook2003_cp1252_v21.vcf — Outlook 2003 on Western Windows: ANSI cp1252
  vCard 2.1 without CHARSET, cp1252 bytes also inside a QP NOTE.
- outlook2007_cp1251_v21.vcf — Outlook 2007 on Russian Windows: cp1251, no
  CHARSET, Cyrillic names.
- notepad_utf16le_bom_v30.vcf — a vCard 3.0 export re-saved as "Unicode" in
  Windows Notepad (UTF-16 LE with BOM): Greek, Cyrillic and Japanese names.
- unescaped_commas_v30.vcf — a CRM/script export (LF endings) that does not
  escape commas: ``FN:Doe, John``, ``ORG:Company, The;Policy Unit``.
- broken_cards.vcf — damage from copying and truncation: a card without
  END:VCARD, lines outside any card, an empty unfinished card, and a last
  card cut off mid-line.
- corrupt_photo.vcf — a 3.0 card with garbage in its base64 PHOTO (and an
  unindented junk line), a 2.1 card whose PHOTO is cut short, unindented.
- no_fn.vcf — cards without FN (optional in 2.1; old Nokia PC Suite / Palm)
  or with an empty FN: name from N, then ORG, then email.
- classic_mac_cr_v30.vcf — classic Mac OS era export (Palm Desktop): bare
  CR line endings, a folded NOTE.
- evolution_kaddressbook_v30.vcf — Evolution 3.50 (X-EVOLUTION-UI-SLOT
  parameters, X-EVOLUTION-FILE-AS) followed by KAddressBook 23.08 (kcontacts,
  LF endings, ``EMAIL;TYPE=PREF``).

Smaller cases (parameter styles, escaping, AGENT, odd line endings, files
that are not vCards) are written inline as bytes.
"""

from __future__ import annotations

import base64
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coalition.errors import FileProblem
from coalition.interchange.vcard import (
    VCardReadResult,
    VCardRecord,
    read_vcards,
)

FIXTURES = Path(__file__).parent / "fixtures" / "vcards"


def read(name: str) -> VCardReadResult:
    return read_vcards(FIXTURES / name)


def by_name(result: VCardReadResult) -> dict[str, VCardRecord]:
    return {card.formatted_name: card for card in result.cards}


def card(data: bytes) -> VCardRecord:
    result = read_vcards(data)
    assert len(result.cards) == 1, result.problems
    return result.cards[0]


def assert_one_sentence(message: str) -> None:
    assert message.endswith(".")
    assert "\n" not in message
    assert message.count(". ") == 0


# --- programs ---------------------------------------------------------------


def test_outlook_2016_quoted_printable_soft_break_inside_a_utf8_character() -> None:
    raw = (FIXTURES / "outlook2016_v21_qp.vcf").read_bytes()
    assert b"Dupr=C3=\r\n=A9\r\n" in raw  # the break really splits "é"

    result = read("outlook2016_v21_qp.vcf")

    assert result.problems == []
    elodie, jan = result.cards
    assert elodie.version == "2.1"
    assert elodie.formatted_name == "Élodie Dupré"
    assert (elodie.given_name, elodie.family_name) == ("Élodie", "Dupré")
    assert elodie.note == "Rencontrée au forum de Liège.\nPréfère le courriel."
    assert elodie.organisation == "Réseau Solidaire"
    assert elodie.org_units == ["Plaidoyer"]
    assert elodie.title == "Chargée de projets"
    assert [(e.address, e.preferred) for e in elodie.emails] == [
        ("elodie.dupre@example.org", True),
        ("e.dupre@example.net", False),
    ]
    assert [(p.number, p.types) for p in elodie.phones] == [
        ("+32 2 555 01 10", ["work", "voice"]),
        ("+32 2 555 01 11", ["cell", "voice"]),
    ]
    (address,) = elodie.addresses
    assert (address.street, address.locality, address.postal_code, address.country) == (
        "Rue de l'Exemple 12",
        "Liège",
        "4000",
        "Belgique",
    )
    assert address.types == ["work"]
    assert elodie.urls == ["https://example.org/reseau"]
    assert "X-MS-CARDPICTURE" not in elodie.extra
    assert elodie.extra["X-MS-IMADDRESS"] == ["elodie@example.org"]
    assert jan.formatted_name == "Jan De Smet"
    assert jan.line == 46


def test_apple_contacts_grouped_labels_and_photo() -> None:
    result = read("apple_macos14_v30.vcf")

    assert result.problems == []
    cards = by_name(result)
    annika = cards["Annika Lindqvist"]
    assert annika.nickname == "Anni"
    assert annika.additional_names == "Maria"
    assert (annika.organisation, annika.org_units) == ("Nordlys Kooperativ", ["Outreach"])
    assert [(e.address, e.types, e.preferred, e.label) for e in annika.emails] == [
        ("annika@example.org", [], True, "Other"),
        ("annika.lindqvist@example.net", ["work"], False, None),
        ("annika.board@example.com", [], False, "Board"),
    ]
    assert [(p.number, p.types, p.preferred, p.label) for p in annika.phones] == [
        ("+46 8 555 010 20", ["cell", "voice"], True, None),
        ("+46 8 555 010 21", [], False, "Studio"),
    ]
    (home,) = annika.addresses
    assert home.street == "Exempelgatan 4\nLägenhet 12"
    assert (home.locality, home.postal_code, home.country) == ("Stockholm", "114 55", "Sverige")
    assert annika.urls == ["https://example.org/annika"]
    assert annika.note == "Met at the Malmö assembly, 2023.\nPrefers Signal."
    assert annika.categories == ["Partners", "Newsletter"]
    assert annika.extra["X-SOCIALPROFILE"] == ["https://example.social/@annika"]
    assert "PHOTO" not in annika.extra

    hanako = cards["山田 花子"]
    assert (hanako.family_name, hanako.given_name) == ("山田", "花子")
    assert hanako.organisation == "みどり協会"
    assert hanako.emails[0].label == "Work"
    assert hanako.extra["X-PHONETIC-LAST-NAME"] == ["やまだ"]

    company = cards["Fondation Exemple"]
    assert company.organisation == "Fondation Exemple"
    assert (company.given_name, company.family_name) == ("", "")


def test_google_contacts_export() -> None:
    result = read("google_contacts_v30.vcf")

    assert result.problems == []
    jonas, foundation = result.cards
    assert jonas.formatted_name == "Jonas Peeters"
    assert [(e.address, e.types, e.label) for e in jonas.emails] == [
        ("jonas.peeters@example.com", ["home"], None),
        ("j.peeters@example.org", ["work"], None),
        ("jonas@example.net", [], "Board"),
    ]
    assert jonas.urls == ["https://example.com/jonas"]
    assert jonas.note == "Met at the 2023 assembly.\nPrefers email."
    assert jonas.categories == ["myContacts", "Board"]
    assert jonas.addresses[0].country == "België"
    assert foundation.formatted_name == "Stichting Voorbeeld"
    assert foundation.emails[0].address == "info@example.org"


def test_android_quoted_printable_japanese() -> None:
    raw = (FIXTURES / "android13_v21_qp.vcf").read_bytes()
    assert b"=E3=81=\r\n=AE" in raw  # a soft break inside a 3-byte character

    result = read("android13_v21_qp.vcf")

    assert result.problems == []
    taro, ayse = result.cards
    assert taro.formatted_name == "山田太郎"
    assert (taro.family_name, taro.given_name) == ("山田", "太郎")
    assert taro.organisation == "みどり協会"
    assert taro.note == (
        "東京の集会で会いました。メールでの連絡を希望しています。次回は大阪で会う予定です。"
    )
    assert [(p.number, p.types, p.preferred) for p in taro.phones] == [
        ("+81 3 5555 0140", ["cell"], True),
        ("+81 3 5555 0141", ["home"], False),
    ]
    assert [(e.address, e.types) for e in taro.emails] == [
        ("taro@example.com", ["home"]),
        ("t.yamada@example.org", ["work"]),
    ]
    assert taro.extra["X-PHONETIC-FIRST-NAME"] == ["たろう"]
    assert ayse.formatted_name == "Ayşe Öztürk"
    assert ayse.family_name == "Öztürk"


def test_nextcloud_and_cardbook_vcard_4() -> None:
    result = read("nextcloud_cardbook_v40.vcf")

    assert result.problems == []
    zoi, mateo = result.cards
    assert zoi.version == "4.0"
    assert zoi.formatted_name == "Ζωή Παπαδοπούλου"
    assert zoi.uid == "5f1c2b7e-3d4a-4b8e-9c1f-0a2b3c4d5e6f"
    assert [(e.address, e.preferred) for e in zoi.emails] == [
        ("zoi.p@example.net", False),
        ("zoi@example.org", True),
    ]
    assert [(p.number, p.types, p.preferred) for p in zoi.phones] == [
        ("+30-210-555-0150", ["work", "voice"], False),
        ("+30-690-555-0151", ["cell"], True),
    ]
    assert zoi.language == "el"
    (work,) = zoi.addresses
    assert (work.street, work.locality, work.country) == (
        "Οδός Παραδείγματος 7",
        "Αθήνα",
        "Ελλάδα",
    )
    assert zoi.title == "Συντονίστρια"
    assert mateo.formatted_name == "Mateo Fernández"
    assert mateo.org_units == ["Comunicación"]
    assert mateo.phones[0].types == ["work", "voice"]
    assert mateo.phones[0].preferred
    assert [e.preferred for e in mateo.emails] == [True, False]


def test_thunderbird_vcard_4() -> None:
    (ines,) = read("thunderbird115_v40.vcf").cards

    assert ines.formatted_name == "Inès Moreau"
    assert [(e.address, e.preferred) for e in ines.emails] == [
        ("ines.moreau@example.org", True),
        ("ines@example.net", False),
    ]
    assert [(p.number, p.types) for p in ines.phones] == [
        ("+33 1 55 50 01 70", ["cell"]),
        ("+33 1 55 50 01 71", ["work"]),
    ]
    assert ines.note == "Contact via the Lyon chapter, France."
    assert ines.urls == ["https://example.org/ines"]
    assert ines.title == "Trésorière"


def test_evolution_and_kaddressbook() -> None:
    result = read("evolution_kaddressbook_v30.vcf")

    assert result.problems == []
    kofi, lena = result.cards
    assert kofi.formatted_name == "Kofi Boateng"
    assert (kofi.title, kofi.role) == ("Field organiser", "Volunteer lead")
    assert [(e.address, e.types) for e in kofi.emails] == [
        ("kofi@example.org", ["work"]),
        ("kofi.b@example.net", ["home"]),
    ]
    assert kofi.extra["X-EVOLUTION-FILE-AS"] == ["Boateng, Kofi"]
    assert kofi.addresses[0].locality == "Accra"
    assert lena.formatted_name == "Lena Kovač"
    assert [(e.address, e.preferred) for e in lena.emails] == [
        ("lena.kovac@example.org", True),
        ("lena@example.com", False),
    ]
    assert lena.categories == ["Partners", "Press"]


# --- encodings --------------------------------------------------------------


def test_outlook_cp1252_file() -> None:
    result = read("outlook2003_cp1252_v21.vcf")

    assert result.encoding == "cp1252"
    jurgen, helene = result.cards
    assert jurgen.formatted_name == "Jürgen Müller"
    assert jurgen.organisation == "Grüne Initiative Köln"
    assert jurgen.title == "Geschäftsführer"
    assert jurgen.addresses[0].street == "Domstraße 5"
    assert jurgen.note == "Grüße an das Team.\nTreffen im März, Beitrag 20 €."
    assert helene.formatted_name == "Hélène Dupré"
    assert helene.organisation == "Café Solidaire"


def test_cp1251_file_with_cyrillic_names() -> None:
    result = read("outlook2007_cp1251_v21.vcf")

    assert result.encoding == "cp1251"
    maria, alexey = result.cards
    assert maria.formatted_name == "Мария Иванова"
    assert (maria.family_name, maria.given_name) == ("Иванова", "Мария")
    assert maria.organisation == "Союз Примеров"
    assert maria.title == "Координатор"
    assert maria.note == "Встреча в Москве, март."
    assert alexey.formatted_name == "Алексей Смирнов"


def test_utf16_le_with_bom_keeps_greek_cyrillic_and_japanese() -> None:
    result = read("notepad_utf16le_bom_v30.vcf")

    assert result.encoding == "utf-16-le"
    assert [c.formatted_name for c in result.cards] == [
        "Νίκος Οικονόμου",
        "Ольга Кузнецова",
        "佐藤 健",
    ]
    assert [c.family_name for c in result.cards] == ["Οικονόμου", "Кузнецова", "佐藤"]
    assert [c.emails[0].address for c in result.cards] == [
        "nikos@example.org",
        "olga@example.net",
        "ken.sato@example.com",
    ]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_without_bom(codec: str) -> None:
    data = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ελένη Ιωάννου\r\nEND:VCARD\r\n".encode(codec)

    result = read_vcards(data)

    assert result.encoding == codec
    assert result.cards[0].formatted_name == "Ελένη Ιωάννου"


def test_utf8_bom_and_files_joined_with_a_bom_each() -> None:
    one = "\ufeffBEGIN:VCARD\r\nFN:Åsa Berg\r\nEND:VCARD\r\n".encode()
    two = "\ufeffBEGIN:VCARD\r\nFN:Kim Ng\r\nEND:VCARD\r\n".encode()

    result = read_vcards(one + two)

    assert [c.formatted_name for c in result.cards] == ["Åsa Berg", "Kim Ng"]
    assert result.problems == []


def test_declared_charset_on_raw_bytes() -> None:
    data = (
        b"BEGIN:VCARD\r\nVERSION:2.1\r\n"
        b"N;CHARSET=ISO-8859-1:M\xfcller;J\xfcrgen\r\n"
        b"TITLE;CHARSET=WINDOWS-1251:\xca\xee\xee\xf0\xe4\xe8\xed\xe0\xf2\xee\xf0\r\n"
        b"END:VCARD\r\n"
    )

    person = card(data)

    assert person.formatted_name == "Jürgen Müller"
    assert person.title == "Координатор"


# --- names and escaping ------------------------------------------------------


def test_unescaped_commas_in_fn_and_org_are_kept() -> None:
    (john,) = read("unescaped_commas_v30.vcf").cards

    assert john.formatted_name == "Doe, John"
    assert (john.family_name, john.given_name) == ("Doe", "John")
    assert john.organisation == "Company, The"
    assert john.org_units == ["Policy Unit"]
    assert john.title == "Head of Policy, Europe"
    assert john.note == "Works at Company, The; call first."
    assert john.categories == ["Donors", "Press, local"]


def test_escapes_are_undone_per_property() -> None:
    person = card(
        b"BEGIN:VCARD\r\nVERSION:3.0\r\n"
        b"FN:Anne-Marie O\\,Neil\r\n"
        b"N:O\\;Neil;Anne-Marie;;;\r\n"
        b"ORG:Friends\\; Allies\\, Inc.;Press\\;Media\r\n"
        b"NOTE:First line\\nsecond line\\Nthird\\\\fourth\r\n"
        b"ADR;TYPE=work:;;Main St 1\\, Unit 2;Leuven;;3000;Belgium\r\n"
        b"CATEGORIES:A\\,B,C\r\n"
        b"END:VCARD\r\n"
    )

    assert person.formatted_name == "Anne-Marie O,Neil"
    assert person.family_name == "O;Neil"
    assert person.organisation == "Friends; Allies, Inc."
    assert person.org_units == ["Press;Media"]
    assert person.note == "First line\nsecond line\nthird\\fourth"
    assert person.addresses[0].street == "Main St 1, Unit 2"
    assert person.addresses[0].locality == "Leuven"
    assert person.categories == ["A,B", "C"]


def test_cards_without_fn_are_named_from_n_org_or_email() -> None:
    result = read("no_fn.vcf")

    assert result.problems == []
    assert [c.formatted_name for c in result.cards] == [
        "Dra. Lucía García Márquez",
        "Asociación Ejemplo",
        "solo@example.com",
        "Sam Taylor",
    ]
    lucia = result.cards[0]
    assert (lucia.family_name, lucia.given_name, lucia.honorific_prefix) == (
        "García Márquez",
        "Lucía",
        "Dra.",
    )
    sam = result.cards[3]
    assert (sam.given_name, sam.family_name) == ("", "")


# --- parameters and values ----------------------------------------------------


@pytest.mark.parametrize(
    ("line", "types", "preferred"),
    [
        (b"EMAIL;TYPE=work,pref:ana@example.org", ["work"], True),
        (b"EMAIL;TYPE=WORK;TYPE=PREF:ana@example.org", ["work"], True),
        (b"EMAIL;INTERNET;WORK:ana@example.org", ["work"], False),
        (b"EMAIL;type=INTERNET;type=HOME;type=pref:ana@example.org", ["home"], True),
        (b"EMAIL;PREF=1;TYPE=home:ana@example.org", ["home"], True),
        (b"EMAIL;PREF=2:ana@example.org", [], False),
        (b'EMAIL;TYPE="work,x400":ana@example.org', ["work"], False),
        (b"EMAIL:mailto:ana@example.org", [], False),
    ],
)
def test_email_type_styles(line: bytes, types: list[str], preferred: bool) -> None:
    person = card(b"BEGIN:VCARD\r\nFN:Ana Lima\r\n" + line + b"\r\nEND:VCARD\r\n")

    (email,) = person.emails
    assert (email.address, email.types, email.preferred) == ("ana@example.org", types, preferred)


@pytest.mark.parametrize(
    ("line", "number", "types"),
    [
        (b'TEL;TYPE="work,voice":+32 2 555 01 20', "+32 2 555 01 20", ["work", "voice"]),
        (b"TEL;VALUE=uri:tel:+1-555-555-0100", "+1-555-555-0100", []),
        (
            b"TEL;VALUE=uri;TYPE=cell:tel:+1-555-555-0101;ext=12",
            "+1-555-555-0101 ext. 12",
            ["cell"],
        ),
        (b"TEL;CELL;VOICE:+32 2 555 01 21", "+32 2 555 01 21", ["cell", "voice"]),
    ],
)
def test_phone_styles(line: bytes, number: str, types: list[str]) -> None:
    person = card(b"BEGIN:VCARD\r\nFN:Ana Lima\r\n" + line + b"\r\nEND:VCARD\r\n")

    assert [(p.number, p.types) for p in person.phones] == [(number, types)]


def test_unknown_properties_x_kept_standard_ignored() -> None:
    person = card(
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana Lima\r\n"
        b"X-CUSTOM-FIELD:first\r\nX-Custom-Field:second\r\n"
        b"GEO:50.85;4.35\r\nCLIENTPIDMAP:1;urn:uuid:0000\r\nFOO-BAR:ignored\r\n"
        b"END:VCARD\r\n"
    )

    assert person.extra == {"X-CUSTOM-FIELD": ["first", "second"]}


def test_agent_with_nested_vcard_does_not_break_parsing() -> None:
    data = (
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Olu Adebayo\r\nAGENT:\r\n"
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Assistant Person\r\nEND:VCARD\r\n"
        b"EMAIL;INTERNET:olu@example.org\r\nEND:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Priya Nair\r\n"
        b"AGENT:BEGIN:VCARD\\nFN:Other Assistant\\nEND:VCARD\\n\r\nEND:VCARD\r\n"
    )

    result = read_vcards(data)

    assert [c.formatted_name for c in result.cards] == ["Olu Adebayo", "Priya Nair"]
    assert result.cards[0].emails[0].address == "olu@example.org"
    assert [c.index for c in result.cards] == [1, 2]
    assert result.problems == []


def test_folding_in_every_version() -> None:
    data = (
        b"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ana\r\n Lima\r\n"
        b"NOTE:A note folded mid-wo\r\n\trd.\r\nEND:VCARD\r\n"
    )

    person = card(data)

    assert person.formatted_name == "AnaLima"
    assert person.note == "A note folded mid-word."


# --- line endings -------------------------------------------------------------


def test_cr_only_line_endings() -> None:
    result = read("classic_mac_cr_v30.vcf")

    assert result.problems == []
    petra, marko = result.cards
    assert petra.formatted_name == "Petra Novak"
    assert petra.note.startswith("A long note that was folded")
    assert petra.note.endswith("seventy -five characters.")
    assert petra.emails[0].types == ["work"]
    assert marko.line == 11


@pytest.mark.parametrize("ending", [b"\r\n", b"\n", b"\r", b"\r\r\n"])
def test_line_endings(ending: bytes) -> None:
    lines = [
        b"BEGIN:VCARD",
        b"VERSION:2.1",
        b"FN;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:Ren=C3=",
        b"=A9e Fa=C3=BF",
        b"EMAIL:renee@example.org",
        b"END:VCARD",
        b"BEGIN:VCARD",
        b"FN:Second Card",
        b"END:VCARD",
    ]

    result = read_vcards(ending.join(lines) + ending)

    assert [c.formatted_name for c in result.cards] == ["Renée Faÿ", "Second Card"]
    assert result.cards[1].line == 7


# --- damaged files --------------------------------------------------------------


def test_one_broken_card_does_not_sink_the_rest() -> None:
    result = read("broken_cards.vcf")

    assert [c.formatted_name for c in result.cards] == [
        "Alice Example",
        "Bob Broken",
        "Carol Example",
        "Dan Example",
        "Eve Truncated",
    ]
    bob = result.cards[1]
    assert bob.emails[0].address == "bob@example.net"
    eve = result.cards[4]
    assert eve.emails[0].address == "eve@example.org"
    assert eve.phones == []  # "+32 2 55" was cut off mid-line

    problems = [(p.index, p.line) for p in result.problems]
    assert problems == [(2, 6), (None, 15), (4, 17), (6, 23), (6, 27)]
    messages = [p.message for p in result.problems]
    for message in messages:
        assert_one_sentence(message)
    assert "no END:VCARD" in messages[0]
    assert "kept" in messages[0]
    assert "outside" in messages[1]
    assert "skipped" in messages[2]
    assert "cut off" in messages[3]


def test_corrupted_photos_are_skipped_and_the_rest_read() -> None:
    result = read("corrupt_photo.vcf")

    assert result.problems == []
    chidi, ama = result.cards
    assert chidi.formatted_name == "Chidi Okafor"
    assert chidi.emails[0].address == "chidi@example.org"
    assert chidi.phones[0].number == "+234 1 555 0192"
    assert ama.formatted_name == "Ama Mensah"
    assert ama.emails[0].address == "ama@example.net"


def test_huge_photo_is_cheap() -> None:
    blob = base64.b64encode(bytes(range(256)) * 12_000)
    folded = b"\r\n ".join(blob[i : i + 74] for i in range(0, len(blob), 74))
    data = (
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Big Picture\r\nPHOTO;ENCODING=b;TYPE=JPEG:"
        + folded
        + b"\r\nEMAIL:big@example.org\r\nEND:VCARD\r\n"
    )

    started = time.perf_counter()
    person = card(data)

    assert time.perf_counter() - started < 1.0
    assert person.emails[0].address == "big@example.org"


def test_stray_lines_and_empty_cards_are_reported() -> None:
    data = (
        b"FN:Nobody\r\nEMAIL:nobody@example.org\r\n"
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nEND:VCARD\r\n"
        b"BEGIN:VCARD\r\nFN:Somebody\r\nthis line is no property\r\nEND:VCARD\r\n"
    )

    result = read_vcards(data)

    assert [c.formatted_name for c in result.cards] == ["Somebody"]
    assert [(p.index, p.line) for p in result.problems] == [(None, 1), (1, 3), (2, 8)]
    for problem in result.problems:
        assert_one_sentence(problem.message)


# --- not vCards at all -------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "contacts.vcf"
    path.write_bytes(b"")

    with pytest.raises(FileProblem) as caught:
        read_vcards(path)

    assert str(caught.value) == f"{path} is empty."


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "contacts.vcf"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)

    with pytest.raises(FileProblem) as caught:
        read_vcards(str(path))

    assert "not a vCard file" in str(caught.value)
    assert_one_sentence(str(caught.value))


def test_random_binary_data() -> None:
    with pytest.raises(FileProblem, match="binary data"):
        read_vcards(bytes(range(256)) * 16)


def test_text_without_any_card(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Name,Email\nAna Lima,ana@example.org\n", encoding="utf-8")

    with pytest.raises(FileProblem) as caught:
        read_vcards(path)

    assert str(caught.value) == f"{path} is not a vCard file: it has no BEGIN:VCARD line."


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileProblem, match="does not exist"):
        read_vcards(tmp_path / "gone.vcf")


def test_path_str_and_bytes_read_the_same() -> None:
    path = FIXTURES / "google_contacts_v30.vcf"

    from_path = read_vcards(path)
    from_str = read_vcards(str(path))
    from_bytes = read_vcards(path.read_bytes())

    assert from_path == from_str == from_bytes


def test_reader_imports_neither_textual_nor_click() -> None:
    code = (
        "import sys, coalition.interchange.vcard\n"
        "print(','.join(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('textual', 'click', 'vobject'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""


# --- the quote-aware splitters, with and without their shortcut for unquoted text -----------


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=':;="ab ', max_size=24))
def test_the_unquoted_splitters_shortcut_changes_nothing(text: str) -> None:
    # Nearly every line has no quote: the splitters then take the plain find/split.
    from coalition.interchange.vcard import (
        _index_by_walking,
        _split_by_walking,
        _split_unquoted,
        _unquoted_index,
    )

    raw = text.encode()
    assert _unquoted_index(raw, 0x3A) == _index_by_walking(raw, 0x3A)
    assert _split_unquoted(text, ";") == _split_by_walking(text, ";")
