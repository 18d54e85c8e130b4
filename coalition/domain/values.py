"""Validation and normalisation of single values: emails, phones, countries, dates.

These are the rules every way in (command line, app, importer) shares. Each
function either returns the normalised value or raises ``InvalidValue`` with a
sentence that names the bad value and says what would be accepted — except
email, where an invalid address is *kept* and flagged (see ``check_email``),
because dropping what a coordinator typed or imported loses data.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache

from coalition.errors import InvalidValue
from coalition.text import strip_accents

_COLLAPSIBLE = re.compile(r"\s\s|[^\S ]")


def clean(text: str | None) -> str | None:
    """Strip and collapse inner whitespace; empty becomes None."""
    if text is None:
        return None
    if type(text) is str:
        stripped = text.strip()
        # The common case, without splitting and joining: in printable text the only
        # whitespace is the plain space, so a double one is all there can be to collapse.
        if "  " not in stripped and stripped.isprintable():
            return stripped or None
        if not _COLLAPSIBLE.search(stripped):
            return stripped or None
    collapsed = " ".join(str(text).split())
    return collapsed or None


def fold(text: str | None) -> str:
    """A key for comparing and sorting names as a reader does.

    Case, accents and spacing are ignored, so "Émilie Müller" is found by
    "emilie muller" and sorts with E, and "Österreich" sorts with O.
    """
    if not text:
        return ""
    if text.isascii():  # most names: nothing to normalise or strip
        return " ".join(text.casefold().split())
    return " ".join(strip_accents(unicodedata.normalize("NFKC", text)).casefold().split())


# --- email ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmailCheck:
    address: str
    """The normalised address when valid, else the address as typed (stripped)."""
    key: str
    """Folded form used to recognise the same mailbox."""
    valid: bool
    reason: str | None


_DOT_ATOM = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")


def check_email(typed: str) -> EmailCheck:
    """Validate and normalise an address with email-validator, DNS off.

    An address that fails is returned as typed with ``valid=False`` and the
    validator's reason, so callers can keep it, flag it and leave it out of
    mail merge.

    Validation costs ~75 µs an address, most of it in the domain (IDNA), and a
    coalition list has a few domains shared by many people; so a plain ASCII
    local part is checked by the same rules here and the domain's verdict is
    cached (``_domain``). Anything unusual takes email-validator's full path.
    A property test keeps the two paths in agreement.

    One address as people write it is accepted too: ``Jan de Vries <jan@example.org>``,
    ``<jan@example.org>`` and ``mailto:jan@example.org`` are checked as the address
    alone (the name is dropped; ``parse_pasted_addresses`` keeps it). Several
    addresses in one text are not one address: that is invalid, as typed.
    """
    if "<" in typed or ">" in typed or ":" in typed:  # "Name <…>", "<…>", "mailto:…"
        found = _parse_addresses(typed, tidy=False)
        stripped = found[0].address if len(found) == 1 else typed.strip()
    else:
        stripped = typed.strip()
    local, at, domain = stripped.rpartition("@")
    if at and _DOT_ATOM.match(local) and len(local) <= 64 and len(stripped) <= 254:
        verdict = _domain(domain)
        if verdict[0] is not None:
            if local.lower() in _case_insensitive_mailboxes():
                local = local.lower()
            normalised = f"{local}@{verdict[0]}"
            if len(normalised) <= 254:
                # A big import holds every address: keep one string where the forms agree.
                if normalised == stripped:
                    normalised = stripped
                key = normalised.casefold()
                return EmailCheck(normalised, normalised if key == normalised else key, True, None)
    return _full_check(stripped)


@lru_cache(maxsize=1)
def _case_insensitive_mailboxes() -> frozenset[str]:
    from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

    return frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)


_PLAIN_DOMAIN = re.compile(
    r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+"
)
"""A lowercase letters-digits-hyphens domain of two labels or more: email-validator's
Unicode checks and its UTS-46 mapping leave such a name as it is."""


@lru_cache(maxsize=1 << 16)  # a list of 100k people can span 20k organisations' domains
def _domain(domain: str) -> tuple[str | None, str | None]:
    """(normalised domain, None) or (None, reason), validated once per domain.

    A plain lowercase ASCII domain that passes email-validator's remaining rules (length,
    hyphens, a top-level domain ending in a letter, no special-use name; the library's own
    constants) is taken as is: the library's Unicode checks cost ~55 µs a domain and a
    big list names tens of thousands. Anything else, and any failure, takes the library's
    full path, which also gives the reason. A property test keeps the two in agreement."""
    from email_validator import EmailNotValidError, validate_email

    if _plain_domain(domain):
        return domain, None
    try:
        return validate_email("a@" + domain, check_deliverability=False).domain, None
    except EmailNotValidError as exc:
        return None, str(exc)


def _plain_domain(domain: str) -> bool:
    from email_validator import SPECIAL_USE_DOMAIN_NAMES
    from email_validator.rfc_constants import DOMAIN_MAX_LENGTH, DOMAIN_NAME_REGEX

    if len(domain) > DOMAIN_MAX_LENGTH or "xn--" in domain or "--" in domain:
        return False  # Punycode, or a label email-validator may refuse (R-LDH): its path
    if not _PLAIN_DOMAIN.fullmatch(domain) or not DOMAIN_NAME_REGEX.search(domain):
        return False
    return not any(domain == d or domain.endswith("." + d) for d in SPECIAL_USE_DOMAIN_NAMES)


@lru_cache(maxsize=4096)
def _full_check(stripped: str) -> EmailCheck:
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(stripped, check_deliverability=False)
    except EmailNotValidError as exc:
        return EmailCheck(stripped, fold(stripped), False, str(exc))
    normalised = result.normalized
    return EmailCheck(normalised, normalised.casefold(), True, None)


# --- addresses as people paste them -------------------------------------------------------


@dataclass(frozen=True)
class PastedAddress:
    """One address found in what a person pasted, with the name written beside it."""

    address: str
    """The address alone, not yet validated (``check_email`` judges it)."""
    name: str | None = None
    """The display name of ``Name <address>``, unquoted; None when none was written."""


_MAILTO_URL = re.compile(r"mailto:([^?<>\s\"]*)(?:\?[^<>\s\"]*)?", re.IGNORECASE)
"""A mailto: URL; group 1 is its addresses, without the ?subject=… query."""
_SEPARATORS = ",;\n\r"
_ANY_SEPARATOR = re.compile(r"[,;\n\r]")
_WRAPPERS = {"(": ")", "[": "]", "{": "}", "'": "'", '"': '"', "“": "”", "‘": "’", "«": "»"}
_TRAILING = ".,;:!?"
_NAME_QUOTES = " \"'“”‘’«»„"


def parse_pasted_addresses(text: str) -> list[PastedAddress]:
    """The addresses in an email cell or option, each with the name written beside it.

    Understands what address lists look like when people paste them::

        Jana Nováková <jana@example.org>
        "Nováková, Jana" <jana@example.org>; petr@example.net
        <jan@example.org>, mailto:eva@example.org?subject=Hello
        (jan@example.org).   'jan@example.org'   a@example.org ::: b@example.org

    Addresses are separated by ``,``, ``;``, new lines or Google's ``:::`` (never
    inside a quoted name or ``<…>``); a name written ``Last, First <…>`` without
    quotes is kept whole too. Around a bare address, brackets, quotes and trailing
    punctuation are dropped. The addresses are not validated: ``check_email`` flags
    a bad one, so it is kept rather than lost. A text with no @ at all is one value,
    as written (stripped); an empty text has no addresses.
    """
    return _parse_addresses(text, tidy=True)


def _parse_addresses(text: str, *, tidy: bool) -> list[PastedAddress]:
    """``tidy``: drop brackets, quotes and trailing punctuation around a bare address
    (pasted cells); ``check_email`` leaves them, as email-validator judges them."""
    value = text.strip()
    if not value:
        return []
    if ":" in value:
        if "mailto:" in value.casefold():
            value = _MAILTO_URL.sub(lambda m: _unquote_url(m.group(1)), value)
        value = value.replace(":::", "\n")
    if "@" not in value:
        return [PastedAddress(text.strip())]
    found = []
    for piece in _pieces(value):
        address = _address_in(piece, tidy=tidy)
        if address is not None:
            found.append(address)
    return found or [PastedAddress(text.strip())]


def _unquote_url(text: str) -> str:
    if "%" not in text:
        return text
    from urllib.parse import unquote

    return unquote(text)


def _pieces(value: str) -> list[str]:
    """``value`` cut at the separators outside quotes, ``<…>`` and ``(…)``.

    email.utils.getaddresses would do this for commas, but it reads ``;`` as the end
    of an address group (yielding empty addresses), splits an unquoted
    ``Last, First <…>`` into two, and since the 2024 security fixes returns nothing at
    all for such input on some Python versions, so the cut is made here.
    """
    pieces: list[str] = []
    start = angle = paren = 0
    quoted = escaped = False
    for i, char in enumerate(value):
        if escaped:
            escaped = False
        elif quoted:
            if char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "<":
            angle += 1
        elif char == ">" and angle:
            angle -= 1
        elif char == "(":
            paren += 1
        elif char == ")" and paren:
            paren -= 1
        elif char in _SEPARATORS and not angle and not paren:
            pieces.append(value[start:i])
            start = i + 1
    pieces.append(value[start:])
    if quoted or angle or paren:  # unbalanced: the separators are all there is to go by
        pieces = _ANY_SEPARATOR.split(value)
    # "Nováková, Jana <jana@example.org>": a name without quotes, cut at its comma.
    merged: list[str] = []
    for piece in pieces:
        if (
            merged
            and "<" in piece
            and "@" not in piece.partition("<")[0]
            and "@" not in merged[-1]
            and "<" not in merged[-1]
            and merged[-1].strip()
        ):
            merged[-1] = f"{merged[-1]},{piece}"
        else:
            merged.append(piece)
    return [piece for piece in (p.strip() for p in merged) if piece]


def _address_in(piece: str, *, tidy: bool) -> PastedAddress | None:
    """The address of one piece (None for a piece that holds none, such as a label)."""
    if "<" in piece:
        before, _, after = piece.rpartition("<")
        inner = after.partition(">")[0].strip()
        if tidy:
            inner = _tidy(inner)
        if not inner:
            return None
        # parseaddr unquotes a name ("Müller, Émilie", backslash escapes); where it reads
        # the piece otherwise than as ``name <inner>`` (it drops "bad@@x", a newer Python
        # refuses some input outright), the name is taken as written.
        from email.utils import parseaddr  # not at start-up: it costs ~8 ms to import

        name, address = parseaddr(piece)
        if address != inner:
            name = before
        return PastedAddress(inner, _display_name(name))
    if tidy:
        address, paren, comment = piece.rpartition("(")
        if paren and "@" in address and ")" in comment:
            piece = address  # "jan@example.org (Jan)": an old mail program's comment
    address = _tidy(piece) if tidy else piece.strip("<>").strip()
    if not address or (tidy and "@" not in address):
        return None
    return PastedAddress(address)


def _tidy(text: str) -> str:
    """Brackets and quotes around an address and punctuation after it dropped."""
    text = text.strip()
    while text:
        closing = _WRAPPERS.get(text[0])
        if closing is not None and len(text) > 1 and text[-1] == closing:
            text = text[1:-1].strip()
        elif text[-1] in _TRAILING:
            text = text[:-1].rstrip()
        elif text[0] in _WRAPPERS and text[0] not in "'\"":
            text = text[1:].lstrip()  # "(jan@example.org" with its ")" cut off by a split
        else:
            break
    return text


def _display_name(raw: str) -> str | None:
    name = raw.strip(_NAME_QUOTES)
    if "=?" in name:  # an encoded word, as mail programs write a non-ASCII name
        from email.errors import HeaderParseError
        from email.header import decode_header, make_header

        with suppress(HeaderParseError, LookupError, UnicodeError):  # kept as written
            name = str(make_header(decode_header(name)))
    name = clean(name.strip(_NAME_QUOTES)) or ""
    if "@" in name or not any(c.isalnum() for c in name):
        return None
    return name


# --- phone ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhoneCheck:
    number: str
    """As typed (whitespace collapsed)."""
    e164: str | None
    """E.164 form where phonenumbers can parse it as a possible number."""


_NOT_DIGIT = re.compile(r"[^0-9]")
_INTERNATIONAL = re.compile(r"^\+[0-9][0-9 .\-/]{5,24}$")


def check_phone(typed: str, region: str | None = None) -> PhoneCheck:
    """Keep the number as typed and add its E.164 form where it parses.

    ``region`` (an ISO country code, e.g. the contact's or organisation's
    country) is used for numbers written without an international prefix.
    """
    number = clean(typed)
    if not number:
        raise InvalidValue("A phone number cannot be empty.")
    if _INTERNATIONAL.match(number):
        digits = _NOT_DIGIT.sub("", number)
        verdict = _international_verdict(digits)
        if verdict is not None:
            return PhoneCheck(number, "+" + digits if verdict else None)
    e164 = _e164(number, region)
    if e164 is not None and number.isdigit() and e164 == "+" + number:
        # The digits of an international number with its "+" lost, as a spreadsheet keeps
        # a phone typed into a number cell: written out again so people (and the phones
        # dialling from an exported address book) read it as international.
        return PhoneCheck(_international(e164), e164)
    return PhoneCheck(number, e164)


def _international(e164: str) -> str:
    import phonenumbers

    return str(
        phonenumbers.format_number(
            phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    )


def _e164(number: str, region: str | None) -> str | None:
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, region.upper() if region else None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


_CLASS_VERDICTS: dict[tuple[int, int], bool] = {}


def _international_verdict(digits: str) -> bool | None:
    """For "+<digits>": True if "+<digits>" is its E.164 form, False if it is not a
    possible number, None when only a full parse can tell.

    Parsing with phonenumbers costs ~25 µs a number, the largest cost of a big
    import after email. A number written with its country code and then the
    national number, with nothing a parser would drop, is possible or not by
    its country code and length alone; so phonenumbers is asked once per
    (country code, length) with the first such number, and the verdict reused.
    A national number that starts with what the region's metadata says a
    parser strips (a trunk prefix such as 0 or 8) always gets the full parse.
    A test compares this with phonenumbers over every country code.
    """
    codes = _country_codes()
    for size in (1, 2, 3):
        code = int(digits[:size]) if len(digits) > size else -1
        if code in codes:
            break
    else:
        return None
    national = digits[size:]
    if _strips_prefix(code, national):
        return None
    key = (code, len(national))
    verdict = _CLASS_VERDICTS.get(key)
    if verdict is None:
        verdict = _e164("+" + digits, None) == "+" + digits
        _CLASS_VERDICTS[key] = verdict
    return verdict


@lru_cache(maxsize=1)
def _country_codes() -> frozenset[int]:
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

    return frozenset(COUNTRY_CODE_TO_REGION_CODE)


def _strips_prefix(code: int, national: str) -> bool:
    return any(p.match(national) for p in _prefix_patterns(code))


@lru_cache(maxsize=512)
def _prefix_patterns(code: int) -> tuple[re.Pattern[str], ...]:
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

    patterns = []
    for region in COUNTRY_CODE_TO_REGION_CODE[code]:
        if region == "001":
            metadata = PhoneMetadata.metadata_for_nongeo_region(code)
        else:
            metadata = PhoneMetadata.metadata_for_region(region)
        if metadata is None:
            continue
        for prefix in (metadata.national_prefix_for_parsing, metadata.national_prefix):
            if prefix:
                patterns.append(re.compile(prefix))
    return tuple(patterns)


_EXTENSION_WORDS = re.compile(
    r"(?<![^\W\d_])(?:ext|extn|extension|x|poste|durchwahl|dw|int|interno|toestel|wew)"
    r"(?![^\W\d_])",
    re.IGNORECASE,
)
"""Words that introduce an extension ("ext. 12", "x12", "poste 12", "Durchwahl 12"): not
counted as the letters that make a text words rather than a number."""


def phone_problem(typed: str) -> str | None:
    """Why what a person typed as a phone number cannot be one, or None if it may be.

    For typed input only (the forms, the command line): an import keeps whatever a phone
    column holds ("n/a", "ask at reception"), marked by having no E.164 form, because a
    sheet is not retyped; ``check_phone`` stays as lenient as that. A person typing can
    correct it at once, so what is plainly not a number is refused here: an email address
    (typed into the wrong field), a text without a digit, or one that is mostly words. A
    number phonenumbers cannot read but which looks like one (digits, spaces, + - . / ( ),
    an extension) is not a problem: it is kept as typed, as before.
    """
    number = clean(typed)
    if not number:
        return None
    if "@" in number:
        return (
            f"'{number}' looks like an email address, not a phone number; "
            "enter it as an email instead."
        )
    digits = sum(c.isdigit() for c in number)
    if not digits:
        return f"'{number}' has no digits, so it is not a phone number; put notes in Notes."
    letters = sum(c.isalpha() for c in _EXTENSION_WORDS.sub("", number))
    if letters > digits:
        return (
            f"'{number}' is mostly words, not a phone number; write the number alone "
            "(an extension such as ext. 12 may follow it) and put the rest in Notes."
        )
    return None


def check_typed_phone(typed: str, region: str | None = None) -> PhoneCheck:
    """``check_phone`` for a number a person typed: refuses with ``InvalidValue`` what
    ``phone_problem`` says cannot be a phone number."""
    problem = phone_problem(typed)
    if problem is not None:
        raise InvalidValue(problem)
    return check_phone(typed, region)


# --- countries and languages ---------------------------------------------------------------

# Codes coordinators in Europe write that ISO 3166 does not assign as such.
_COUNTRY_ALIASES = {"uk": "GB", "el": "GR", "england": "GB", "scotland": "GB", "wales": "GB"}


@lru_cache(maxsize=4096)
def country_code(text: str | None) -> str | None:
    """ISO 3166 alpha-2 for a code or English name ("be", "BEL", "Belgium"); None for blank."""
    value = clean(text)
    if value is None:
        return None
    alias = _COUNTRY_ALIASES.get(value.casefold())
    if alias:
        return alias
    import pycountry

    try:
        country = pycountry.countries.lookup(value)
    except LookupError:
        localised = _localised_countries().get(fold(value))
        if localised:
            return localised
        raise InvalidValue(
            f"'{value}' is not a country; use an ISO 3166 code such as BE, DE or FR, "
            "or the English name."
        ) from None
    return str(country.alpha_2)


# Languages of the coalitions this serves; their country names are accepted too.
COUNTRY_NAME_LANGUAGES = (
    "de", "fr", "es", "it", "nl", "pl", "pt", "sv", "da", "fi", "el", "cs", "sk", "hu", "ro",
    "bg", "hr", "sl", "et", "lv", "lt", "ga", "mt",
)  # fmt: skip


@lru_cache(maxsize=1)
def _localised_countries() -> dict[str, str]:
    """Folded country names in European languages ("Deutschland", "Belgique", "Włochy")
    -> alpha-2, from the ISO 3166 translations that ship with pycountry."""
    import gettext

    import pycountry

    names: dict[str, str] = {}
    for language in COUNTRY_NAME_LANGUAGES:
        try:
            catalogue = gettext.translation(
                "iso3166-1", pycountry.LOCALES_DIR, languages=[language]
            )
        except OSError:
            continue
        for country in pycountry.countries:
            for attribute in ("name", "common_name", "official_name"):
                english = getattr(country, attribute, None)
                if english:
                    names.setdefault(fold(catalogue.gettext(english)), str(country.alpha_2))
    return names


def country_name(code: str | None) -> str | None:
    if not code:
        return None
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    return str(country.name) if country else code


def language_name(code: str | None) -> str | None:
    """The English name of an ISO 639-1 code ("fr": "French"); the code when unknown."""
    if not code:
        return None
    import pycountry

    language = pycountry.languages.get(alpha_2=code)
    return str(language.name) if language else code


@lru_cache(maxsize=1024)
def language_code(text: str | None) -> str | None:
    """ISO 639-1 code for a code or English name ("fr", "fra", "French"); None for blank."""
    value = clean(text)
    if value is None:
        return None
    import pycountry

    # Codes first: lookup() matches names too, and "en" is also the name of a language
    # (ISO 639-3 "enc"), which has no two-letter code.
    language = pycountry.languages.get(alpha_2=value.lower()) if len(value) == 2 else None
    if language is None and len(value) == 3:
        language = pycountry.languages.get(alpha_3=value.lower())
    if language is None:
        try:
            language = pycountry.languages.lookup(value)
        except LookupError:
            language = None
    code = getattr(language, "alpha_2", None)
    if not code:
        raise InvalidValue(
            f"'{value}' is not a language with a two-letter ISO 639-1 code; "
            "use a code such as en, fr or de."
        )
    return str(code)


_COUNTRY_LANGUAGE = {
    "FR": "fr", "MC": "fr",
    "DE": "de", "AT": "de", "LI": "de",
    "IT": "it", "SM": "it", "VA": "it",
    "ES": "es", "AD": "ca", "PT": "pt", "NL": "nl", "GB": "en", "IE": "en",
    "PL": "pl", "CZ": "cs", "SK": "sk", "HU": "hu", "RO": "ro", "MD": "ro", "BG": "bg",
    "HR": "hr", "SI": "sl", "RS": "sr", "MK": "mk", "AL": "sq", "GR": "el",
    "DK": "da", "SE": "sv", "NO": "no", "IS": "is",
    "EE": "et", "LV": "lv", "LT": "lt", "UA": "uk", "TR": "tr", "GE": "ka", "AM": "hy",
    "US": "en", "AU": "en", "NZ": "en",
    "MX": "es", "AR": "es", "CL": "es", "CO": "es", "PE": "es", "VE": "es", "EC": "es",
    "UY": "es", "CR": "es", "PA": "es", "DO": "es", "CU": "es", "GT": "es", "HN": "es",
    "SV": "es", "NI": "es", "BR": "pt",
}  # fmt: skip
"""Countries with one clear language a coordinator would write in. Those with several
national languages (BE, CH, LU, CA, FI, MT, CY, BA …) are left out on purpose: there the
country says nothing about the person's language."""


def language_of_country(country: str | None) -> str | None:
    """The language a person in ``country`` (an ISO 3166 alpha-2 code) is written to when
    nothing else is known: "fr" for FR, "de" for AT; None for a country of several national
    languages (BE, CH, LU, CA …), an unknown one, or none."""
    return _COUNTRY_LANGUAGE.get(country.upper()) if country else None


# --- dates ---------------------------------------------------------------------------------


def local(moment: dt.datetime) -> dt.datetime:
    """A stored time (naive UTC) on this computer's clock: what a coordinator reads."""
    return moment.replace(tzinfo=dt.UTC).astimezone()


def local_time(moment: dt.datetime | None) -> str:
    """ "2026-11-05 14:03", on this computer's clock; "" for none."""
    return "" if moment is None else local(moment).strftime("%Y-%m-%d %H:%M")


def on_local_day(moment: dt.datetime, day: dt.date) -> dt.datetime:
    """The stored time (naive UTC) moved to ``day`` as the coordinator's clock reads it,
    at the same time of day: 23:30 in Brussels on the 5th moved to the 9th is 23:30 in
    Brussels on the 9th (stored as 22:30 UTC), not the 10th."""
    moved = dt.datetime.combine(day, local(moment).time()).astimezone()
    return moved.astimezone(dt.UTC).replace(tzinfo=None)


_RELATIVE = re.compile(r"^(\+)?(\d{1,4})\s*([dwm]?)$", re.IGNORECASE)
"""+3 (days), +3d, +2w, +1m; the plus may be left out when the unit is written (7d)."""

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

DATE_FORMS = (
    "YYYY-MM-DD (e.g. 2026-12-01), or today, tomorrow, friday, next week, next month, +3d, +2w, +1m"
)
"""What ``parse_date`` accepts, as error messages and help name it."""


def parse_date(text: str | dt.date | None, *, today: dt.date | None = None) -> dt.date | None:
    """A date from what a coordinator writes (``today`` defaults to the system's date):

    - ISO form: 2026-12-01;
    - today, tomorrow, yesterday;
    - a weekday, whole or from its first three letters (monday, fri, thurs): the next
      such day, never today — on a Friday, "friday" is a week later;
    - next week: the Monday of next week (1 to 7 days ahead, a week on a Monday);
    - next month: the 1st of next month — the start of the month, as "next week" is the
      start of the week; for the same day a month on, write +1m;
    - +3 or +3d (days), +2w (weeks), +1m (months, the day kept or the month's last day);
      the plus may be left out when the unit is written (3d, 2w, 1m).

    "next friday" is refused: readers disagree whether it is this week's or next week's.
    """
    if text is None or isinstance(text, dt.date):
        return text
    value = " ".join(text.strip().lower().split())
    if not value:
        return None
    base = today or dt.date.today()
    named = {"today": 0, "tomorrow": 1, "yesterday": -1}
    if value in named:
        return base + dt.timedelta(days=named[value])
    if value == "next week":
        return base + dt.timedelta(days=7 - base.weekday())
    if value == "next month":
        return dt.date(base.year + base.month // 12, base.month % 12 + 1, 1)
    weekday = _weekday(value)
    if weekday is not None:
        return base + dt.timedelta(days=(weekday - base.weekday() - 1) % 7 + 1)
    relative = _RELATIVE.match(value)
    if relative and (relative.group(1) or relative.group(3)):
        count, unit = int(relative.group(2)), relative.group(3) or "d"
        if unit == "m":
            month = base.month - 1 + count
            year, month = base.year + month // 12, month % 12 + 1
            day = min(base.day, _days_in_month(year, month))
            return dt.date(year, month, day)
        return base + dt.timedelta(days=count * (7 if unit == "w" else 1))
    if value.startswith("next ") and _weekday(value[5:]) is not None:
        raise InvalidValue(
            f"'{text}' could be this week's or next week's; write the day alone "
            f"({value[5:]}: the next one), or a date such as +9d or YYYY-MM-DD."
        )
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidValue(f"'{text}' is not a date; write it as {DATE_FORMS}.") from None


def _weekday(value: str) -> int | None:
    """Monday = 0 for a weekday's name or its first three letters or more ("thu", "thurs")."""
    word = value.removesuffix(".")
    if len(word) < 3 or not word.isalpha():
        return None
    return next((i for i, name in enumerate(_WEEKDAYS) if name.startswith(word)), None)


def _days_in_month(year: int, month: int) -> int:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return (following - dt.timedelta(days=1)).day


def choice(value: str | None, allowed: tuple[str, ...], what: str) -> str | None:
    """Normalise an enumerated value ("Public body" -> "public_body") or refuse it."""
    if value is None:
        return None
    key = "_".join(value.strip().lower().replace("-", " ").split())
    if key in allowed:
        return key
    shown = ", ".join(a.replace("_", " ") for a in allowed)
    raise InvalidValue(f"'{value}' is not a {what}; choose one of: {shown}.")


_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


@lru_cache(maxsize=1 << 14)  # an import repeats an organisation's website on every row
def normalise_website(text: str | None) -> str | None:
    value = clean(text)
    if value is None:
        return None
    if " " in value or "." not in value:
        raise InvalidValue(f"'{value}' is not a website address; write it like example.org.")
    if not _SCHEME.match(value):
        value = "https://" + value
    return value


# --- personal names ------------------------------------------------------------------------

_HONORIFICS = {
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "dr",
    "prof",
    "sir",
    "dame",
    "rev",
    "fr",
    "sr",
    "sra",
    "srta",
    "dña",
    "don",
    "mme",
    "mlle",
    "m",
    "me",
    "herr",
    "frau",
    "pan",
    "pani",
    "dott",
    "dottssa",
    "sig",
    "sigra",
    "ing",
    "mag",
    "dhr",
    "mevr",
    "hr",
    "fru",
}
_PARTICLES = {
    "van",
    "von",
    "de",
    "der",
    "den",
    "da",
    "di",
    "du",
    "dos",
    "das",
    "del",
    "della",
    "la",
    "le",
    "ten",
    "ter",
    "zu",
    "af",
    "al",
    "bin",
    "ibn",
    "mac",
    "st",
    "y",
    # Irish: Ó Briain, Ní Bhriain (a woman's), Nic Dhonncha, Uí Bhriain (a wife's), Ua.
    "ó",
    "ní",
    "nic",
    "uí",
    "ua",
}


@dataclass(frozen=True)
class PersonName:
    honorific: str | None
    given_name: str | None
    family_name: str | None


def split_full_name(full: str | None) -> PersonName:
    """Split "Dr. Émilie van der Berg" or "Müller, Émilie" into its parts.

    A comma means "Family, Given"; otherwise the family name starts at the last
    word, pulled back over the particles before it, in either case (van, de, von der,
    Van, Ó, Ní …): "Ursula von der Leyen" is Ursula / von der Leyen, "Seán Ó Briain"
    Seán / Ó Briain. A particle is a word of its own: MacDonald, McGuinness and
    al-Hassan are one word and stay one. The first word always stays a given name.
    A leading honorific (Dr., Ms, Mme, Frau, Pani …) is set apart. One word is a
    given name.
    """
    text = clean(full)
    if not text:
        return PersonName(None, None, None)
    honorific = None
    words = text.split(" ")
    while len(words) > 1 and words[0].rstrip(".").casefold() in _HONORIFICS:
        honorific = f"{honorific} {words[0]}" if honorific else words[0]
        words = words[1:]
    text = " ".join(words)
    if "," in text:
        family, _, given = text.partition(",")
        return PersonName(honorific, clean(given), clean(family))
    if len(words) == 1:
        return PersonName(honorific, words[0], None)
    start = len(words) - 1
    while start > 1 and words[start - 1].casefold() in _PARTICLES:
        start -= 1
    return PersonName(honorific, " ".join(words[:start]), " ".join(words[start:]))
