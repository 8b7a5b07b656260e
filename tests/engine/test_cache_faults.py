"""A cache that cannot be used never ends a command: the scan runs without it and says so once; a
damaged part is dropped and rebuilt; concurrent scans never overwrite each other's parts."""
from __future__ import annotations

import os
import threading

import pytest

from forensics import scan
from forensics.engine import cache as cache_module
from forensics.engine.cache import ScanCache


def _warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if "cache" in line]


def test_a_file_where_the_cache_should_be_runs_without_the_cache_and_says_so_once(repo, incident, tmp_path, capsys):
    blocker = tmp_path / "cache"
    blocker.write_text("not a directory")
    result = scan(repo, cache=blocker, progress=False)
    assert result.manifest["damaged_now"] == incident["counts"]["damaged_at_head"]
    assert result.manifest["cache_problem"] and str(blocker) in result.manifest["cache_problem"]
    assert len(_warnings(capsys.readouterr().err)) == 1
    assert blocker.read_text() == "not a directory"


def test_a_full_disk_runs_without_the_cache_and_says_so_once(repo, incident, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FORENSICS_FAULT", "cache_full:1")  # the first cache write fails with ENOSPC
    result = scan(repo, cache=tmp_path / "cache", progress=False)
    assert result.manifest["damaged_now"] == incident["counts"]["damaged_at_head"]
    assert "No space left on device" in result.manifest["cache_problem"]
    assert len(_warnings(capsys.readouterr().err)) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_cache_runs_without_the_cache(repo, tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        result = scan(repo, cache=ro, progress=False)
        assert result.manifest["cache_problem"]
        assert len(_warnings(capsys.readouterr().err)) == 1
    finally:
        ro.chmod(0o700)


def test_a_truncated_part_is_dropped_and_rebuilt_not_disabled_for_good(repo, tmp_path):
    first = scan(repo, cache=tmp_path, progress=False)
    parts = list(tmp_path.glob("*/versions-*/part-*.parquet"))
    assert len(parts) == 1
    data = parts[0].read_bytes()
    parts[0].write_bytes(data[: len(data) // 2])          # a crash or a full disk mid-write elsewhere
    rebuilt = scan(repo, cache=tmp_path, progress=False)
    assert rebuilt.manifest["versions_judged"] == first.manifest["versions_judged"]  # judged again, once
    again = scan(repo, cache=tmp_path, progress=False)
    assert again.manifest["from_cache"]                    # and the cache serves the next scan
    assert set(again.versions["blob"]) == set(first.versions["blob"])


def test_two_scans_saving_at_the_same_moment_keep_both_parts(scanned, tmp_path, monkeypatch):
    """Two scans of different revisions that both decide a part's name before either writes."""
    barrier = threading.Barrier(2, timeout=30)
    write = cache_module._write_atomic

    def write_together(df, target, key):
        barrier.wait()
        write(df, target, key)

    monkeypatch.setattr(cache_module, "_write_atomic", write_together)
    versions = scanned.versions
    halves = [versions.iloc[: len(versions) // 2], versions.iloc[len(versions) // 2:]]
    stores = [ScanCache(tmp_path, scanned.repo.common_dir) for _ in halves]
    threads = [threading.Thread(target=s.save_versions, args=("fp", h)) for s, h in zip(stores, halves)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    loaded = ScanCache(tmp_path, scanned.repo.common_dir).load_versions("fp")
    assert loaded is not None and set(loaded["blob"]) == set(versions["blob"])
