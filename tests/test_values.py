"""Single-value rules: email, phone, country, language, dates, names."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coalition.domain.values import (
    check_email,
    check_phone,
    country_code,
    language_code,
    parse_date,
    split_full_name,
)
from coalition.errors import InvalidValue
from coalition.text import strip_accents


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("Emilie.Muller@EXAMPLE.ORG", "Emilie.Muller@example.org"),
        ("  jan@example.net  ", "jan@example.net"),
        ("mailto:info@example.org", "info@example.org"),
        ("<anna@example.org>", "anna@example.org"),
        ("zoë@exämple.org", "zoë@exämple.org"),
    ],
)
def test_valid_addresses_are_normalised(typed: str, normalised: str) -> None:
    checked = check_email(typed)
    assert checked.valid
    assert checked.address == normalised
    assert checked.key == normalised.casefold()


@pytest.mark.parametrize(
    "typed", ["bad@@example.org", "no-at-sign.example.org", "a@b", "x y@example.org"]
)
def test_invalid_addresses_are_kept_as_typed_with_a_reason(typed: str) -> None:
    checked = check_email(typed)
    assert not checked.valid
    assert checked.address == typed
    assert checked.reason


def test_same_mailbox_in_other_case_has_the_same_key() -> None:
    assert check_email("Anna@Example.org").key == check_email("anna@example.ORG").key


@pytest.mark.parametrize(
    ("typed", "region", "e164"),
    [
        ("+32 2 555 01 01", None, "+3225550101"),
        ("02 555 01 01", "BE", "+3225550101"),
        ("0049 30 5550 1234", "BE", "+493055501234"),
        ("030 5550 1234", "DE", "+493055501234"),
        ("(201) 555-0123", "US", "+12015550123"),
    ],
)
def test_phones_get_e164_where_they_parse(typed: str, region: str | None, e164: str) -> None:
    checked = check_phone(typed, region)
    assert checked.number == typed
    assert checked.e164 == e164


@pytest.mark.parametrize("typed", ["ask at reception", "12", "555 01 01"])
def test_phones_that_do_not_parse_are_kept_without_e164(typed: str) -> None:
    checked = check_phone(typed)
    assert checked.number == typed
    assert checked.e164 is None


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("be", "BE"),
        ("BEL", "BE"),
        ("Belgium", "BE"),
        ("germany", "DE"),
        ("UK", "GB"),
        ("EL", "GR"),
        ("Deutschland", "DE"),
        ("Belgique", "BE"),
        ("España", "ES"),
        ("Italia", "IT"),
        ("Nederland", "NL"),
        ("Polska", "PL"),
        ("Włochy", "IT"),
        ("Österreich", "AT"),
        ("Ελλάδα", "GR"),
    ],
)
def test_countries(typed: str, code: str) -> None:
    assert country_code(typed) == code


def test_unknown_country_is_refused_with_a_hint() -> None:
    with pytest.raises(InvalidValue, match="ISO 3166"):
        country_code("Atlantis")


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("fr", "fr"), ("FRA", "fr"), ("French", "fr"), ("pl", "pl"),
        # "en" is also the name of an ISO 639-3 language without a two-letter code.
        ("en", "en"), ("EN", "en"), ("eng", "en"), ("English", "en"),
    ],
)  # fmt: skip
def test_languages(typed: str, code: str) -> None:
    assert language_code(typed) == code


def test_language_without_two_letter_code_is_refused() -> None:
    with pytest.raises(InvalidValue, match="639-1"):
        language_code("Klingonese")


def test_dates() -> None:
    today = dt.date(2026, 1, 31)
    assert parse_date("2026-12-01") == dt.date(2026, 12, 1)
    assert parse_date("today", today=today) == today
    assert parse_date("tomorrow", today=today) == dt.date(2026, 2, 1)
    assert parse_date("+3d", today=today) == dt.date(2026, 2, 3)
    assert parse_date("+2w", today=today) == dt.date(2026, 2, 14)
    assert parse_date("+1m", today=today) == dt.date(2026, 2, 28)
    assert parse_date("") is None
    with pytest.raises(InvalidValue, match="YYYY-MM-DD"):
        parse_date("31/12/2026")


def test_relative_dates_without_the_plus_need_their_unit() -> None:
    today = dt.date(2026, 1, 31)
    assert parse_date("+7", today=today) == dt.date(2026, 2, 7)
    assert parse_date("7d", today=today) == dt.date(2026, 2, 7)
    assert parse_date("2W", today=today) == dt.date(2026, 2, 14)
    assert parse_date("1m", today=today) == dt.date(2026, 2, 28)
    for bare in ("7", "2026"):  # a bare number is not read as days from today
        with pytest.raises(InvalidValue, match="YYYY-MM-DD"):
            parse_date(bare, today=today)


@pytest.mark.parametrize(
    ("full", "honorific", "given", "family"),
    [
        ("Émilie Müller", None, "Émilie", "Müller"),
        ("Müller, Émilie", None, "Émilie", "Müller"),
        ("Dr. Anna van der Berg", "Dr.", "Anna", "van der Berg"),
        ("Mme Claire de la Fontaine", "Mme", "Claire", "de la Fontaine"),
        ("Jean-Claude Van Damme", None, "Jean-Claude", "Van Damme"),
        ("Zofia", None, "Zofia", None),
        ("Anna Maria Kowalska", None, "Anna Maria", "Kowalska"),
    ],
)
def test_full_names_are_split(
    full: str, honorific: str | None, given: str, family: str | None
) -> None:
    name = split_full_name(full)
    assert (name.honorific, name.given_name, name.family_name) == (honorific, given, family)


def test_fast_email_path_agrees_with_email_validator() -> None:
    from email_validator import EmailNotValidError, validate_email
    from hypothesis import given, settings
    from hypothesis import strategies as st

    atom = st.text(alphabet="abcXYZ019.-_+!'=", min_size=0, max_size=12)
    domains = st.sampled_from(
        ["example.org", "Example.NET", "sub.example.com", "exämple.org", "-bad.example.org",
         "example", "localhost", "xn--mller-kva.example", "a..b.example.org", "example.org."]
    )  # fmt: skip

    @settings(max_examples=400, deadline=None)
    @given(atom, domains)
    def agree(local: str, domain: str) -> None:
        address = f"{local}@{domain}"
        ours = check_email(address)
        try:
            theirs = validate_email(address, check_deliverability=False).normalized
        except EmailNotValidError:
            theirs = None
        assert ours.valid == (theirs is not None), address
        if theirs is not None:
            assert ours.address == theirs

    agree()


def test_fast_phone_path_agrees_with_phonenumbers() -> None:
    import phonenumbers
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from coalition.domain import values

    def reference(number: str) -> str | None:
        try:
            parsed = phonenumbers.parse(number, None)
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_possible_number(parsed):
            return None
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

    codes = st.sampled_from(sorted(map(str, phonenumbers.COUNTRY_CODE_TO_REGION_CODE)))
    groups = st.lists(
        st.text(alphabet="0123456789", min_size=1, max_size=4), min_size=1, max_size=5
    )
    separators = st.sampled_from([" ", "-", ".", "/", ""])

    @settings(max_examples=1500, deadline=None)
    @given(codes, groups, separators, st.randoms(use_true_random=False))
    def agree(code: str, parts: list[str], sep: str, rnd: Any) -> None:
        values._CLASS_VERDICTS.clear()
        first = f"+{code} " + sep.join(parts)
        # Another number of the same class: same country code, same length.
        other_parts = ["".join(rnd.choice("0123456789") for _ in p) for p in parts]
        second = f"+{code} " + sep.join(other_parts)
        assert check_phone(first).e164 == reference(first), first
        assert check_phone(second).e164 == reference(second), (first, second)

    agree()


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x250), max_size=30))
def test_latin_text_is_stripped_as_its_decomposition_is(text: str) -> None:
    # Text within Latin-1 and Latin Extended takes a table (fast path); it must give
    # exactly what decomposing and dropping the marks gives.
    from coalition.text import _stripped

    assert strip_accents(text) == _stripped(text)


def test_accents_and_strokes_are_stripped_in_every_script() -> None:
    assert strip_accents("Émilie Müller-Łukasiewicz") == "Emilie Muller-Lukasiewicz"
    assert strip_accents("Ελένη") == "Ελενη"
    assert strip_accents("Zoe\u0301") == "Zoe"  # a decomposed accent
    assert strip_accents("Ørsted ﬁnance") == "Orsted finance"
