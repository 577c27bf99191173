"""The e-ID push: a real stand-in e-ID server process, the outbox, retries and dead letters.

The stand-in (``python -m hocvu.credentials.eid_standin``) runs as a separate process on a
free port; the tests point ``HOCVU_EID_URL`` at it and read what it stored at ``/_received``.
Time is moved by passing ``now`` to ``process_outbox`` (no sleeping).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import random
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hocvu.credentials import eid
from hocvu.credentials.models import (
    Achievement,
    Credential,
    EidOutbox,
    IssuerKey,
    OutboxStatus,
    StatusList,
)
from tests.conftest import World

CLIENT_ID = "hocvu-test"
CLIENT_SECRET = "bí-mật:thử nghiệm"  # non-ASCII and a colon: Basic auth must encode them
SUBJECT_KEY = "khóa-chung-với-eid"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def standin_process() -> Iterator[str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hocvu.credentials.eid_standin",
            "--port",
            "0",
            "--client-id",
            CLIENT_ID,
            "--client-secret",
            CLIENT_SECRET,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("listening on http://"), line
        yield line.rsplit(" ", 1)[-1]
    finally:
        process.terminate()
        process.wait(timeout=10)


def call(
    base: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - the local stand-in
        base + path, data=data, method="GET" if body is None else "POST", headers=headers or {}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - the local stand-in
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture
def standin(standin_process: str, settings: Any) -> str:
    call(standin_process, "/_reset", {})
    settings.HOCVU_EID_URL = standin_process
    settings.HOCVU_EID_CLIENT_ID = CLIENT_ID
    settings.HOCVU_EID_CLIENT_SECRET = CLIENT_SECRET
    settings.HOCVU_EID_SUBJECT_KEY = SUBJECT_KEY
    settings.HOCVU_EID_TIMEOUT = 5.0
    return standin_process


def received(base: str) -> dict[str, Any]:
    return call(base, "/_received")[1]


_index = iter(range(10**6))


def make_credential(world: World, *, learner: Any = None, jwt: str = "eyJ.test.sig") -> Credential:
    """A stored certificate (the signing itself is tested elsewhere) and its outbox row."""
    learner = learner or world.learner
    key, _ = IssuerKey.objects.get_or_create(
        key_id="key-test", defaults={"public_key_multibase": "z6Mk", "private_key_encrypted": "-"}
    )
    status_list = StatusList.objects.first() or StatusList.objects.create(bits=bytes(16), size=128)
    program = world.module.program
    achievement, _ = Achievement.objects.get_or_create(
        program=program,
        role_profile=program.framework_version.role_profiles.get(code="commune_council"),
        defaults={"name": "Đạt chuẩn kỹ năng số – Đại biểu HĐND cấp xã", "criteria": "Đạt"},
    )
    now = timezone.now()
    credential = Credential.objects.create(
        learner=learner,
        achievement=achievement,
        issued_at=now,
        key=key,
        status_list=status_list,
        status_index=next(_index),
        document={"credentialSubject": {"name": learner.full_name}},
        jwt=jwt,
    )
    EidOutbox.objects.create(credential=credential, action="issue", next_attempt_at=now)
    return credential


def message(credential: Credential, action: str = "issue") -> EidOutbox:
    return EidOutbox.objects.get(credential=credential, action=action)


def drive(row: EidOutbox, rng: random.Random) -> dict[str, int]:
    """Run the sender at the moment ``row`` is next due."""
    row.refresh_from_db()
    return eid.process_outbox(now=row.next_attempt_at, rng=rng)


@pytest.mark.django_db
def test_a_certificate_is_delivered_exactly_once(world: World, standin: str) -> None:
    credential = make_credential(world)
    assert eid.process_outbox() == {"sent": 1, "retry": 0, "dead": 0, "deferred": 0}
    assert eid.process_outbox()["sent"] == 0  # a second run finds nothing due
    row = message(credential)
    assert row.status == OutboxStatus.SENT and row.attempts == 1 and row.sent_at
    got = received(standin)
    assert len(got["credentials"]) == 1
    body = got["credentials"][0]
    assert body["credential_id"] == str(credential.pk)
    assert body["holder_name"] == "Đặng Thị Mai"
    assert body["vc_jwt"] == "eyJ.test.sig"
    assert body["verify_url"].endswith(f"/verify/{credential.pk}/")
    assert body["achievement"]["id"] == f"urn:uuid:{credential.achievement.uid}"
    # The national ID never travels in clear, only a hash keyed with the shared secret.
    raw = json.dumps(body)
    assert "001190000001" not in raw
    expected = hmac.new(
        SUBJECT_KEY.encode(), b"hocvu-eid-citizen\x00001190000001", hashlib.sha256
    ).hexdigest()
    assert body["citizen_id_hash"] == expected


@pytest.mark.django_db
def test_without_a_shared_key_no_citizen_hash_is_sent(
    world: World, standin: str, settings: Any
) -> None:
    settings.HOCVU_EID_SUBJECT_KEY = ""
    make_credential(world)
    eid.process_outbox()
    assert "citizen_id_hash" not in received(standin)["credentials"][0]


@pytest.mark.django_db
@pytest.mark.parametrize("plan", [{"status": 503, "after_store": True}, {"drop": True}])
def test_a_retry_after_a_lost_answer_makes_no_duplicate(
    world: World, standin: str, plan: dict[str, Any]
) -> None:
    credential = make_credential(world)
    # The token request goes through; the credential is stored but its answer is lost.
    call(standin, "/_fail", {"count": 0})
    client = eid.EidClient.from_settings()
    assert client is not None
    client.token()
    call(standin, "/_fail", {**plan, "count": 1, "after_store": True})
    rng = random.Random(7)
    assert eid.process_outbox(client=client, rng=rng)["retry"] == 1
    row = message(credential)
    assert row.status == OutboxStatus.PENDING and row.attempts == 1 and row.last_error
    assert len(received(standin)["credentials"]) == 1  # it did arrive
    assert drive(row, rng)["sent"] == 1
    got = received(standin)
    assert len(got["credentials"]) == 1  # the retry was recognised by its idempotency key
    assert got["replayed"] == 1
    assert message(credential).status == OutboxStatus.SENT


@pytest.mark.django_db
def test_an_expired_token_is_refreshed_once(world: World, standin: str) -> None:
    first, second = make_credential(world), make_credential(world, learner=world.learner_b)
    client = eid.EidClient.from_settings()
    assert client is not None
    assert eid.process_outbox(client=client, ids=[message(first).pk])["sent"] == 1
    call(standin, "/_expire_tokens", {})
    assert eid.process_outbox(client=client, ids=[message(second).pk])["sent"] == 1
    got = received(standin)
    assert got["tokens_issued"] == 2 and len(got["credentials"]) == 2


@pytest.mark.django_db
def test_wrong_client_credentials_keep_messages_waiting(
    world: World, standin: str, settings: Any
) -> None:
    settings.HOCVU_EID_CLIENT_SECRET = "sai"
    credential = make_credential(world)
    assert eid.process_outbox()["retry"] == 1
    row = message(credential)
    assert row.status == OutboxStatus.PENDING and "401" in row.last_error


@pytest.mark.django_db
def test_while_the_e_id_is_down_retries_back_off_and_nothing_is_lost(
    world: World, standin: str
) -> None:
    credential = make_credential(world)
    call(standin, "/_fail", {"status": 503, "count": 10})
    rng = random.Random(3)
    row = message(credential)
    delays = []
    moment = timezone.now()
    for attempt in range(1, 11):
        counts = eid.process_outbox(now=moment, rng=rng)
        assert counts["retry"] == 1, counts
        row.refresh_from_db()
        assert row.status == OutboxStatus.PENDING and row.attempts == attempt
        assert "503" in row.last_error
        delays.append(row.next_attempt_at - moment)
        moment = row.next_attempt_at
    assert all(later > earlier for earlier, later in itertools.pairwise(delays))
    assert timedelta(seconds=48) <= delays[0] <= timedelta(minutes=1)
    assert delays[-1] <= eid.MAX_DELAY
    assert received(standin)["credentials"] == []
    # Before the next attempt is due, nothing is sent.
    early = eid.process_outbox(now=row.next_attempt_at - timedelta(seconds=1))
    assert early["sent"] == early["retry"] == 0
    # The e-ID side is back: the next due attempt delivers it, once.
    assert drive(row, rng)["sent"] == 1
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT and row.attempts == 11 and row.last_error == ""
    assert len(received(standin)["credentials"]) == 1


@pytest.mark.django_db
def test_retry_after_is_honoured(world: World, standin: str) -> None:
    credential = make_credential(world)
    call(standin, "/_fail", {"status": 429, "count": 1, "retry_after": 900})
    now = timezone.now()
    assert eid.process_outbox(now=now)["retry"] == 1
    assert message(credential).next_attempt_at - now >= timedelta(seconds=900)


@pytest.mark.django_db
def test_after_the_last_attempt_the_message_is_dead_until_an_operator_retries(
    world: World, standin: str
) -> None:
    credential = make_credential(world)
    call(standin, "/_fail", {"status": 502, "count": 1000})
    rng = random.Random(11)
    row = message(credential)
    eid.process_outbox(rng=rng)
    for _ in range(eid.MAX_ATTEMPTS - 1):
        drive(row, rng)
    row.refresh_from_db()
    assert row.status == OutboxStatus.DEAD and row.attempts == eid.MAX_ATTEMPTS
    assert row.next_attempt_at - row.created_at >= timedelta(hours=48)  # ~2 days of trying
    # A dead message is not picked up again by the sender.
    later = eid.process_outbox(now=timezone.now() + timedelta(days=30))
    assert later["sent"] == later["retry"] == later["dead"] == 0
    call(standin, "/_fail", {"count": 0})

    # A unit manager cannot see the outbox at all.
    manager = Client()
    manager.force_login(world.manager_a)
    changelist = reverse("admin:credentials_eidoutbox_changelist")
    assert manager.get(changelist).status_code in {302, 403}
    assert manager.post(
        changelist, {"action": "retry", "_selected_action": [row.pk]}
    ).status_code in {302, 403}
    row.refresh_from_db()
    assert row.status == OutboxStatus.DEAD

    # The administrator sees it in the dead-letter list and retries it now.
    admin = Client()
    admin.force_login(world.admin)
    listing = admin.get(changelist + "?status__exact=dead")
    assert listing.status_code == 200
    assert str(credential.pk) in listing.content.decode()
    response = admin.post(changelist, {"action": "retry", "_selected_action": [row.pk]})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT
    assert len(received(standin)["credentials"]) == 1


@pytest.mark.django_db
def test_a_request_the_e_id_refuses_is_dead_at_once(world: World, standin: str) -> None:
    credential = make_credential(world, jwt="")  # the stand-in requires vc_jwt: 422
    assert eid.process_outbox()["dead"] == 1
    row = message(credential)
    assert row.status == OutboxStatus.DEAD and row.attempts == 1 and "422" in row.last_error


@pytest.mark.django_db
def test_a_revocation_waits_for_its_certificate_and_follows_it(world: World, standin: str) -> None:
    credential = make_credential(world)
    credential.revoked_at = timezone.now()
    credential.revocation_reason = "Cấp nhầm"
    credential.save()
    revoke = EidOutbox.objects.create(
        credential=credential, action="revoke", next_attempt_at=timezone.now() - timedelta(hours=1)
    )
    first = eid.process_outbox(ids=[revoke.pk])
    assert first["deferred"] == 1
    assert eid.process_outbox()["sent"] == 1  # the certificate
    revoke.refresh_from_db()
    assert eid.process_outbox(now=revoke.next_attempt_at)["sent"] == 1
    got = received(standin)
    assert len(got["revocations"]) == 1
    assert got["revocations"][0]["reason"] == "Cấp nhầm"
    assert got["credentials"][0]["revoked"] is True


@pytest.mark.django_db
def test_without_an_address_nothing_is_sent_and_nothing_lost(world: World, settings: Any) -> None:
    settings.HOCVU_EID_URL = ""
    credential = make_credential(world)
    assert eid.process_outbox().get("unconfigured") == 1
    row = message(credential)
    assert row.status == OutboxStatus.PENDING and row.attempts == 0


@pytest.mark.django_db
def test_the_command_and_the_task_deliver(world: World, standin: str) -> None:
    make_credential(world)
    call_command("push_eid", "--limit", "10", stdout=open("/dev/null", "w"))  # noqa: SIM115
    make_credential(world, learner=world.learner_b)
    assert eid.push_eid.call(limit=10)["sent"] == 1
    assert len(received(standin)["credentials"]) == 2


def test_the_stand_in_honours_idempotency_keys(standin_process: str) -> None:
    base = standin_process
    call(base, "/_reset", {})
    import base64

    basic = base64.b64encode(
        f"{urllib.parse.quote(CLIENT_ID)}:{urllib.parse.quote(CLIENT_SECRET)}".encode()
    ).decode()
    request = urllib.request.Request(  # noqa: S310 - the local stand-in
        base + "/oauth/token",
        data=b"grant_type=client_credentials",
        headers={"Authorization": f"Basic {basic}"},
    )
    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - the local stand-in
        token = json.loads(answer.read())["access_token"]
    body = {
        "credential_id": str(uuid.uuid4()),
        "holder_name": "A",
        "achievement": {"id": "x"},
        "issued_at": "2026-01-01T00:00:00Z",
        "vc_jwt": "j",
    }
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k-1"}
    first = call(base, "/v1/credentials", body, headers)
    again = call(base, "/v1/credentials", body, headers)
    other = call(base, "/v1/credentials", {**body, "holder_name": "B"}, headers)
    assert first[0] == 201 and again == first
    assert other[0] == 409
    assert call(base, "/v1/credentials", body, {"Idempotency-Key": "k-2"})[0] == 401
    assert call(base, "/v1/credentials", body, {"Authorization": f"Bearer {token}"})[0] == 400
    assert len(received(base)["credentials"]) == 1


def test_backoff_grows_and_is_capped() -> None:
    rng = random.Random(5)
    assert timedelta(seconds=48) <= eid.backoff(1, rng) <= timedelta(minutes=1)
    assert timedelta(minutes=3.2) <= eid.backoff(3, rng) <= timedelta(minutes=4)
    assert eid.backoff(40, rng) <= eid.MAX_DELAY
    # The shortest possible time from the first attempt to the last: over two days.
    shortest = sum((_low(n) for n in range(1, eid.MAX_ATTEMPTS)), timedelta())
    assert shortest >= timedelta(hours=50)


def _low(n: int) -> timedelta:
    full: timedelta = min(eid.BASE_DELAY * 2 ** (n - 1), eid.MAX_DELAY)
    return full * eid.JITTER


@pytest.mark.django_db
def test_a_defect_while_sending_counts_as_a_failed_attempt(
    world: World, standin: str, monkeypatch: Any
) -> None:
    credential = make_credential(world)

    def broken(message: EidOutbox) -> Any:
        raise KeyError("achievement")

    monkeypatch.setattr(eid, "payload", broken)
    assert eid.process_outbox()["retry"] == 1
    row = message(credential)
    assert row.status == OutboxStatus.PENDING and row.attempts == 1
    assert "KeyError" in row.last_error
