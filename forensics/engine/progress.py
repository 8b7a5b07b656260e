"""Progress on stderr for long work: shown only on a terminal and never with ``--quiet``."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator


def _delay() -> float:
    """Seconds before a bar appears (``FORENSICS_PROGRESS_DELAY``, default 1: short work shows none);
    0 also redraws on every step. A value that is not a number is the default."""
    import os

    try:
        value = float(os.environ.get("FORENSICS_PROGRESS_DELAY", "1"))
    except ValueError:
        return 1.0
    return value if 0 <= value < 3600 else 1.0


@contextmanager
def progress_bar(desc: str, total: int | None, enabled: bool, unit: str = "") -> Iterator[Callable[[int], None]]:
    """Yields ``advance(n)``. A no-op unless ``enabled`` and stderr is a terminal. With a ``total``
    the bar shows how far, the rate and the time left (ETA)."""
    if not enabled or not sys.stderr.isatty():
        yield lambda n=1: None
        return
    from tqdm import tqdm

    delay = _delay()
    with tqdm(total=total, desc=desc, unit=f" {unit}" if unit else "", file=sys.stderr,
              mininterval=0.5 if delay else 0, delay=delay,
              leave=False, dynamic_ncols=True) as bar:
        yield lambda n=1: bar.update(n)
