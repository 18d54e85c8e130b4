"""Where a database is, said with the standard library alone.

What a user typed (--db, ``COALITION_DB``, the config file) becomes a database URL here,
and a URL becomes what a screen or a message shows of it (without its password). The
terminal app's first look (``store.glance``) needs both before SQLAlchemy has loaded, so
they are not written with SQLAlchemy's URL class; ``shown_url`` renders as that class
renders with its password hidden (tests/test_glance.py compares the two).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote, quote_plus, unquote, urlsplit

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
SERVER_DRIVER = "postgresql+psycopg"
"""The URL scheme a server database is opened with: psycopg 3, not SQLAlchemy's default
psycopg2."""


def to_url(target: str | os.PathLike[str]) -> str:
    """A database URL from what a user typed: a URL as is, a plain path as SQLite."""
    text = os.fspath(target)
    for scheme in POSTGRES_SCHEMES:
        if text.startswith(scheme):
            return f"{SERVER_DRIVER}://" + text[len(scheme) :]
    if "://" in text:
        return text
    path = Path(text).expanduser().resolve()
    return f"sqlite:///{path}"


def server_conninfo(target: str | os.PathLike[str]) -> str | None:
    """The URL psycopg (libpq) connects to for a server database ``target``; None for
    anything else (a file, another kind of server)."""
    url = to_url(target)
    prefix = f"{SERVER_DRIVER}://"
    return "postgresql://" + url[len(prefix) :] if url.startswith(prefix) else None


def shown_url(url: str) -> str:
    """A database URL as a screen may show it: without its password (``***`` instead),
    its parts written as SQLAlchemy writes them."""
    scheme, _, rest = url.partition("://")
    parts = urlsplit(f"//{rest}")
    netloc = parts.netloc
    shown = f"{scheme}://"
    if "@" in netloc:
        credentials, netloc = netloc.rsplit("@", 1)
        user, has_password, _password = credentials.partition(":")
        shown += quote(unquote(user), safe=" +")
        if has_password:
            shown += ":***"
        shown += "@"
    shown += netloc
    path = parts.path
    if path:
        shown += "/" + unquote(path[1:])
    if parts.query:
        pairs = []
        for item in parts.query.split("&"):
            key, _, value = item.partition("=")
            pairs.append((unquote(key.replace("+", " ")), unquote(value.replace("+", " "))))
        shown += "?" + "&".join(
            f"{quote_plus(k)}={quote_plus(v)}" for k, v in sorted(pairs, key=lambda p: p[0])
        )
    return shown
