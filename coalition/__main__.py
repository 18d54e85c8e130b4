"""The ``coalition`` command and ``python -m coalition``.

Ctrl+C is answered from the first moment: the handler is installed before the program is
loaded, so that a Ctrl+C while Python loads it ends with the sentence and status 130 that
any later one gets, not a traceback.
"""

from __future__ import annotations

import signal

from coalition import interrupts


def run() -> None:
    interrupts.install()
    try:
        from coalition.cli import main
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # stopping: a second one cuts the sentence
        interrupts.exit_interrupted("Interrupted; nothing was changed.")
    main()


if __name__ == "__main__":
    run()
