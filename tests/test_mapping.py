"""Header detection: the header sets real programs write, and seven languages."""

from __future__ import annotations

import pytest

from coalition.errors import FileProblem
from coalition.interchange.mapping import Mapping, detect, detect_target, load_mapping_file

# Google Contacts "Google CSV" export (contacts.google.com, 2023 format).
GOOGLE = (
    "Name,Given Name,Additional Name,Family Name,Yomi Name,Given Name Yomi,Additional Name "
    "Yomi,Family Name Yomi,Name Prefix,Name Suffix,Initials,Nickname,Short Name,Maiden "
    "Name,Birthday,Gender,Location,Billing Information,Directory "
    "Server,Mileage,Occupation,Hobby,Sensitivity,Priority,Subject,Notes,Language,Photo,Group "
    "Membership,E-mail 1 - Type,E-mail 1 - Value,E-mail 2 - Type,E-mail 2 - Value,Phone 1 - "
    "Type,Phone 1 - Value,Organization 1 - Type,Organization 1 - Name,Organization 1 - Yomi "
    "Name,Organization 1 - Title,Organization 1 - Department,Website 1 - Type,Website 1 - Value"
).split(",")
# Outlook 2016 "Comma Separated Values" export.
OUTLOOK = (
    "Title,First Name,Middle Name,Last Name,Suffix,Company,Department,Job Title,Business "
    "Street,Business City,Business State,Business Postal Code,Business Country/Region,Business "
    "Phone,Mobile Phone,E-mail Address,E-mail Display Name,E-mail 2 "
    "Address,Notes,Categories,Web Page"
).split(",")
# Thunderbird 115 address book "Comma Separated" export.
THUNDERBIRD = (
    "First Name,Last Name,Display Name,Nickname,Primary Email,Secondary Email,Screen Name,Work "
    "Phone,Home Phone,Fax Number,Pager Number,Mobile Number,Home Address,Home Address 2,Home "
    "City,Home State,Home ZipCode,Home Country,Work Address,Work Address 2,Work City,Work "
    "State,Work ZipCode,Work Country,Job Title,Department,Organization,Web Page 1,Web Page "
    "2,Birth Year,Birth Month,Birth Day,Custom 1,Custom 2,Custom 3,Custom 4,Notes"
).split(",")
# Google Forms responses sheet of a sign-on form.
FORM = [
    "Timestamp",
    "Email Address",
    "Your name",
    "Name of your organisation",
    "Country",
    "Do you wish to sign the joint statement?",
    "How should we list your organisation?",
    "May we list your organisation publicly?",
]


def targets(headers: list[str]) -> dict[str, str | None]:
    mapping = detect(headers)
    return dict(zip(headers, mapping.targets, strict=True))


def test_google_contacts() -> None:
    t = targets(GOOGLE)
    assert t["Name"] == "display_name"
    assert (t["Given Name"], t["Family Name"], t["Name Prefix"]) == (
        "given_name",
        "family_name",
        "honorific",
    )
    assert (t["E-mail 1 - Value"], t["E-mail 1 - Type"]) == ("email", "email_label")
    assert t["E-mail 2 - Value"] == "email:secondary"
    assert (t["Phone 1 - Value"], t["Phone 1 - Type"]) == ("phone", "phone_label")
    assert t["Organization 1 - Name"] == "organisation"
    assert t["Organization 1 - Title"] == "role"
    assert t["Group Membership"] == "tags"
    assert t["Website 1 - Value"] == "website"
    assert t["Given Name Yomi"] == "ignore" and t["Nickname"] == "ignore"


def test_outlook() -> None:
    t = targets(OUTLOOK)
    assert t["Title"] == "honorific", "Outlook's Title is Mr/Ms beside Job Title"
    assert t["Job Title"] == "role"
    assert t["Company"] == "organisation"
    assert t["E-mail Address"] == "email" and t["E-mail 2 Address"] == "email:secondary"
    assert t["Business Phone"] == "phone:work" and t["Mobile Phone"] == "phone:mobile"
    assert t["Business Country/Region"] == "address_country"
    assert t["Categories"] == "tags"


def test_thunderbird() -> None:
    t = targets(THUNDERBIRD)
    assert (t["Primary Email"], t["Secondary Email"]) == ("email", "email:secondary")
    assert t["Organization"] == "organisation"
    assert t["Mobile Number"] == "phone:mobile"
    assert t["Work ZipCode"] == "postal_code" and t["Home ZipCode"] == "postal_code"


def test_signon_form() -> None:
    assert [targets(FORM)[h] for h in FORM] == [
        "answered_at",
        "email",
        "full_name",
        "organisation",
        "country",
        "signon_status",
        "signon_display_name",
        "public",
    ]


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("Prénom", "given_name"), ("Nom", "family_name"), ("Courriel", "email"),
        ("Fonction", "role"), ("Pays", "country"), ("Téléphone", "phone"),
        ("Vorname", "given_name"), ("Nachname", "family_name"), ("E-Mail-Adresse", "email"),
        ("Organisation", "organisation"), ("Unterzeichnet", "signon_status"),
        ("Nombre", "given_name"), ("Apellidos", "family_name"), ("Correo electrónico", "email"),
        ("Organización", "organisation"), ("Cargo", "role"),
        ("Nome", "given_name"), ("Cognome", "family_name"), ("Organizzazione", "organisation"),
        ("Voornaam", "given_name"), ("Achternaam", "family_name"), ("Organisatie", "organisation"),
        ("Imię", "given_name"), ("Nazwisko", "family_name"), ("Organizacja", "organisation"),
        ("Stanowisko", "role"), ("Signed?", "signon_status"), ("Kraj", "country"),
    ],
)  # fmt: skip
def test_seven_languages(header: str, target: str) -> None:
    assert detect_target(header) == target


def test_unknown_headers_stay_unmapped() -> None:
    assert detect_target("Favourite colour") is None
    mapping = detect(["Name", "Favourite colour"])
    assert mapping.unmapped() == ["Favourite colour"]


def test_mapping_file_overrides_and_refuses_unknown_fields(tmp_path) -> None:  # type: ignore[no-untyped-def]
    mapping = detect(["Wer", "Kontakt"])
    toml = mapping.to_toml()
    assert '"Wer" = "ignore"  # not recognised' in toml
    good = tmp_path / "good.toml"
    good.write_text('[columns]\n"wer" = "full_name"\n"Kontakt" = "email:work"\n', encoding="utf-8")
    assert load_mapping_file(good, mapping.headers) == {0: "full_name", 1: "email:work"}
    bad = tmp_path / "bad.toml"
    bad.write_text('[columns]\n"Wer" = "shoe_size"\n', encoding="utf-8")
    with pytest.raises(FileProblem, match="not a field"):
        load_mapping_file(bad, mapping.headers)
    broken = tmp_path / "broken.toml"
    broken.write_text("[columns\n", encoding="utf-8")
    with pytest.raises(FileProblem, match="not valid TOML"):
        load_mapping_file(broken, mapping.headers)
    assert isinstance(mapping, Mapping)
