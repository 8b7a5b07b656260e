"""The realistic preset's large healthy background: big modules (2,000 to 5,000 lines) edited often.

A real incident's history is mostly healthy code, and much of it sits in a few large files that
change every day; that is what makes a background check or a line diff slow when it is not bounded.
``modules(scale)`` big modules land in the initial import under ``src/app/platform/``, and
``edits(scale)`` ordinary commits each rewrite a few functions of one of them (scale 10: 40 modules,
2,000 edits, so thousands of healthy versions of 100 KB files). They compile, carry no marker and no
test, so the truth (computed from the model, as for every path) lists them healthy; their text is
ordinary Python with f-strings, comprehensions and string constants, and near misses of the
incident's placeholders (never the placeholders themselves).

Drawn from its own random generator, so the rest of the story draws the same numbers as without it.
"""
from __future__ import annotations

import functools
import random
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable

AREA = "src/app/platform"
_WORDS = ["request", "payload", "session", "tenant", "record", "window", "budget", "cursor", "route", "token",
          "metric", "bucket", "schema", "policy", "channel", "buffer", "ledger", "cohort", "shard", "quota"]


def modules(scale: int) -> int:
    """How many large modules at ``scale``."""
    return 4 * scale


def edits(scale: int) -> int:
    """How many commits edit them over the story (quadratic: a small preset stays small)."""
    return 20 * scale * scale


@dataclass(frozen=True)
class LargeModule:
    """One large healthy module: ``functions`` functions of about 14 lines, each at its own revision
    (``revisions``, edited a few at a time)."""

    name: str
    functions: int
    revisions: tuple[int, ...]

    def render(self) -> bytes:
        head = (f'"""Platform module {self.name}: request handling helpers."""\n'
                "from __future__ import annotations\n\nimport json\nimport logging\n\n"
                "log = logging.getLogger(__name__)\n\n\n")
        return (head + "".join(_function(self.name, k, r) for k, r in enumerate(self.revisions))).encode()

    def edited(self, rng: random.Random) -> "LargeModule":
        revs = list(self.revisions)
        for k in rng.sample(range(self.functions), min(self.functions, rng.randint(1, 6))):
            revs[k] += 1
        return replace(self, revisions=tuple(revs))

    compiles = property(lambda self: True)
    markers = property(lambda self: 0)
    tests = property(lambda self: 0)
    state = property(lambda self: "healthy")


@functools.lru_cache(maxsize=1 << 15)
def _function(module: str, k: int, rev: int) -> str:
    a, b = _WORDS[(k * 7 + rev) % len(_WORDS)], _WORDS[(k * 3 + 5) % len(_WORDS)]
    return (f"def {a}_{b}_{k}(items, limit={10 + (k + rev) % 90}):\n"
            f'    """Return the {a}s of ``items`` within the {b} limit (revision {rev})."""\n'
            f"    selected = [item for item in items if item.get(\"{a}\") is not None][:limit]\n"
            f"    label = f\"{module}.{a}_{b}_{k}: {{len(selected)}} of {{len(items)}}\"\n"
            f"    totals = {{key: sum(x.get(key, 0) for x in selected) for key in (\"{a}\", \"{b}\")}}\n"
            f"    if not selected:\n"
            f"        log.debug(\"no {a} in %s\", label)\n"
            f"        return {{\"label\": label, \"formatted\": \"\", \"count\": 0}}\n"
            f"    formatted_value = json.dumps(totals, sort_keys=True)\n"
            f"    for offset, entry in enumerate(selected, start={rev % 5}):\n"
            f"        entry[\"offset\"] = offset * {1 + rev % 7}\n"
            f"    return {{\"label\": label, \"formatted\": formatted_value, \"count\": len(selected)}}\n\n\n")


def initial(scale: int, seed: int) -> list[tuple[str, LargeModule]]:
    """(path, module) of every large module, for the initial import."""
    rng = random.Random(seed * 104_729 + scale)
    out = []
    for j in range(modules(scale)):
        n = rng.randint(150, 360)         # about 14 lines each: 2,100 to 5,000 lines
        out.append((f"{AREA}/large_{j}.py", LargeModule(f"large_{j}", n, (0,) * n)))
    return out


def schedule(scale: int, seed: int, times: Callable[[random.Random, int], list[datetime]],
             at: Callable[[datetime, Callable[[], None]], None],
             edit: Callable[[random.Random], None]) -> None:
    """Schedule ``edits(scale)`` calls of ``edit`` (with this module's generator) at ``times``."""
    rng = random.Random(seed * 15_485_863 + scale)
    for when in times(rng, edits(scale)):
        at(when, lambda: edit(rng))
