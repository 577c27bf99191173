"""Push certificates to the national e-ID platform through the outbox.

Issuing or revoking a certificate writes an :class:`~hocvu.credentials.models.EidOutbox`
row in the same transaction, so nothing is lost when the e-ID side is down. This module
delivers those rows over the HTTP contract of ``docs/eid-contract.md``:

* an OAuth2 client-credentials token (``POST /oauth/token``, client id and secret in HTTP
  Basic), cached until shortly before it expires and refreshed once on a 401;
* ``POST /v1/credentials`` (issue) or ``POST /v1/credentials/<id>/revocation`` (revoke),
  each with ``Idempotency-Key: <outbox.idempotency_key>`` so a retry after a lost answer
  never creates a second record.

:func:`process_outbox` runs the shared outbox mechanism of ``hocvu.messaging.outbox`` (the
same claim, backoff, dead letters and operator retry as every outgoing message) over the
e-ID rows: it takes the due pending rows, sends them and marks them sent; a failure
that may heal (network error, timeout, 401 twice, 404 on a revocation, 408, 425, 429, 5xx)
schedules the next attempt after ``1 min x 2^(n-1)`` (capped at 6 hours, with jitter) and
after :data:`MAX_ATTEMPTS` attempts (at least 50 hours of trying) the row becomes *dead*:
an operator looks at ``last_error`` and retries it from the admin. Answers that retrying
cannot fix (400, 403, 409, 422...) make the row dead at once.

The national ID number never leaves in clear: when ``HOCVU_EID_SUBJECT_KEY`` (a secret shared
with the e-ID operator) is set, ``citizen_id_hash`` carries HMAC-SHA256 of the normalized
number under that key; otherwise the field is left out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.client import HTTPException
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from hocvu.credentials.models import Credential, EidOutbox, OutboxStatus
from hocvu.messaging import outbox

# The e-ID push's schedule is the shared one, re-exported (``X as X``) under its old names.
from hocvu.messaging.outbox import BASE_DELAY as BASE_DELAY
from hocvu.messaging.outbox import JITTER as JITTER
from hocvu.messaging.outbox import LEASE as LEASE
from hocvu.messaging.outbox import MAX_ATTEMPTS as MAX_ATTEMPTS
from hocvu.messaging.outbox import MAX_DELAY as MAX_DELAY
from hocvu.messaging.outbox import DeliveryError
from hocvu.messaging.outbox import backoff as backoff

logger = logging.getLogger(__name__)

#: Statuses after which the same request may succeed later.
RETRYABLE_STATUSES = frozenset({401, 408, 425, 429}) | frozenset(range(500, 600))
#: Seconds before expiry at which a cached token is renewed.
TOKEN_MARGIN = 30.0


class EidError(DeliveryError):
    """A delivery failed; ``retryable`` says whether trying again later may help."""

    def __init__(self, message: str, *, retryable: bool, status: int | None = None) -> None:
        super().__init__(message, retryable=retryable, status=status)


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


def citizen_id_hash(national_id: str) -> str | None:
    """Keyed hash of a national ID number for the e-ID side, or None without a shared key."""
    key = getattr(settings, "HOCVU_EID_SUBJECT_KEY", "")
    number = "".join(ch for ch in (national_id or "") if ch.isalnum()).upper()
    if not key or not number:
        return None
    mac = hmac.new(key.encode(), b"hocvu-eid-citizen\x00" + number.encode(), hashlib.sha256)
    return mac.hexdigest()


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def _holder_name(credential: Credential) -> str:
    """The name as written in the signed credential (stable across retries)."""
    subject = (credential.document or {}).get("credentialSubject") or {}
    if not isinstance(subject, dict):
        return credential.learner.full_name
    name = subject.get("name")
    for identifier in subject.get("identifier") or []:
        if (
            isinstance(identifier, dict)
            and identifier.get("identityType") == "name"
            and not identifier.get("hashed")
        ):
            name = name or identifier.get("identityHash")
    return str(name or credential.learner.full_name)


def _verify_url(credential: Credential) -> str:
    try:
        from hocvu.credentials import services

        return services.credential_url(credential)
    except (ImportError, AttributeError):  # the URL is also derivable from the id
        return f"{settings.PUBLIC_URL}/verify/{credential.pk}/"


def payload(message: EidOutbox) -> tuple[str, dict[str, Any]]:
    """The request path and JSON body of one outbox message (see docs/eid-contract.md)."""
    credential = message.credential
    if message.action == "revoke":
        return f"/v1/credentials/{credential.pk}/revocation", {
            "credential_id": str(credential.pk),
            "revoked_at": _iso(credential.revoked_at),
            "reason": credential.revocation_reason,
        }
    achievement = credential.achievement
    body: dict[str, Any] = {
        "credential_id": str(credential.pk),
        "holder_name": _holder_name(credential),
        "achievement": {
            "id": f"urn:uuid:{achievement.uid}",
            "name": achievement.name,
            "name_en": achievement.name_en,
        },
        "issued_at": _iso(credential.issued_at),
        "valid_until": _iso(credential.valid_until),
        "vc_jwt": credential.jwt,
        "verify_url": _verify_url(credential),
    }
    hashed = citizen_id_hash(getattr(credential.learner, "national_id", "") or "")
    if hashed:
        body["citizen_id_hash"] = hashed
    return "/v1/credentials", body


@dataclass
class EidClient:
    """HTTP client of the e-ID platform (stdlib only), with a cached access token."""

    base_url: str
    client_id: str
    client_secret: str
    timeout: float = 10.0
    _token: str | None = field(default=None, repr=False)
    _token_expires: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_settings(cls) -> EidClient | None:
        url = getattr(settings, "HOCVU_EID_URL", "")
        if not url:
            return None
        return cls(
            base_url=url.rstrip("/"),
            client_id=getattr(settings, "HOCVU_EID_CLIENT_ID", ""),
            client_secret=getattr(settings, "HOCVU_EID_CLIENT_SECRET", ""),
            timeout=float(getattr(settings, "HOCVU_EID_TIMEOUT", 10.0)),
        )

    def _request(
        self, method: str, path: str, *, data: bytes | None, headers: dict[str, str]
    ) -> Reply:
        if not self.base_url.startswith(("http://", "https://")):
            raise EidError("HOCVU_EID_URL must be an http(s) URL", retryable=True)
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            self.base_url + path, data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310  # nosec B310
                status, raw, reply_headers = answer.status, answer.read(), dict(answer.headers)
        except urllib.error.HTTPError as error:
            status, raw, reply_headers = error.code, error.read(), dict(error.headers or {})
        except (urllib.error.URLError, HTTPException, OSError, TimeoutError) as error:
            reason = getattr(error, "reason", error)
            raise EidError(f"e-ID unreachable: {reason}", retryable=True) from error
        try:
            body = json.loads(raw.decode("utf-8")) if raw else {}
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = {"raw": raw[:200].decode("utf-8", "replace")}
        if not isinstance(body, dict):
            body = {"value": body}
        return Reply(status, body, {k.lower(): v for k, v in reply_headers.items()})

    def token(self, *, refresh: bool = False) -> str:
        with self._lock:
            if not refresh and self._token and time.monotonic() < self._token_expires:
                return self._token
            basic = base64.b64encode(
                f"{urllib.parse.quote(self.client_id)}:{urllib.parse.quote(self.client_secret)}".encode()
            ).decode()
            reply = self._request(
                "POST",
                "/oauth/token",
                data=urllib.parse.urlencode({"grant_type": "client_credentials"}).encode(),
                headers={
                    "Authorization": f"Basic {basic}",
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": "application/json",
                },
            )
            token = reply.body.get("access_token")
            if reply.status != 200 or not isinstance(token, str):
                detail = reply.body.get("error") or reply.body
                # Wrong client credentials need the operator to fix the settings; the
                # messages wait (and back off) meanwhile rather than die.
                raise _error(f"token endpoint answered {reply.status}: {detail}", reply, True)
            lifetime = float(reply.body.get("expires_in") or 300)
            self._token = token
            self._token_expires = time.monotonic() + max(0.0, lifetime - TOKEN_MARGIN)
            return token

    def post(self, path: str, body: dict[str, Any], *, idempotency_key: str) -> Reply:
        """POST ``body``; on a 401 fetch a new token and try exactly once more."""
        data = json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")
        reply: Reply | None = None
        for refresh in (False, True):
            headers = {
                "Authorization": f"Bearer {self.token(refresh=refresh)}",
                "Content-Type": "application/json; charset=utf-8",
                "Accept": "application/json",
                "Idempotency-Key": idempotency_key,
            }
            reply = self._request("POST", path, data=data, headers=headers)
            if reply.status != 401:
                break
        assert reply is not None
        return reply

    def deliver(self, message: EidOutbox) -> Reply:
        """Send one message; raise :class:`EidError` unless the e-ID side accepted it."""
        path, body = payload(message)
        reply = self.post(path, body, idempotency_key=str(message.idempotency_key))
        if reply.status in (200, 201):
            return reply
        detail = reply.body.get("detail") or reply.body.get("error") or reply.body
        retryable = reply.status in RETRYABLE_STATUSES or (
            reply.status == 404 and message.action == "revoke"
        )
        raise _error(f"e-ID answered {reply.status}: {detail}", reply, retryable)


def _error(message: str, reply: Reply, retryable: bool) -> EidError:
    error = EidError(message, retryable=retryable, status=reply.status)
    retry_after = reply.headers.get("retry-after", "").strip()
    if retry_after.isdigit():
        error.retry_after = float(retry_after)
    return error


def _issue_pending(message: EidOutbox) -> bool:
    """A revocation waits until the issue message of its credential is delivered."""
    if message.action != "revoke":
        return False
    return (
        EidOutbox.objects.filter(credential_id=message.credential_id, action="issue")
        .exclude(status=OutboxStatus.SENT)
        .exists()
    )


def process_outbox(
    limit: int = 100,
    *,
    client: EidClient | None = None,
    now: datetime | None = None,
    ids: Iterable[int] | None = None,
    rng: random.Random | None = None,
) -> dict[str, int]:
    """Deliver up to ``limit`` due messages; return counts of sent/retry/dead/deferred.

    Without ``HOCVU_EID_URL`` nothing is sent and the rows wait (``{"unconfigured": 1}``).
    ``now`` and ``rng`` exist for tests that move the clock.
    """
    client = client or EidClient.from_settings()
    if client is None:
        return {"sent": 0, "retry": 0, "dead": 0, "deferred": 0, "unconfigured": 1}
    sender = client

    def send(message: EidOutbox) -> None:
        if _issue_pending(message):
            raise outbox.Deferred(BASE_DELAY)
        sender.deliver(message)

    def reload(message: EidOutbox) -> EidOutbox:
        return EidOutbox.objects.select_related(
            "credential__learner", "credential__achievement"
        ).get(pk=message.pk)

    return outbox.process(EidOutbox, send, limit=limit, now=now, ids=ids, rng=rng, reload=reload)


def retry_now(messages: Iterable[EidOutbox], *, send: bool = True) -> dict[str, int]:
    """An operator's "retry now": put dead (or waiting) messages back at the head of the
    queue with a fresh attempt count, and try them at once when ``send``. The idempotency
    key is kept, so the e-ID side still recognises a message it already stored."""
    ids = [m.pk for m in messages if m.status != OutboxStatus.SENT]
    outbox.requeue(EidOutbox, ids)
    if not send or not ids:
        return {"requeued": len(ids)}
    return {"requeued": len(ids), **process_outbox(limit=len(ids), ids=ids, now=timezone.now())}


@task()
def push_eid(limit: int = 100) -> dict[str, int]:
    """Background task: deliver due e-ID outbox messages (``push_eid.enqueue()``)."""
    return process_outbox(limit=limit)
