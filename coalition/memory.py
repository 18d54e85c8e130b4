"""The cycle collector, paused while a batch job builds its records.

Reading and planning 100,000 rows creates millions of small containers that
live until the job ends; CPython's cyclic collector traverses all of them
again and again as they pile up, which cost an import of 100,000 rows about a
second (benchmarks/import_bench.py) and frees nothing, since records form no
cycles. Jobs pause it with ``collector_paused()``; it runs again when the
outermost pause ends. Reference counting frees memory as usual meanwhile.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_depth = 0


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause cyclic garbage collection for the block (re-entrant)."""
    global _depth
    was_enabled = gc.isenabled() if _depth == 0 else False
    _depth += 1
    if was_enabled:
        gc.disable()
    try:
        yield
    finally:
        _depth -= 1
        if was_enabled:
            gc.enable()
