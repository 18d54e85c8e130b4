"""Single-value rules: email, phone, country, language, dates, names."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coalition.domain import values
from coalition.domain.values import (
    check_email,
    check_phone,
    check_typed_phone,
    clean,
    country_code,
    language_code,
    parse_date,
    phone_problem,
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
    ("typed", "problem"),
    [
        ("anna@example.org", "'anna@example.org' looks like an email address"),
        ("+32 2 555 01 01 @ office", "looks like an email address"),
        ("n/a", "'n/a' has no digits, so it is not a phone number"),
        ("ask at reception", "has no digits"),
        ("call Anna on Tuesdays after 3", "'call Anna on Tuesdays after 3' is mostly words"),
        ("0800 FLOWERS", "is mostly words"),
    ],
)
def test_typed_text_that_cannot_be_a_phone_number_is_refused(typed: str, problem: str) -> None:
    assert problem in (phone_problem(typed) or "")
    with pytest.raises(InvalidValue, match="not a phone number"):
        check_typed_phone(typed, "BE")
    # What an import calls keeps it as it was, without an E.164 form.
    checked = check_phone(typed, "BE")
    assert (checked.number, checked.e164) == (typed, None)


@pytest.mark.parametrize(
    "typed",
    [
        "+32 2 555 01 01",
        "02 555 01 01",
        "(201) 555-0123",
        "0049/30/5550-1234",
        "+32 (0)2 555 01 01",
        "+32 2 555 01 01 ext. 12",
        "+32 2 555 01 01 x12",
        "02 555 01 01 poste 12",
        "+49 30 5550 1234 Durchwahl 12",
        "tel. 555 01 01",
        "12",
        "",
    ],
)
def test_what_looks_like_a_phone_number_is_no_problem(typed: str) -> None:
    assert phone_problem(typed) is None
    if typed:
        assert check_typed_phone(typed, "BE") == check_phone(typed, "BE")


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


# Friday 2026-01-30; the table reads as a coordinator would on that day.
FRIDAY = dt.date(2026, 1, 30)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("next week", dt.date(2026, 2, 2)),  # the Monday after
        ("Next  Week", dt.date(2026, 2, 2)),
        ("next month", dt.date(2026, 2, 1)),  # the 1st of next month
        ("monday", dt.date(2026, 2, 2)),
        ("mon", dt.date(2026, 2, 2)),
        ("Tue", dt.date(2026, 2, 3)),
        ("tues", dt.date(2026, 2, 3)),
        ("wed", dt.date(2026, 2, 4)),
        ("thurs", dt.date(2026, 2, 5)),
        ("thu.", dt.date(2026, 2, 5)),
        ("friday", dt.date(2026, 2, 6)),  # never today: a week on
        ("fri", dt.date(2026, 2, 6)),
        ("saturday", dt.date(2026, 1, 31)),  # tomorrow
        ("sun", dt.date(2026, 2, 1)),
        # the forms that were there before still mean what they meant
        ("today", FRIDAY),
        ("tomorrow", dt.date(2026, 1, 31)),
        ("yesterday", dt.date(2026, 1, 29)),
        ("+3d", dt.date(2026, 2, 2)),
        ("2w", dt.date(2026, 2, 13)),
        ("1m", dt.date(2026, 2, 28)),
        ("2026-12-01", dt.date(2026, 12, 1)),
    ],
)
def test_dates_a_coordinator_writes(typed: str, expected: dt.date) -> None:
    assert parse_date(typed, today=FRIDAY) == expected


def test_next_month_and_next_week_across_the_year_end() -> None:
    assert parse_date("next month", today=dt.date(2026, 12, 31)) == dt.date(2027, 1, 1)
    assert parse_date("next month", today=dt.date(2026, 12, 1)) == dt.date(2027, 1, 1)
    assert parse_date("next week", today=dt.date(2026, 12, 28)) == dt.date(2027, 1, 4)  # a Monday


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("next friday", "could be this week's or next week's"),
        ("fr", "is not a date"),  # too short to be sure of
        ("friyay", "is not a date"),
        ("next year", "is not a date"),
        ("last week", "is not a date"),
    ],
)
def test_unclear_dates_are_refused_with_what_would_do(typed: str, said: str) -> None:
    with pytest.raises(InvalidValue, match=said) as refused:
        parse_date(typed, today=FRIDAY)
    assert "next week" in str(refused.value) or "the next one" in str(refused.value)


_DAYS = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))


@given(_DAYS, st.sampled_from(range(7)), st.integers(min_value=3, max_value=9))
def test_a_weekday_is_the_next_such_day_never_today(today: dt.date, weekday: int, n: int) -> None:
    name = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")[weekday]
    day = parse_date(name[:n], today=today)
    assert day is not None
    assert day.weekday() == weekday
    assert 1 <= (day - today).days <= 7


@given(_DAYS)
def test_next_week_is_the_monday_of_the_following_week(today: dt.date) -> None:
    day = parse_date("next week", today=today)
    assert day is not None and day.weekday() == 0
    assert 1 <= (day - today).days <= 7
    assert day.isocalendar()[:2] != today.isocalendar()[:2]  # not this week's


@given(_DAYS)
def test_next_month_is_the_first_of_the_following_month(today: dt.date) -> None:
    day = parse_date("next month", today=today)
    assert day is not None and day.day == 1 and day > today
    assert (day - dt.timedelta(days=1)).month == today.month  # nothing skipped


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


def test_fast_domain_path_agrees_with_email_validator() -> None:
    """Plain lowercase domains skip the library's Unicode checks (``values._domain``):
    valid or not, normalised as, exactly as the library says."""
    from email_validator import EmailNotValidError, validate_email
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from coalition.domain import values

    label = st.text(alphabet="abz09-", min_size=1, max_size=70)
    ends = st.sampled_from(["org", "example", "local", "arpa", "test", "a1", "1", "xn--p1ai"])

    @settings(max_examples=1500, deadline=None)
    @given(st.lists(label, min_size=0, max_size=4), ends)
    def agree(labels: list[str], end: str) -> None:
        domain = ".".join([*labels, end])
        values._domain.cache_clear()
        ours = values._domain(domain)[0]
        try:
            theirs = validate_email("a@" + domain, check_deliverability=False).domain
        except EmailNotValidError:
            theirs = None
        assert ours == theirs, domain

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


# Every kind of space and line break Python knows, beside letters, a soft hyphen and a
# zero-width joiner (printable or not, not spaces).
_SPACES = "".join(chr(c) for c in range(0x3100) if chr(c).isspace())


@given(st.text(alphabet=st.sampled_from(_SPACES + "ab é\u00ad\u200d"), max_size=12))
def test_clean_collapses_every_whitespace_and_nothing_else(text: str) -> None:
    # Names, roles and cities from a sheet: one plain space between words, none around.
    assert clean(text) == (" ".join(text.split()) or None)


@pytest.fixture
def in_brussels() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "Europe/Brussels")
        time.tzset()
        yield
    time.tzset()


def test_moving_an_interaction_to_another_day_reads_days_on_the_coordinators_clock(
    in_brussels: None,
) -> None:
    """23:30 in Brussels on 5 November is 22:30 UTC: moved to the 9th it stays 23:30 on
    the 9th, not the 10th; across the change to summer time it keeps its 10:00."""
    late = dt.datetime(2026, 11, 5, 22, 30)
    assert values.local_time(late) == "2026-11-05 23:30"
    moved = values.on_local_day(late, dt.date(2026, 11, 9))
    assert moved == dt.datetime(2026, 11, 9, 22, 30)
    assert values.local_time(moved) == "2026-11-09 23:30"
    winter = dt.datetime(2026, 3, 20, 9, 0)  # 10:00 CET
    assert values.local_time(values.on_local_day(winter, dt.date(2026, 4, 2))) == (
        "2026-04-02 10:00"
    )
