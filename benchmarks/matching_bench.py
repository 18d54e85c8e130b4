"""The organisation-matching rules on a table of real-looking pairs: precision and recall.

Reads ``tests/fixtures/organisation_pairs.csv`` (legal forms in 14 languages,
acronyms, web and mail domains, public mail domains that must not match, near
names that are different organisations) and judges each pair with
``dedupe.compare_organisations``, the rule set every entrance uses. Prints:

- for *certain* matches (what an import or ``org add`` acts on without asking):
  precision and recall against the pairs marked "same";
- for *shown* matches (certain or likely, what ``coalition duplicates`` lists):
  recall against "same" and "likely";
- every false merge: a "different" pair the rules would join. The target is none.

    python benchmarks/matching_bench.py
"""

from __future__ import annotations

import csv
from pathlib import Path

from coalition.domain.dedupe import OrgFacts, compare_organisations

TABLE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "organisation_pairs.csv"


def side(row: dict[str, str], prefix: str, ident: int) -> OrgFacts:
    return OrgFacts(
        ident,
        row[f"{prefix}_name"],
        row[f"{prefix}_acronym"] or None,
        row[f"{prefix}_website"] or None,
        row[f"{prefix}_email"] or None,
        row[f"{prefix}_country"] or None,
    )


def main() -> None:
    with TABLE.open(encoding="utf-8") as handle:
        pairs = list(csv.DictReader(handle))
    true_pos = false_pos = false_neg = shown = shown_wanted = 0
    false_merges: list[str] = []
    missed: list[str] = []
    for pair in pairs:
        match = compare_organisations(side(pair, "a", 1), side(pair, "b", 2))
        certain = bool(match and match.certain)
        expected = pair["expected"]
        label = f"{pair['a_name']} | {pair['b_name']}"
        if expected == "same":
            if certain:
                true_pos += 1
            else:
                false_neg += 1
                missed.append(f"{label} ({match.rule if match else 'no match'})")
        elif certain:
            false_pos += 1
            if expected == "different":
                false_merges.append(f"{label} ({match.rule if match else ''})")
        if expected in ("same", "likely"):
            shown_wanted += 1
            shown += match is not None
    languages = sorted({p["language"] for p in pairs if p["language"]})
    precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 1.0
    recall = true_pos / (true_pos + false_neg) if true_pos + false_neg else 1.0
    counts = {e: sum(p["expected"] == e for p in pairs) for e in ("same", "likely", "different")}
    print(f"pairs: {len(pairs)} ({counts}), languages: {len(languages)} ({', '.join(languages)})")
    print(f"certain matches: precision {precision:.1%}, recall {recall:.1%}")
    print(f"shown (certain or likely): recall {shown / shown_wanted:.1%} of {shown_wanted}")
    print(f"false merges on the must-not pairs: {len(false_merges)} (target 0)")
    for line in false_merges:
        print(f"  FALSE MERGE {line}")
    for line in missed:
        print(f"  missed {line}")


if __name__ == "__main__":
    main()
