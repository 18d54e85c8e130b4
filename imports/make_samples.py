"""Writes the sample files in this folder (run it again after changing the data).

All people, organisations, addresses and numbers here are invented; emails use
the example.org / example.net / example.com domains reserved for examples.

- coalition-members.xlsx: a coalition's member spreadsheet as coordinators keep
  it in Excel: a title row, a blank row, then the header; phone numbers stored
  as numbers; one organisation listed twice with different spelling; each
  person's language as a two-letter code in capitals.
- signon-form.csv: responses exported from an online sign-on form (Google Forms
  style headers, UTF-8, comma-separated), answers in several languages.
- address-book.vcf: an address book with cards in the styles of Apple Contacts
  (vCard 3.0, grouped X-ABLabel), Outlook (vCard 2.1, quoted-printable) and
  Nextcloud (vCard 4.0).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

HERE = Path(__file__).resolve().parent

MEMBERS = [
    (
        "Minors Care Example",
        "MCE",
        "Belgium",
        "Brussels",
        "Émilie Müller",
        "Policy Officer",
        "emilie.muller@example.org",
        3225550101,
        "member",
    ),
    (
        "Kinderschutz Beispiel e.V.",
        "KSB",
        "Germany",
        "Berlin",
        "Lena Schneider",
        "Referentin",
        "lena.schneider@example.net",
        493055501234,
        "member",
    ),
    (
        "Fundación Niños Seguros",
        "FNS",
        "Spain",
        "Madrid",
        "José Núñez",
        "Director",
        "jose.nunez@example.net",
        34915550123,
        "member",
    ),
    (
        "Fundacja Przykład",
        "",
        "Poland",
        "Kraków",
        "Zofia Kowalska",
        "Koordynatorka",
        "zofia.kowalska@example.net",
        48125550123,
        "partner",
    ),
    (
        "Associazione Bambini Sicuri",
        "ABS",
        "Italy",
        "Roma",
        "Giulia Rossi",
        "Responsabile advocacy",
        "giulia.rossi@example.net",
        39065550123,
        "member",
    ),
    (
        "Stichting Veilig Online",
        "SVO",
        "Netherlands",
        "Utrecht",
        "Daan de Vries",
        "Beleidsmedewerker",
        "daan.devries@example.net",
        31305550123,
        "member",
    ),
    (
        "Réseau Enfance Protégée asbl",
        "REP",
        "Belgium",
        "Liège",
        "Noémie Lefèvre",
        "Chargée de plaidoyer",
        "noemie.lefevre@example.net",
        3245550123,
        "partner",
    ),
    (
        "Ελληνική Δράση για το Παιδί",
        "ΕΔΠ",
        "Greece",
        "Αθήνα",
        "Ελένη Παπαδοπούλου",
        "Υπεύθυνη πολιτικής",
        "eleni.papadopoulou@example.net",
        302105550123,
        "prospect",
    ),
    (
        "Barnens Röst",
        "",
        "Sweden",
        "Göteborg",
        "Åsa Johansson",
        "Verksamhetschef",
        "asa.johansson@example.net",
        46315550123,
        "member",
    ),
    (
        "Safe Futures Ireland CLG",
        "SFI",
        "Ireland",
        "Cork",
        "Siobhán Murphy",
        "CEO",
        "siobhan.murphy@example.net",
        353215550123,
        "member",
    ),
    (
        "Kinderschutz Beispiel eV",
        "KSB",
        "Germany",
        "Berlin",
        "Jürgen Fischer",
        "Vorstand",
        "juergen.fischer@example.net",
        493055501299,
        "member",
    ),
    (
        "Digital Rights for Children Network",
        "DRCN",
        "Luxembourg",
        "Luxembourg",
        "",
        "",
        "info@example.org",
        None,
        "partner",
    ),
]

LANGUAGES = {
    "emilie.muller@example.org": "FR",
    "lena.schneider@example.net": "DE",
    "jose.nunez@example.net": "ES",
    "zofia.kowalska@example.net": "PL",
    "giulia.rossi@example.net": "IT",
    "daan.devries@example.net": "NL",
    "noemie.lefevre@example.net": "FR",
    "eleni.papadopoulou@example.net": "EL",
    "asa.johansson@example.net": "SV",
    "siobhan.murphy@example.net": "EN",
    "juergen.fischer@example.net": "DE",
}
"""The language each member's contact person is written to in (the last column, after
"Member since", so the columns before it keep their places)."""

FORM = [
    (
        "2026/10/01 09:14:22",
        "anna.novak@example.net",
        "Anna Novák",
        "Dětská Bezpečnost z.s.",
        "Czechia",
        "Yes",
        "Dětská Bezpečnost",
        "Yes",
    ),
    (
        "2026/10/01 11:02:10",
        "pierre.dubois@example.org",
        "Pierre Dubois",
        "Enfance & Numérique",
        "France",
        "Oui",
        "Enfance & Numérique (Paris)",
        "Oui",
    ),
    (
        "2026/10/02 16:45:00",
        "emilie.muller@example.org",
        "Émilie Müller",
        "Minors Care Example",
        "Belgium",
        "Yes",
        "Minors Care Example",
        "Yes",
    ),
    (
        "2026/10/03 08:30:41",
        "tomasz.wojcik@example.net",
        "Tomasz Wójcik",
        "Fundacja Przykład",
        "Poland",
        "Tak",
        "Fundacja Przykład",
        "Tak",
    ),
    (
        "2026/10/04 10:12:09",
        "m.bianchi@example.net",
        "Marco Bianchi",
        "Genitori Digitali",
        "Italy",
        "Forse",
        "",
        "",
    ),
    (
        "2026/10/05 14:55:31",
        "k.horvath@example.net",
        "Katalin Horváth",
        "Gyermekvédelmi Egyesület",
        "Hungary",
        "No",
        "",
        "No",
    ),
    (
        "2026/10/06 09:01:17",
        "not-an-address",
        "Sam Example",
        "Example Youth Club",
        "Ireland",
        "Yes",
        "Example Youth Club",
        "Yes",
    ),
]


def write_members() -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Members"
    ws.append(["Coalition members — list kept by the secretariat, updated 2026-10-15"])
    ws.append([])
    ws.append(
        [
            "Organisation",
            "Acronym",
            "Country",
            "City",
            "Contact person",
            "Function",
            "E-mail",
            "Phone",
            "Membership",
            "Member since",
            "Language",
        ]
    )
    for org, acronym, country, city, person, role, email, phone, membership in MEMBERS:
        ws.append(
            [
                org,
                acronym,
                country,
                city,
                person,
                role,
                email,
                phone,
                membership,
                dt.date(2024, 3, 1),
                LANGUAGES.get(email, ""),
            ]
        )
    wb.save(HERE / "coalition-members.xlsx")


def write_form() -> None:
    with (HERE / "signon-form.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "Timestamp",
                "Email Address",
                "Your name",
                "Name of your organisation",
                "Country",
                "Do you wish to sign the joint statement?",
                "How should we list your organisation?",
                "May we list your organisation publicly?",
            ]
        )
        writer.writerows(FORM)


VCARDS = """BEGIN:VCARD\r
VERSION:3.0\r
PRODID:-//Apple Inc.//macOS 14.5//EN\r
N:Bonneau;Claire;;Mme;\r
FN:Claire Bonneau\r
ORG:Enfance & Numérique;Plaidoyer\r
TITLE:Responsable plaidoyer\r
item1.EMAIL;type=INTERNET;type=pref:claire.bonneau@example.org\r
item1.X-ABLabel:_$!<Work>!$_\r
item2.TEL:+33 1 55 50 01 23\r
item2.X-ABLabel:bureau\r
ADR;type=WORK;type=pref:;;12 rue de l'Exemple;Paris;;75011;France\r
CATEGORIES:france,advocacy\r
END:VCARD\r
BEGIN:VCARD\r
VERSION:2.1\r
N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:W=C3=B3jcik;Tomasz;;;\r
FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Tomasz W=C3=B3jcik\r
ORG;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Fundacja Przyk=C5=82ad\r
TITLE:Koordynator\r
TEL;WORK;VOICE:+48 12 555 01 24\r
EMAIL;PREF;INTERNET:tomasz.wojcik@example.net\r
END:VCARD\r
BEGIN:VCARD\r
VERSION:4.0\r
PRODID:-//Nextcloud Contacts v6.0.0\r
UID:7d3b2b1e-2c1f-4c3e-9a1e-0a6f3e0c1d2a\r
FN:Daan de Vries\r
N:de Vries;Daan;;;\r
ORG:Stichting Veilig Online\r
EMAIL;TYPE=work;PREF=1:daan.devries@example.net\r
EMAIL;TYPE=home:daan@example.net\r
TEL;TYPE="cell,voice";VALUE=uri:tel:+31-6-5550-0123\r
LANG:nl\r
END:VCARD\r
"""


def write_vcards() -> None:
    (HERE / "address-book.vcf").write_bytes(VCARDS.encode("utf-8"))


if __name__ == "__main__":
    write_members()
    write_form()
    write_vcards()
