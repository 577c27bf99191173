"""Settings read from the environment: refuse what they do not understand."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from hocvu import settings as hocvu_settings

ROOT = Path(hocvu_settings.BASE_DIR)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("true", True), ("Yes", True), (" on ", True), ("0", False), ("off", False)],
)
def test_env_bool_reads_the_usual_spellings(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    monkeypatch.setenv("HOCVU_TEST_FLAG", value)
    assert hocvu_settings.env_bool("HOCVU_TEST_FLAG", not expected) is expected


def test_env_bool_keeps_the_default_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOCVU_TEST_FLAG", raising=False)
    assert hocvu_settings.env_bool("HOCVU_TEST_FLAG", True) is True


@pytest.mark.parametrize("value", ["ture", "enabled", "2", "y e s"])
def test_env_bool_refuses_a_value_it_does_not_understand(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("HOCVU_TEST_FLAG", value)
    with pytest.raises(ImproperlyConfigured, match="HOCVU_TEST_FLAG"):
        hocvu_settings.env_bool("HOCVU_TEST_FLAG", False)


def _settings_in_subprocess(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "hocvu.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_misspelt_debug_flag_stops_the_start() -> None:
    result = _settings_in_subprocess({"HOCVU_DEBUG": "treu"}, "import hocvu.settings")
    assert result.returncode != 0
    assert "HOCVU_DEBUG" in result.stderr


def test_redis_url_selects_the_redis_cache_and_its_client_is_installed() -> None:
    code = (
        "import django; django.setup();"
        "from django.conf import settings; from django.core.cache import cache;"
        "print(settings.CACHES['default']['BACKEND']); import redis; print('client ok')"
    )
    result = _settings_in_subprocess({"REDIS_URL": "redis://127.0.0.1:6390/0"}, code)
    assert result.returncode == 0, result.stderr
    assert "django.core.cache.backends.redis.RedisCache" in result.stdout
    assert "client ok" in result.stdout


def test_the_redis_cache_stores_and_reads_when_a_server_answers() -> None:
    redis = pytest.importorskip("redis")
    url = os.environ.get("HOCVU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis server at {url}")
    code = (
        "import django; django.setup(); from django.core.cache import cache;"
        "cache.set('hocvu-settings-test', 'xin chào', 30);"
        "print(cache.get('hocvu-settings-test'))"
    )
    result = _settings_in_subprocess({"REDIS_URL": url}, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "xin chào"
