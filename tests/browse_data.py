"""Fictional databases for the browse and terminal-app tests.

``fill`` imports generated people through the import path (plan, then apply one
batch), which writes thousands of rows in well under a second; the tests copy a
filled template file rather than filling a database each time.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from coalition.domain import campaigns, outreach, people
from coalition.domain.audit import work
from coalition.domain.imports import (
    ContactRecord,
    ImportOptions,
    OrganisationRecord,
    apply_plan,
    plan_import,
)
from coalition.store.database import open_database

GIVEN = ["Anna", "Émilie", "Jan", "Zofia", "Lukas", "Marie", "Søren", "Ines", "Piotr", "Ελένη"]
FAMILY = ["Müller", "Bonneau", "Nowak", "Kowalska", "García", "Rossi", "Dubois", "Schmidt"]
COUNTRIES = ["BE", "DE", "FR", "PL", "ES", "IT", "NL"]


def fill(path: Path, n_contacts: int, n_organisations: int) -> None:
    """``n_contacts`` people spread over ``n_organisations``, at example.org/.net addresses."""
    orgs = [
        OrganisationRecord(name=f"Fondation Test {i:04d}", country=COUNTRIES[i % len(COUNTRIES)])
        for i in range(n_organisations)
    ]
    records = [
        ContactRecord(
            source=f"row {i + 2}",
            given_name=GIVEN[i % len(GIVEN)],
            family_name=FAMILY[(i // len(GIVEN)) % len(FAMILY)],
            role="Policy Officer" if i % 3 == 0 else "Director",
            emails=[(f"person{i}@{'example.org' if i % 2 else 'example.net'}", None)],
            organisation=orgs[i % n_organisations],
        )
        for i in range(n_contacts)
    ]
    db = open_database(path)
    with db.read_session() as session:
        options = ImportOptions(file_name="people.csv", sha256=f"{n_contacts}", file_format="csv")
        plan = plan_import(session, records, options)
    with work(db, "tester") as w:
        apply_plan(w, plan)
    db.close()


def add_story(path: Path) -> None:
    """A campaign with sign-ons, outreach with follow-ups due, and a name with markup."""
    db = open_database(path)
    with work(db, "alice") as w:
        people.add_organisation(w, name="[bold]Brackets[/] Network", acronym="[/]", country="BE")
        people.add_contact(
            w,
            given_name="[bold]Eve",
            family_name="[/]Mallory",
            emails=["eve@example.org"],
            phones=[people.PhoneInput("+32 470 55 01 23", label="mobile")],
            organisation="[bold]Brackets[/] Network",
            tags=["[red]tag"],
        )
        campaigns.add_campaign(
            w, "csam-2022", name="Joint statement on child protection", target=10, state="open"
        )
        campaigns.set_signon(w, "Fondation Test 0001", "csam-2022", "signed")
        campaigns.set_signon(w, "Fondation Test 0002", "csam-2022", "invited")
        outreach.log_interaction(
            w,
            organisation="Fondation Test 0002",
            subject="Invitation to sign",
            campaign="csam-2022",
            follow_up_on="2020-01-01",
        )
        outreach.log_interaction(
            w, contact="eve@example.org", subject="Call about [bold] things", follow_up_on="today"
        )
    db.close()


def copy(template: Path, to: Path) -> Path:
    shutil.copyfile(template, to)
    to.chmod(0o600)
    return to
