"""The built-in senders: e-mail through Django's e-mail backend, SMS and Zalo through the
HTTP gateway contract of docs/messaging.md."""

from __future__ import annotations

import json
import smtplib
import urllib.error
import urllib.request
from http.client import HTTPException
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from hocvu.messaging.delivery import register_sender
from hocvu.messaging.models import Channel, Message
from hocvu.messaging.outbox import PermanentError, RetryableError

#: HTTP statuses after which the same request may succeed later.
RETRYABLE_STATUSES = frozenset({401, 408, 425, 429}) | frozenset(range(500, 600))


def send_email(message: Message) -> None:
    """Hand one e-mail to the configured backend; the Message-ID is stable across retries."""
    domain = (getattr(settings, "DEFAULT_FROM_EMAIL", "") or "hocvu.local").rpartition("@")[2]
    domain = domain.strip(">").strip() or "hocvu.local"
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        headers={"Message-ID": f"<{message.idempotency_key}@{domain}>"},
    )
    try:
        connection = get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT)
        email.connection = connection
        email.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        if all(400 <= code < 500 for code in codes):
            raise RetryableError(f"recipient deferred: {codes}") from error
        raise PermanentError(f"recipient refused: {codes}") from error
    except smtplib.SMTPResponseException as error:
        text = f"SMTP {error.smtp_code}: {error.smtp_error!r}"
        if 400 <= error.smtp_code < 500 or error.smtp_code in (421,):
            raise RetryableError(text) from error
        raise PermanentError(text) from error
    except (TimeoutError, smtplib.SMTPException, OSError) as error:
        raise RetryableError(f"SMTP unreachable: {type(error).__name__}: {error}") from error


def _gateway(channel: str) -> tuple[str, str]:
    prefix = "HOCVU_SMS" if channel == Channel.SMS else "HOCVU_ZALO"
    url = str(getattr(settings, f"{prefix}_URL", "") or "").rstrip("/")
    token = str(getattr(settings, f"{prefix}_TOKEN", "") or "")
    return url, token


def gateway_body(message: Message) -> dict[str, Any]:
    """The JSON body of ``POST /v1/messages`` (docs/messaging.md)."""
    body: dict[str, Any] = {
        "message_id": str(message.idempotency_key),
        "channel": message.channel,
        "to": message.recipient,
        "text": message.body,
    }
    template = message.payload.get("template") if isinstance(message.payload, dict) else None
    if template:
        body["template"] = str(template)
        body["params"] = dict(message.payload.get("params") or {})
    return body


def post_json(
    url: str, body: dict[str, Any], *, token: str, idempotency_key: str, timeout: float
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """POST JSON with a bearer token; answer (status, JSON body, lower-cased headers)."""
    if not url.startswith(("http://", "https://")):
        raise RetryableError("gateway URL must be an http(s) URL")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url,
        data=json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8"),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "Idempotency-Key": idempotency_key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310  # nosec B310
            status, raw, headers = answer.status, answer.read(), dict(answer.headers)
    except urllib.error.HTTPError as error:
        status, raw, headers = error.code, error.read(), dict(error.headers or {})
    except (urllib.error.URLError, HTTPException, OSError, TimeoutError) as error:
        reason = getattr(error, "reason", error)
        raise RetryableError(f"gateway unreachable: {reason}") from error
    try:
        parsed = json.loads(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        parsed = {"raw": raw[:200].decode("utf-8", "replace")}
    if not isinstance(parsed, dict):
        parsed = {"value": parsed}
    return status, parsed, {k.lower(): v for k, v in headers.items()}


def send_via_gateway(message: Message) -> None:
    url, token = _gateway(message.channel)
    timeout = float(getattr(settings, "HOCVU_GATEWAY_TIMEOUT", 10.0))
    status, body, headers = post_json(
        url + "/v1/messages",
        gateway_body(message),
        token=token,
        idempotency_key=str(message.idempotency_key),
        timeout=timeout,
    )
    if status in (200, 201, 202):
        return
    detail = str(body.get("detail") or body.get("error") or body)[:500]
    retry_after = headers.get("retry-after", "").strip()
    kwargs: dict[str, Any] = {"status": status}
    if retry_after.isdigit():
        kwargs["retry_after"] = float(retry_after)
    text = f"{message.channel} gateway answered {status}: {detail}"
    if status in RETRYABLE_STATUSES:
        raise RetryableError(text, **kwargs)
    raise PermanentError(text, **kwargs)


def email_configured() -> bool:
    """SMTP needs an explicit server; any other backend (console, locmem in tests) works."""
    smtp = settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
    return bool(getattr(settings, "HOCVU_EMAIL_CONFIGURED", False)) or not smtp


def register_builtin() -> None:
    register_sender(Channel.EMAIL, send_email, configured=email_configured)
    for channel in (Channel.SMS, Channel.ZALO):
        register_sender(
            channel,
            send_via_gateway,
            configured=lambda channel=channel: bool(_gateway(channel)[0]),  # type: ignore[misc]
        )
