"""Priority tiers: which damaged paths to save first. Rules map path globs (and, in a rules file,
keywords) to tiers; the first rule that matches wins and its reason is given with the tier
(:func:`tier_reason`). The shipped rules follow the layout of the repository, never words in a
name (a path containing "agent" is not P0 for that):

- P0 mission critical: a ``mission_critical/`` directory at any depth (``tests/mission_critical/``);
- P1 product code: any path that is not a test, a tool or vendored/generated code;
- P2 tests: ``tests/`` or ``test/`` at any depth, ``test_*.py``, ``*_test.py``, ``conftest.py``;
- P3 tooling: ``scripts/``, ``tools/``, ``examples/``, ``docs/``, ``benchmarks/`` at any depth;
- P4 the rest: vendored and generated code (``vendor/``, ``third_party/``, ``*_pb2.py``, ...).

``--priority-rules FILE.toml`` replaces the defaults::

    [[tier]]
    name = "P0"
    label = "golden path"
    keywords = ["websocket"]                     # matched in the lower-cased path
    globs = ["tests/mission_critical/*"]         # fnmatch over the whole path (* crosses /)
    exclude = ["*/fixtures/*"]                   # paths this tier never takes
"""
from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass

from forensics.errors import BadConfig


@dataclass(frozen=True)
class Tier:
    name: str
    label: str
    keywords: tuple[str, ...] = ()
    globs: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    catch_all: str = ""
    """How the reason reads when only the ``*`` glob matched (e.g. "not a test, tool or vendored path")."""

    def reason(self, path: str) -> str | None:
        """Why ``path`` is in this tier (the rule that matched, in words), or None when it is not."""
        if any(fnmatch.fnmatchcase(path, g) for g in self.exclude):
            return None
        low = path.lower()
        for k in self.keywords:
            if k in low:
                return f"{self.name} {self.label}: the path contains {k!r}"
        for g in self.globs:
            if fnmatch.fnmatchcase(path, g):
                if g == "*":
                    if self.catch_all:
                        return f"{self.name} {self.label}: {self.catch_all}"
                    if self.exclude:
                        return f"{self.name} {self.label}: none of {', '.join(_shown(self.exclude))}"
                    return f"{self.name} {self.label}: no earlier rule matched"
                return f"{self.name} {self.label}: matches {g!r}"
        return None

    def matches(self, path: str) -> bool:
        return self.reason(path) is not None


def _shown(globs: tuple[str, ...], limit: int = 4) -> list[str]:
    """The first globs of a rule as they would be quoted in a reason, '...' when there are more."""
    return [repr(g) for g in globs[:limit]] + (["..."] if len(globs) > limit else [])


def _anywhere(*dirs: str) -> tuple[str, ...]:
    """Globs for a directory at the top or at any depth."""
    return tuple(g for d in dirs for g in (f"{d}/*", f"*/{d}/*"))


_TESTS = (*_anywhere("tests", "test"), "test_*.py", "*/test_*.py", "*_test.py", "conftest.py", "*/conftest.py")
_TOOLING = _anywhere("scripts", "tools", "examples", "docs", "benchmarks")
_VENDORED = (*_anywhere("vendor", "vendored", "third_party", "_vendor", "build", "dist", "site-packages"),
             "*_pb2.py", "*_pb2_grpc.py")

DEFAULT_TIERS: tuple[Tier, ...] = (
    Tier("P0", "mission critical", globs=_anywhere("mission_critical")),
    Tier("P1", "product code", globs=("*",), exclude=_TESTS + _TOOLING + _VENDORED,
         catch_all="not under a mission_critical, test, tooling or vendored directory"),
    Tier("P2", "tests", globs=_TESTS),
    Tier("P3", "tooling", globs=_TOOLING),
    Tier("P4", "the rest", globs=(*_VENDORED, "*")),
)


def load_tiers(path: str | None) -> tuple[Tier, ...]:
    """The shipped rules, or those in ``path`` (a catch-all P4 is added when none matches all)."""
    if not path:
        return DEFAULT_TIERS
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise BadConfig(path, exc.strerror or str(exc)) from None
    except tomllib.TOMLDecodeError as exc:
        raise BadConfig(path, str(exc)) from None
    except RecursionError:
        raise BadConfig(path, "nested too deeply to read") from None
    except UnicodeDecodeError as exc:
        raise BadConfig(path, f"not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    tiers = []
    for i, t in enumerate(data.get("tier", [])):
        if not isinstance(t, dict) or not isinstance(t.get("name"), str):
            raise BadConfig(path, f"tier {i + 1} needs a name")
        for key in ("keywords", "globs", "exclude"):
            if not isinstance(t.get(key, []), list) or not all(isinstance(v, str) for v in t.get(key, [])):
                raise BadConfig(path, f"tier {t['name']}: {key} must be a list of strings")
        tiers.append(Tier(t["name"], str(t.get("label", t["name"])), tuple(k.lower() for k in t.get("keywords", [])),
                          tuple(t.get("globs", [])), tuple(t.get("exclude", []))))
    if not tiers:
        raise BadConfig(path, "no [[tier]] tables")
    if not any("*" in t.globs for t in tiers):
        tiers.append(Tier("P4", "the rest", (), ("*",)))
    return tuple(tiers)


def tier_of(path: str, tiers: tuple[Tier, ...] = DEFAULT_TIERS) -> tuple[str, str]:
    """(tier name, label) of the first rule matching ``path``."""
    name, label, _ = tier_reason(path, tiers)
    return name, label


def tier_reason(path: str, tiers: tuple[Tier, ...] = DEFAULT_TIERS) -> tuple[str, str, str]:
    """(tier name, label, reason) of the first rule matching ``path``; the reason names the rule."""
    for t in tiers:
        why = t.reason(path)
        if why is not None:
            return t.name, t.label, why
    last = tiers[-1]
    return last.name, last.label, f"{last.name} {last.label}: no rule matched"
