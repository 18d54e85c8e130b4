"""The schema's revision and the values its enumerations allow, without SQLAlchemy.

Kept apart from ``models`` and ``database`` so that ``glance``, which reads a database
with the standard library's sqlite3 for the terminal app's first screen, shares them
without importing SQLAlchemy. Import them from here.
"""

# The newest migration's revision. Opening a database already at this revision skips
# loading Alembic (~150 ms of start-up), and ``glance`` reads only a database at it; a
# test keeps it equal to the head of migrations/versions.
SCHEMA_HEAD = "0011"

ORGANISATION_KINDS = (
    "ngo",
    "foundation",
    "network",
    "company",
    "academic",
    "public_body",
    "other",
)
MEMBERSHIPS = ("member", "partner", "prospect", "none")
CONSENT_BASES = (
    "consent",
    "legitimate_interest",
    "contract",
    "legal_obligation",
    "public_task",
    "vital_interest",
)
CAMPAIGN_KINDS = ("statement", "letter", "petition", "other")
CAMPAIGN_STATES = ("draft", "open", "closed")
SIGNON_STATUSES = ("prospect", "invited", "considering", "signed", "declined", "withdrawn")
CHANNELS = ("email", "call", "meeting", "event", "letter", "other")
DIRECTIONS = ("out", "in")
AUDIT_ACTIONS = ("create", "update", "delete", "erase")
MERGE_KINDS = ("contact", "organisation")
"""What ``merge`` and ``duplicate_dismissals`` hold: pairs of contacts or of organisations."""
