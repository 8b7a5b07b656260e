"""Priority tiers: which damaged paths to save first. Rules map path globs and keywords to tiers
P0..P4; the first rule that matches wins. ``--priority-rules FILE.toml`` replaces the defaults::

    [[tier]]
    name = "P0"
    label = "golden path"
    keywords = ["websocket", "agent", "auth"]   # matched in the lower-cased path
    globs = ["tests/mission_critical/*golden*"]  # fnmatch over the whole path
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

    def matches(self, path: str) -> bool:
        low = path.lower()
        return any(k in low for k in self.keywords) or any(fnmatch.fnmatchcase(path, g) for g in self.globs)


DEFAULT_TIERS: tuple[Tier, ...] = (
    Tier("P0", "golden path", ("websocket", "agent", "auth")),
    Tier("P1", "SSOT compliance", ("ssot",)),
    Tier("P2", "infrastructure", ("database", "config", "security")),
    Tier("P3", "performance", ("load", "memory", "performance")),
    Tier("P4", "the rest", (), ("*",)),
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
        for key in ("keywords", "globs"):
            if not isinstance(t.get(key, []), list) or not all(isinstance(v, str) for v in t.get(key, [])):
                raise BadConfig(path, f"tier {t['name']}: {key} must be a list of strings")
        tiers.append(Tier(t["name"], str(t.get("label", t["name"])), tuple(k.lower() for k in t.get("keywords", [])),
                          tuple(t.get("globs", []))))
    if not tiers:
        raise BadConfig(path, "no [[tier]] tables")
    if not any("*" in t.globs for t in tiers):
        tiers.append(Tier("P4", "the rest", (), ("*",)))
    return tuple(tiers)


def tier_of(path: str, tiers: tuple[Tier, ...] = DEFAULT_TIERS) -> tuple[str, str]:
    """(tier name, label) of the first rule matching ``path``."""
    for t in tiers:
        if t.matches(path):
            return t.name, t.label
    return tiers[-1].name, tiers[-1].label
