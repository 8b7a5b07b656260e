"""The scan's options as one frozen value, and the cache's entries as named fields."""
from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from forensics.engine.cache import CachedAncestor, CachedScan, ScanCache
from forensics.engine.scan import ScanOptions, scan

PLACEHOLDER = r'"formatted_string"'


def test_options_given_as_one_value_scan_as_the_same_keywords(repo):
    options = ScanOptions(markers=[PLACEHOLDER], cache=False, progress=False)
    by_value = scan(repo, options=options)
    by_keywords = scan(repo, markers=[PLACEHOLDER], cache=False, progress=False)
    assert options.markers == (PLACEHOLDER,)
    assert by_value.settings == by_keywords.settings and by_value.settings.markers == (PLACEHOLDER,)
    assert by_value.manifest["settings_key"] == by_keywords.manifest["settings_key"]
    key = ["sha", "path", "event"]
    pd.testing.assert_frame_equal(by_value.events[key], by_keywords.events[key])
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.jobs = 4  # type: ignore[misc]


def test_options_given_both_ways_are_refused(repo):
    with pytest.raises(TypeError, match="not both"):
        scan(repo, cache=False, progress=False, options=ScanOptions(cache=False))


def test_the_cache_names_a_stored_scan_and_the_ancestor_it_grows_from(repo, tmp_path):
    early = scan(repo, rev="sim/after-fixer", cache=tmp_path, progress=False)
    late = scan(repo, cache=tmp_path, progress=False)
    store = ScanCache(tmp_path, late.repo.common_dir)
    key = late.manifest["settings_key"]
    found = store.ancestors_of(late.repo, late.rev_sha, key)
    assert found == CachedAncestor(early.rev_sha, found.manifest) and found.manifest["rev_sha"] == early.rev_sha
    cached = store.load_scan(late.rev_sha, key)
    assert isinstance(cached, CachedScan) and cached.rev_sha == late.rev_sha
    assert cached.manifest["stored_as_delta_of"] == early.rev_sha   # stored as a delta, loaded whole
    assert cached.commit_shas == set(late.commits["sha"]) and len(cached.tables["changes"]) == len(late.changes)
