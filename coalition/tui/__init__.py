"""The terminal app (Textual). ``make_app`` in ``app`` builds it for the command line,
the tests and the benchmarks; nothing under ``coalition.tui`` is imported by the core or
by the other commands."""
