"""Writes the mail tools' status files in this folder (run it again after changing the data).

What became of an invitation sent to the members of coalition-members.xlsx, as three mail
tools report it; everything here is invented, addresses use example.org / example.net.
Each file is shaped as its program writes it (see coalition/interchange/mailtools.py for
the sources):

- yamm-merge-status.csv: the sheet YAMM merged from, downloaded from Google Sheets as CSV
  (UTF-8 without a byte-order mark, CRLF, quotes only where needed): the columns of
  `coalition export mailmerge --preset yamm`, and the "Merge status" column YAMM adds
  after them, one status per recipient; one address nobody in the sample has.
- mailchimp-cleaned.csv, mailchimp-unsubscribed.csv: two files of a Mailchimp audience
  export (cleaned_members_export_….csv, unsubscribed_members_export_….csv): the audience's
  fields, then Mailchimp's own columns; times in UTC; values with spaces quoted.
- thunderbird-mail-merge-log.csv: a log of what Thunderbird Mail Merge sent: the To field as
  the message had it, the subject, the message's Date header and its status.
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent

INVITATION = "Invitation to sign the joint statement"

# (email, salutation, first, last, organisation, role, country, language, YAMM's status)
YAMM = [
    ("giulia.rossi@example.net", "Gentile Giulia Rossi", "Giulia", "Rossi",
     "Associazione Bambini Sicuri", "Responsabile advocacy", "IT", "it", "EMAIL_OPENED"),
    ("asa.johansson@example.net", "Dear Åsa Johansson", "Åsa", "Johansson", "Barnens Röst",
     "Verksamhetschef", "SE", "sv", "EMAIL_SENT"),
    ("jose.nunez@example.net", "Estimado/a José Núñez", "José", "Núñez",
     "Fundación Niños Seguros", "Director", "ES", "es", "EMAIL_CLICKED"),
    ("zofia.kowalska@example.net", "Dzień dobry Zofia Kowalska", "Zofia", "Kowalska",
     "Fundacja Przykład", "Koordynatorka", "PL", "pl", "RESPONDED"),
    ("juergen.fischer@example.net", "Guten Tag Jürgen Fischer", "Jürgen", "Fischer",
     "Kinderschutz Beispiel e.V.", "Vorstand", "DE", "de", "BOUNCED"),
    ("lena.schneider@example.net", "Guten Tag Lena Schneider", "Lena", "Schneider",
     "Kinderschutz Beispiel e.V.", "Referentin", "DE", "de", "EMAIL_SENT"),
    ("emilie.muller@example.org", "Bonjour Émilie Müller", "Émilie", "Müller",
     "Minors Care Example", "Policy Officer", "BE", "fr", "EMAIL_OPENED"),
    ("noemie.lefevre@example.net", "Bonjour Noémie Lefèvre", "Noémie", "Lefèvre",
     "Réseau Enfance Protégée asbl", "Chargée de plaidoyer", "BE", "fr", "UNSUBSCRIBED"),
    ("siobhan.murphy@example.net", "Dear Siobhán Murphy", "Siobhán", "Murphy",
     "Safe Futures Ireland CLG", "CEO", "IE", "en", "EMAIL_SENT"),
    ("daan.devries@example.net", "Beste Daan de Vries", "Daan", "de Vries",
     "Stichting Veilig Online", "Beleidsmedewerker", "NL", "nl", "EMAIL_SENT"),
    ("", "Dear colleagues", "", "", "Digital Rights for Children Network", "", "LU", "",
     "NO_RECIPIENT"),
    ("h.virtanen@example.net", "Dear Helmi Virtanen", "Helmi", "Virtanen",
     "Lasten Turva ry", "Toiminnanjohtaja", "FI", "fi", "EMAIL_OPENED"),
]  # fmt: skip

YAMM_HEADERS = [
    "Email Address", "Salutation", "First Name", "Last Name", "Full Name", "Organisation",
    "Role", "Country", "Language", "Campaign Status", "Invited On", "Display Name",
    "Merge status",
]  # fmt: skip

AUDIENCE = ["Email Address", "First Name", "Last Name", "Address", "Phone Number", "Birthday",
            "Organisation"]  # fmt: skip
MAILCHIMP = ["MEMBER_RATING", "OPTIN_TIME", "OPTIN_IP", "CONFIRM_TIME", "CONFIRM_IP",
             "LATITUDE", "LONGITUDE", "GMTOFF", "DSTOFF", "TIMEZONE", "CC", "REGION"]  # fmt: skip
CLEANED = ["CLEAN_TIME", "CLEAN_CAMPAIGN_TITLE", "CLEAN_CAMPAIGN_ID"]
UNSUBSCRIBED = ["UNSUB_TIME", "UNSUB_CAMPAIGN_TITLE", "UNSUB_CAMPAIGN_ID", "UNSUB_REASON",
                "UNSUB_REASON_OTHER"]  # fmt: skip
TAIL = ["LEID", "EUID", "NOTES", "TAGS"]

OPTED_IN = ["2", "2026-09-14 08:02:11", "", "2026-09-14 08:02:11", "", "", "", "", "", "",
            "", ""]  # fmt: skip

CLEANED_ROWS = [
    ["juergen.fischer@example.net", "Jürgen", "Fischer", "", "", "",
     "Kinderschutz Beispiel e.V.", *OPTED_IN, "2026-11-03 09:41:07", INVITATION,
     "a1b2c3d4e5", "118204615", "c1f0e3a9b2", "", '"members"'],
    ["old.office@example.org", "", "", "", "", "", "Example Youth Club", *OPTED_IN,
     "2026-10-20 13:05:44", "", "", "118204700", "d2e1f4b0c3", "", ""],
]  # fmt: skip
UNSUBSCRIBED_ROWS = [
    ["noemie.lefevre@example.net", "Noémie", "Lefèvre", "", "", "",
     "Réseau Enfance Protégée asbl", *OPTED_IN, "2026-11-04 17:22:10", INVITATION,
     "a1b2c3d4e5", "I no longer want to receive these emails", "", "118204633", "e3d2c1b0a9",
     "", '"members"'],
    ["daan.devries@example.net", "Daan", "de Vries", "", "", "", "Stichting Veilig Online",
     *OPTED_IN, "2026-11-05 08:10:00", "", "", "N/A (Unsubscribed by an admin)", "",
     "118204650", "f4e3d2c1b0", "", '"members"'],
]  # fmt: skip

THUNDERBIRD = [
    ("Tue, 03 Nov 2026 09:15:02 +0100", "Émilie Müller <emilie.muller@example.org>", "Sent"),
    ("Tue, 03 Nov 2026 09:15:09 +0100", "Lena Schneider <lena.schneider@example.net>", "Sent"),
    ("Tue, 03 Nov 2026 09:15:15 +0100", "Jürgen Fischer <juergen.fischer@example.net>",
     "Failed: 550 5.1.1 mailbox unavailable"),
    ("Tue, 03 Nov 2026 09:15:21 +0100", "Giulia Rossi <giulia.rossi@example.net>", "Sent"),
    ("Tue, 03 Nov 2026 09:15:28 +0100", "Pat Unknown <pat@example.org>", "Sent"),
]  # fmt: skip


def write_yamm() -> None:
    with (HERE / "yamm-merge-status.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(YAMM_HEADERS)
        for email, hello, first, last, org, role, country, language, status in YAMM:
            full = " ".join(p for p in (first, last) if p) or org
            writer.writerow(
                [email, hello, first, last, full, org, role, country, language, "", "", org,
                 status]
            )  # fmt: skip


def _mailchimp_cell(value: str) -> str:
    """Mailchimp quotes a value with a space or a comma, not the others."""
    if value.startswith('"'):
        return '"' + value.replace('"', '""') + '"'
    if " " in value or "," in value:
        return f'"{value}"'
    return value


def write_mailchimp(name: str, columns: list[str], rows: list[list[str]]) -> None:
    headers = AUDIENCE + MAILCHIMP + columns + TAIL
    lines = [",".join(_mailchimp_cell(h) for h in headers)]
    for row in rows:
        assert len(row) == len(headers), (name, len(row), len(headers))
        lines.append(",".join(_mailchimp_cell(v) for v in row))
    (HERE / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_thunderbird() -> None:
    with (HERE / "thunderbird-mail-merge-log.csv").open(
        "w", encoding="utf-8", newline=""
    ) as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(["Date", "To", "Subject", "Status"])
        for date, to, status in THUNDERBIRD:
            writer.writerow([date, to, INVITATION, status])


if __name__ == "__main__":
    write_yamm()
    write_mailchimp("mailchimp-cleaned.csv", CLEANED, CLEANED_ROWS)
    write_mailchimp("mailchimp-unsubscribed.csv", UNSUBSCRIBED, UNSUBSCRIBED_ROWS)
    write_thunderbird()
