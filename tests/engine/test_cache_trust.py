"""Nothing in the cache is trusted for being there: a part planted by someone else, copied from
another cache, or carrying a seal made without this cache's key is deleted, rebuilt and said once;
a cache whose key is not the user's own secret is left out of the run."""
from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import pandas as pd
import pytest

from forensics import scan


def _forged_part(cache: Path, truth_scan) -> tuple[Path, str]:
    """A part that calls one damaged version healthy, named to sort after the real ones."""
    real = next(cache.glob("*/versions-*/part-*.parquet"))
    versions = pd.read_parquet(real)
    blob = truth_scan.subjects.loc[truth_scan.subjects["state"] == "broken", "blob"].iloc[0]
    forged = versions[versions["blob"] == blob].copy()
    forged["state"], forged["compiles"], forged["error_kind"] = "healthy", True, ""
    part = real.with_name("part-99999999999999999999-1-forged.parquet")
    forged.to_parquet(part, index=False)
    return part, blob


def _state_of(result, blob: str) -> str:
    return result.versions.set_index("blob").loc[blob, "state"]


@pytest.mark.parametrize("seal", ["none", "unkeyed sha256", "another cache's"])
def test_a_planted_part_is_deleted_rebuilt_and_said_once(repo, tmp_path, capsys, seal):
    cache = tmp_path / "cache"
    first = scan(repo, cache=cache, progress=False)
    part, blob = _forged_part(cache, first)
    if seal == "unkeyed sha256":
        part.with_name(part.name + ".mac").write_text(hashlib.sha256(part.read_bytes()).hexdigest())
    elif seal == "another cache's":                       # sealed with the key of a cache the attacker owns
        other = tmp_path / "other"
        scan(repo, cache=other, progress=False)
        key = (other / ".forensics-key").read_bytes()
        part.with_name(part.name + ".mac").write_text(hmac.new(key, part.read_bytes(), hashlib.sha256).hexdigest())
    capsys.readouterr()
    again = scan(repo, rev="sim/after-fixer", cache=cache, progress=False)
    err = capsys.readouterr().err
    assert _state_of(again, blob) == _state_of(first, blob) != "healthy"
    assert not part.exists()
    assert len([line for line in err.splitlines() if "integrity check" in line]) == 1
    assert again.manifest["cache_rejected"] == 1


def test_a_part_owned_by_another_user_is_not_read(repo, tmp_path, capsys):
    if os.getuid() != 0:
        pytest.skip("making a file another user's needs root")
    cache = tmp_path / "cache"
    first = scan(repo, cache=cache, progress=False)
    real = next(cache.glob("*/versions-*/part-*.parquet"))
    os.chown(real, 65534, 65534)
    capsys.readouterr()
    again = scan(repo, rev="sim/after-fixer", cache=cache, progress=False)
    assert "integrity check" in capsys.readouterr().err and not real.exists()
    assert again.manifest["versions_judged"] > 0


def test_a_key_others_can_read_leaves_the_cache_out(repo, tmp_path, capsys):
    cache = tmp_path / "cache"
    scan(repo, cache=cache, progress=False)
    (cache / ".forensics-key").chmod(0o644)
    capsys.readouterr()
    result = scan(repo, cache=cache, progress=False)
    assert not result.manifest["from_cache"] and "cache key" in (result.manifest["cache_problem"] or "")
    assert len([line for line in capsys.readouterr().err.splitlines() if "did not use the cache" in line]) == 1
