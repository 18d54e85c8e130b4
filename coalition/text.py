"""Text folding shared by every layer (no dependencies)."""

from __future__ import annotations

import unicodedata


def strip_accents(text: str) -> str:
    """Remove combining marks in any script: "Émilie" -> "Emilie", "Ελένη" -> "Ελενη"."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
