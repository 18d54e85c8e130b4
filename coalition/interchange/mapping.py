"""Which column means what: header detection, and mapping profiles in TOML.

A header is folded (case, accents, punctuation) and looked up in a table of
the words coordinators and programs use, in English, French, German, Spanish,
Italian, Dutch and Polish, plus the exact header sets that Google Contacts,
Outlook, Thunderbird and sign-on forms (Google Forms, Microsoft Forms) write.
When no exact entry matches, a few ordered keyword rules catch long form
questions ("Name of your organisation", "Do you wish to sign?").

A target is a field name, optionally with a label for repeatable fields:
``email``, ``email:work``, ``phone:mobile``. ``ignore`` drops a column.
``--show-mapping`` prints the detected mapping as TOML; ``--mapping FILE``
reads one back and overrides or completes the detection.

coalition's own exports
    ``export contacts`` and ``export organisations`` write a sheet to edit and
    import back, and in CSV they mark values a spreadsheet would run as a
    formula with an apostrophe (``interchange.safety``). The import takes that
    mark off again — and only there — when the file is recognised as such an
    export (``exported_by_coalition``): a CSV whose header row holds only the
    export's own column names, exactly as written (``--columns`` may have left
    some out, and a spreadsheet program may have reordered them), among them
    its id column (``id``, or ``organisation_id``). That is what survives a
    coordinator's round trip — export, fix names in Excel or LibreOffice, save
    as CSV, import — since those programs keep the header row and the cells.
    A marker row or a comment would not survive it, and a header set such as
    Google's or Outlook's never holds these names with an id. Anything else is
    someone else's file: a value in it that starts with an apostrophe stays as
    written. An XLSX export holds every value as text, never as a formula, so
    it carries no mark and nothing is taken off.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from coalition.errors import FileProblem
from coalition.text import strip_accents

# The fields a column can fill. Repeatable ones take a label after a colon.
FIELDS: dict[str, str] = {
    "id": "the contact's id in coalition (from an export), to update it",
    "org_id": "the organisation's id in coalition (from an export), to update it",
    "full_name": "a person's whole name, split into given and family name",
    "given_name": "given (first) name",
    "family_name": "family (last) name",
    "honorific": "Ms, Dr, Mme, Frau …",
    "display_name": "the name to show for the person",
    "role": "role or job title",
    "email": "an email address (repeatable; email:work)",
    "email_label": "the label of the email column before it (Google's 'E-mail 1 - Label')",
    "phone": "a phone number (repeatable; phone:mobile)",
    "phone_label": "the label of the phone column before it",
    "language": "preferred language",
    "street": "street address",
    "postal_code": "postal code",
    "city": "city (of the organisation, or the person's address when there is none)",
    "region": "region or state",
    "country": "country (of the organisation, or the person's address when there is none)",
    "address_country": "country of the person's postal address",
    "address_city": "city of the person's postal address",
    "notes": "notes about the person",
    "tags": "tags, separated by commas or semicolons",
    "organisation": "the organisation's name",
    "acronym": "the organisation's short name",
    "org_kind": "kind of organisation (NGO, foundation …)",
    "website": "the organisation's website",
    "org_email": "the organisation's generic email",
    "org_phone": "the organisation's phone",
    "membership": "coalition membership (member, partner, prospect)",
    "org_notes": "notes about the organisation",
    "signon_status": "sign-on answer (yes/oui/ja/sí/tak/x, declined …); needs --campaign",
    "signon_display_name": "the name to publish in the signatory list",
    "public": "whether the organisation may be listed publicly",
    "answered_at": "when the row was answered (a form's Timestamp): dates its sign-on",
    "ignore": "not imported",
}
REPEATABLE = {"email", "phone"}


def fold_header(header: str) -> str:
    text = strip_accents(header).casefold()
    text = re.sub(r"[\W_]+", " ", text)
    return " ".join(text.split())


def _table(entries: dict[str, str]) -> dict[str, str]:
    table: dict[str, str] = {}
    for target, words in entries.items():
        for word in words.split("|"):
            key = fold_header(word)
            if key and key not in table:
                table[key] = target
    return table


# Exact headers, after folding. Order matters only for readability; keys are unique.
EXACT = _table(
    {
        "id": "id|coalition id|record id|contact id",
        "org_id": "organisation id|organization id|org id",
        # names
        "full_name": (
            "name|full name|fullname|contact|contact name|contact person|person|your name|"
            "first and last name|nom complet|nom et prenom|prenom et nom|vollstandiger name|"
            "vor und nachname|ansprechpartner|ansprechperson|kontaktperson|nombre completo|"
            "nombre y apellidos|persona de contacto|nome completo|nome e cognome|referente|"
            "volledige naam|naam|contactpersoon|imie i nazwisko|osoba kontaktowa"
        ),
        "given_name": (
            "first name|firstname|given name|forename|first|prenom|vorname|nombre|nome|"
            "voornaam|imie"
        ),
        "family_name": (
            "last name|lastname|surname|family name|last|nom|nom de famille|nachname|"
            "familienname|apellido|apellidos|cognome|achternaam|familienaam|nazwisko"
        ),
        "honorific": (
            "title prefix|salutation|honorific|prefix|name prefix|civilite|anrede|tratamiento|"
            "titolo|aanhef|zwrot grzecznosciowy|tytul"
        ),
        "display_name": "display name|displayname",
        "role": (
            "role|job title|jobtitle|title|position|function|job|fonction|poste|titre|"
            "funktion|position im unternehmen|cargo|puesto|ruolo|funzione|qualifica|functie|"
            "rol|stanowisko|funkcja|your role|your position|organization title|"
            "organization 1 title|organisation title"
        ),
        # emails
        "email": (
            "email|e mail|email address|e mail address|mail|emails|courriel|adresse e mail|"
            "adresse email|adresse electronique|e mail adresse|email adresse|correo|"
            "correo electronico|email di contatto|indirizzo email|posta elettronica|"
            "e mailadres|emailadres|adres e mail|adres email|primary email|"
            "e mail 1 value|e mail 1 address|your email|your email address|work email"
        ),
        "email:secondary": (
            "secondary email|e mail 2 value|e mail 2 address|e mail 2|email 2|email2|"
            "second email|other email"
        ),
        "email:other": "e mail 3 value|e mail 3 address|e mail 3|email 3",
        "email_label": (
            "e mail 1 type|e mail 1 label|e mail 2 type|e mail 2 label|e mail 3 type|e mail 3 label"
        ),
        "phone": (
            "phone|telephone|tel|phone number|telephone number|telefon|telefonnummer|"
            "telefono|numero de telephone|numero de telefono|numero di telefono|telefoon|"
            "telefoonnummer|numer telefonu|primary phone|phone 1 value|your phone"
        ),
        "phone:work": (
            "business phone|work phone|company main phone|business phone 2|work|"
            "telephone professionnel|telefon geschaftlich|telefono del trabajo|telefono lavoro"
        ),
        "phone:mobile": (
            "mobile|mobile phone|mobile number|cell|cell phone|cellphone|portable|"
            "telephone portable|handy|mobiltelefon|movil|telefono movil|cellulare|mobiel|"
            "mobiele telefoon|komorka|telefon komorkowy"
        ),
        "phone:home": "home phone|home phone 2|telephone domicile|telefon privat",
        "phone:fax": "business fax|fax|fax number|home fax",
        "phone:other": "phone 2 value|phone 3 value|other phone|pager|pager number|phone 2",
        "phone_label": (
            "phone 1 type|phone 1 label|phone 2 type|phone 2 label|phone 3 type|phone 3 label"
        ),
        "language": (
            "language|preferred language|langue|sprache|idioma|lingua|taal|jezyk|"
            "correspondence language"
        ),
        "street": (
            "street|address|street address|business street|home street|adresse|rue|strasse|"
            "anschrift|direccion|calle|indirizzo|via|adres|straat|ulica|work address|"
            "address 1 street|work street|postal address|home address"
        ),
        "postal_code": (
            "postal code|postcode|zip|zip code|code postal|cp|plz|postleitzahl|codigo postal|"
            "cap|codice postale|kod pocztowy|business postal code|home postal code|"
            "address 1 postal code|work zipcode|work zip code|zip postal code|home zipcode"
        ),
        "city": (
            "city|town|ville|stadt|ort|ciudad|localidad|citta|comune|stad|plaats|woonplaats|"
            "miasto|miejscowosc|organisation city|organization city"
        ),
        "address_city": "business city|home city|address 1 city|work city|address city",
        "address_country": (
            "home country|business country region|home country region|address 1 country|"
            "address country|"
            "work country|country of residence"
        ),
        "region": (
            "region|state|province|county|state province|departement|bundesland|provincia|"
            "regione|provincie|wojewodztwo|business state|home state|address 1 region|work state"
        ),
        "country": (
            "country|pays|land|staat|pais|paese|nazione|kraj|panstwo|country region|"
            "organisation country|organization country|country of registration|"
            "country of your organisation|country of your organization|your country"
        ),
        "notes": (
            "notes|note|comments|comment|remarks|remarques|commentaire|commentaires|"
            "bemerkungen|notizen|anmerkungen|notas|comentarios|note e commenti|"
            "opmerkingen|notities|uwagi|notatki|custom1|custom 1"
        ),
        "tags": (
            "tags|tag|labels|label|categories|category|groups|group membership|etiquettes|"
            "categorie|kategorien|schlagworte|etiquetas|categorias|etichette|categorieen|"
            "tagi|kategorie|grupy"
        ),
        "organisation": (
            "organisation|organization|organisation name|organization name|company|"
            "company name|org|employer|institution|name of your organisation|"
            "name of your organization|your organisation|your organization|"
            "organization 1 name|organisation 1 name|nom de l organisation|"
            "nom de votre organisation|organisme|structure|association|entreprise|societe|"
            "unternehmen|firma|verein|organisation name de|name der organisation|"
            "organizacion|nombre de la organizacion|empresa|entidad|organizzazione|"
            "nome dell organizzazione|azienda|ente|organisatie|naam organisatie|bedrijf|"
            "organizacja|nazwa organizacji|instytucja|signatory organisation|"
            "signatory organization|member organisation|member organization|member"
        ),
        "acronym": "acronym|abbreviation|short name|sigle|abkurzung|acronimo|sigla|afkorting|skrot",
        "org_kind": (
            "type of organisation|type of organization|organisation type|organization type|"
            "kind|sector|type d organisation|organisationstyp|tipo de organizacion|"
            "tipo di organizzazione|soort organisatie|typ organizacji"
        ),
        "website": (
            "website|web site|web page|webpage|url|homepage|site|site web|site internet|"
            "webseite|internetseite|sitio web|pagina web|sito web|sito|strona|strona www|"
            "organization 1 website|web page 1 value|business web page|website 1 value|"
            "web address|web page 1|web page 1 value"
        ),
        "org_email": "generic email|organisation email|organization email|general email|info email",
        "org_phone": "organisation phone|organization phone|switchboard|main phone",
        "membership": "membership|member status|coalition membership|adhesion|mitgliedschaft",
        "org_notes": "organisation notes|organization notes",
        "signon_status": (
            "signed|signed?|status|sign on|signon|signature|signatory|do you wish to sign|"
            "do you want to sign|will you sign|would you like to sign|we sign|signe|signe?|"
            "signature de l organisation|souhaitez vous signer|unterzeichnet|unterschrift|"
            "mochten sie unterzeichnen|firmado|firma la declaracion|desea firmar|firmato|"
            "desidera firmare|ondertekend|wilt u ondertekenen|podpisano|czy chcesz podpisac"
        ),
        "signon_display_name": (
            "display name for the statement|name to publish|name as it should appear|"
            "how should we list your organisation|how should we list your organization|"
            "signatory name|name to display|listed as|published name"
        ),
        "public": (
            "public|publish|may we list your organisation publicly|"
            "may we list your organization publicly|list publicly|publicly listed"
        ),
        "answered_at": (
            "timestamp|horodateur|horodatage|zeitstempel|marca temporal|"
            "informazioni cronologiche|tijdstempel|sygnatura czasowa|carimbo de data hora|"
            "completion time|start time|submitted at|submitted|submit date|submit date utc|"
            "submission date|date submitted|date|datum|fecha|date de reponse|response date"
        ),
        "ignore": (
            "start date utc|birthday|anniversary|"
            "photo|file as|gender|priority|sensitivity|initials|yomi name|"
            "phonetic first name|phonetic last name|photo 1 value|"
            "organization 1 type|organization 1 yomi name|organization 1 symbol|"
            "organization 1 location|organization 1 job description|relation 1 value|"
            "middle name|additional name|department|organization department|"
            "organization 1 department|e mail display name|e mail 2 display name|screen name|"
            "birth year|birth month|birth day|home address 2|work address 2|suffix|name suffix|"
            "phonetic middle name|file as|web page 2|custom 2|custom 3|custom 4|nickname|"
            "maiden name|short name|website 1 type|website 2 type|website 1 label|location|"
            "billing information|directory server|mileage|occupation|hobby|subject"
        ),
    }
)

# Keyword rules for long headers (form questions), tried in order on the folded header.
_ORG_WORDS = (
    r"organi[sz]ation|organisme|organizacion|organizzazione|organisatie|organizacja|company"
)
KEYWORDS: list[tuple[str, str]] = [
    (
        r"\b(display|publish|appear|listed as|list your)\b.*\bname\b"
        r"|\bname\b.*\b(display|publish|appear)",
        "signon_display_name",
    ),
    (r"\b(publicly|public|publier|veroffentlich)\b", "public"),
    (r"\b(sign|signe|signer|unterzeichn|firmar|firmare|onderteken|podpis)", "signon_status"),
    (r"\bacronym\b", "acronym"),
    (r"\b(website|web site|url|site web|webseite)\b", "website"),
    (
        r"\b(organi[sz]ation|organisme|organizacion|organizzazione|organisatie|organizacja|company)\b.*\b(country|pays|land)\b",
        "country",
    ),
    (r"\b(country|pays|land|pais|paese|kraj)\b", "country"),
    (
        r"\b(organi[sz]ation|organisme|organizacion|organizzazione|organisatie|organizacja|company|entreprise)\b",
        "organisation",
    ),
    (r"\b(e ?mail|courriel|correo)\b", "email"),
    (r"\b(mobile|cell|portable|handy)\b", "phone:mobile"),
    (r"\b(phone|telephone|tel|telefon|telefono|telefoon)\b", "phone"),
    (r"\b(first name|given name|prenom|vorname)\b", "given_name"),
    (r"\b(last name|surname|family name|nachname)\b", "family_name"),
    (r"\b(role|position|job|title|fonction|funktion)\b", "role"),
    (r"\bname\b|\bnom\b|\bnombre\b|\bnome\b|\bnaam\b", "full_name"),
    (r"\b(language|langue|sprache|idioma|lingua)\b", "language"),
    (r"\b(comment|remark|note)", "notes"),
]


def valid_target(target: str) -> bool:
    name, _, label = target.partition(":")
    if name not in FIELDS:
        return False
    return not label or name in REPEATABLE


def detect_target(header: str) -> str | None:
    """The field a header means, or None when it is not recognised."""
    key = fold_header(header)
    if not key:
        return None
    if key in EXACT:
        return EXACT[key]
    # Outlook/Google numbered variants: "E-mail 4 - Value", "Phone 2 - Value".
    numbered = re.sub(r"\b\d+\b", "1", key)
    if numbered in EXACT and EXACT[numbered] in ("email", "phone", "email_label", "phone_label"):
        return EXACT[numbered]
    if re.search(r"\b(yomi|phonetic)\b", key):
        return "ignore"
    for pattern, target in KEYWORDS:
        if re.search(pattern, key):
            return target
    return None


@dataclass
class Mapping:
    """Column index -> target, with the headers it was made from."""

    headers: list[str]
    targets: list[str | None]
    source: list[str] = field(default_factory=list)
    """For each column: "detected", "mapping file" or "" (not recognised)."""

    def columns(self, name: str) -> list[tuple[int, str | None]]:
        """Columns filling field ``name``, with their label, in file order."""
        found = []
        for index, target in enumerate(self.targets):
            if target is None:
                continue
            base, _, label = target.partition(":")
            if base == name:
                found.append((index, label or None))
        return found

    def has(self, *names: str) -> bool:
        return any(self.columns(n) for n in names)

    def unmapped(self) -> list[str]:
        return [h for h, t in zip(self.headers, self.targets, strict=True) if t is None]

    def as_dict(self) -> dict[str, str]:
        return {h: (t or "ignore") for h, t in zip(self.headers, self.targets, strict=True) if h}

    def to_toml(self) -> str:
        lines = [
            "# coalition import mapping: header = field. Edit, then pass --mapping FILE.",
            "# Fields: " + ", ".join(sorted(FIELDS)) + ".",
            '# email and phone take a label: "email:work", "phone:mobile".',
            "",
            "[columns]",
        ]
        for index, header in enumerate(self.headers):
            target = self.targets[index] or "ignore"
            note = "" if self.targets[index] else "  # not recognised"
            lines.append(f"{json.dumps(header, ensure_ascii=False)} = {json.dumps(target)}{note}")
        return "\n".join(lines) + "\n"


def detect(headers: Sequence[str]) -> Mapping:
    targets = [detect_target(h) for h in headers]
    _one_name_column(targets)
    _one_answer_time_column(headers, targets)
    # Outlook writes "Title" for Mr/Ms beside "Job Title".
    if targets.count("role") > 1:
        for i, h in enumerate(headers):
            if fold_header(h) == "title" and targets[i] == "role":
                targets[i] = "honorific"
    return Mapping(list(headers), targets, ["detected" if t else "" for t in targets])


def _one_name_column(targets: list[str | None]) -> None:
    """A lone "Name" next to given/family name columns is not a full name."""
    if "full_name" in targets and ("given_name" in targets or "family_name" in targets):
        for i, t in enumerate(targets):
            if t == "full_name":
                targets[i] = "display_name"


_PLAIN_DATES = {"date", "datum", "fecha"}


def _one_answer_time_column(headers: Sequence[str], targets: list[str | None]) -> None:
    """Microsoft Forms writes "Start time" and "Completion time", Typeform a start and a
    submit date: the answer is given when the form is sent, so that column dates it. A
    form's replies number themselves in an "ID" column (Microsoft Forms): that is not the
    id of a contact in coalition."""
    columns = [i for i, t in enumerate(targets) if t == "answered_at"]
    if any(fold_header(headers[i]) not in _PLAIN_DATES for i in columns):
        for i, target in enumerate(targets):
            if target == "id":
                targets[i] = "ignore"
    if len(columns) < 2:
        return
    starts = [i for i in columns if "start" in fold_header(headers[i]).split()]
    keep = next((i for i in columns if i not in starts), columns[0])
    for i in columns:
        if i != keep:
            targets[i] = "ignore"


def says_utc(header: str) -> bool:
    """Whether a column's header says its times are UTC ("Submit Date (UTC)")."""
    return bool({"utc", "gmt"} & set(fold_header(header).split()))


def positional(width: int) -> Mapping:
    """For files without a header row: columns are named 1, 2, 3 … and mapped from
    what the first rows hold (see ``guess_from_values``)."""
    return Mapping([str(i + 1) for i in range(width)], [None] * width, [""] * width)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[\d\s().-]{7,}$")
_URL = re.compile(r"^(https?://|www\.)\S+$", re.IGNORECASE)


def guess_from_values(mapping: Mapping, sample: Sequence[Sequence[str]]) -> None:
    """Fill unmapped columns of a header-less file from the values they hold."""
    for index in range(len(mapping.targets)):
        if mapping.targets[index] is not None:
            continue
        values = [row[index] for row in sample if index < len(row) and row[index].strip()]
        if not values:
            continue

        def share(pattern: re.Pattern[str], values: list[str] = values) -> float:
            return sum(bool(pattern.match(v.strip())) for v in values) / len(values)

        if share(_EMAIL) > 0.6:
            mapping.targets[index] = "email"
        elif share(_URL) > 0.6:
            mapping.targets[index] = "website"
        elif share(_PHONE) > 0.6:
            mapping.targets[index] = "phone"
        if mapping.targets[index]:
            mapping.source[index] = "guessed from values"
    # The first text column before an email is taken as the name, the next as organisation.
    text_columns = [
        i
        for i, t in enumerate(mapping.targets)
        if t is None
        and any(i < len(r) and r[i].strip() and not r[i].strip().isdigit() for r in sample)
    ]
    for index, target in zip(text_columns, ("full_name", "organisation"), strict=False):
        mapping.targets[index] = target
        mapping.source[index] = "guessed from position"


def load_mapping_file(
    path: str | os.PathLike[str], headers: Sequence[str]
) -> dict[int, str | None]:
    """Read a TOML mapping (``[columns]`` header = field) into column overrides."""
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileProblem(f"The mapping file {file} does not exist.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FileProblem(f"The mapping file {file} is not valid TOML: {exc}.") from None
    columns = data.get("columns", data)
    if not isinstance(columns, dict):
        raise FileProblem(f"The mapping file {file} needs a [columns] table of header = field.")
    by_key = {fold_header(h): i for i, h in enumerate(headers)}
    overrides: dict[int, str | None] = {}
    for header, target in columns.items():
        if not isinstance(target, str) or not valid_target(target):
            raise FileProblem(
                f"In {file}, '{header}' maps to '{target}', which is not a field; "
                f"use one of: {', '.join(sorted(FIELDS))}."
            )
        index = by_key.get(fold_header(str(header)))
        if index is None and str(header).isdigit() and 0 < int(header) <= len(headers):
            index = int(header) - 1
        if index is None:
            continue  # a profile may name columns this file does not have
        overrides[index] = None if target == "ignore" else target
    return overrides


def apply_overrides(mapping: Mapping, overrides: dict[int, str | None]) -> None:
    for index, target in overrides.items():
        mapping.targets[index] = target
        mapping.source[index] = "mapping file"


def exported_by_coalition(headers: Sequence[str]) -> bool:
    """Whether a header row is that of ``export contacts`` or ``export organisations``
    (see the module notes): only their column names, each once, with the id column."""
    from coalition.interchange.exporter import CONTACT_COLUMNS, ORGANISATION_COLUMNS

    names = [h for h in headers if h]
    if len(names) < 2 or len(set(names)) != len(names):
        return False
    return any(
        key in names and set(names) <= set(columns)
        for key, columns in (("id", CONTACT_COLUMNS), ("organisation_id", ORGANISATION_COLUMNS))
    )
