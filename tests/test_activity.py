"""The change log as the start screen's activity says it: who, then what they did."""

from __future__ import annotations

from typing import Any

from coalition.domain import audit, campaigns, imports, people
from coalition.domain.imports import ContactRecord, ImportOptions


def test_each_kind_of_change_reads_as_a_sentence(db: Any, unit: Any) -> None:
    with unit("bob") as w:
        campaigns.add_campaign(w, "csam-2022", name="Joint statement")
        people.add_organisation(w, name="Alpha Kids")
        campaigns.set_signon(w, "Alpha Kids", "csam-2022", "signed")
        people.edit_organisation(w, "Alpha Kids", {"city": "Ghent", "country": "BE"})
    with unit("alice") as w:
        people.add_contact(w, given_name="Ana", family_name="Silva", organisation="Alpha Kids")
        record = ContactRecord(source="row 2", given_name="Ben", family_name="Okafor")
        options = ImportOptions(file_name="members.csv", sha256="ab" * 32, file_format="csv")
        imports.import_records(w, [record], options)
    with db.read_session() as s:
        said = [(e.coordinator, e.summary()) for e in reversed(audit.history(s))]
    assert said == [
        ("bob", "added campaign csam-2022"),
        ("bob", "added organisation Alpha Kids"),
        ("bob", "marked Alpha Kids signed (csam-2022)"),
        ("bob", "changed organisation Alpha Kids: city, country"),
        ("alice", "added contact Ana Silva"),
        ("alice", "imported members.csv"),
    ]
