"""Verification is rate-limited per client on the cache: every test starts with fresh
counters (the test client always comes from the same address)."""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()
