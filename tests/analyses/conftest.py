"""Fixtures of the analyses' tests: one scan of the realistic incident, shared by their modules."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def realistic_scanned(realistic):
    """A scan of the realistic incident at HEAD (no cache)."""
    from forensics import scan

    return scan(realistic["repo"], cache=False, progress=False)
