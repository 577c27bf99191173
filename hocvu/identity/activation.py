"""Account activation for imported people (who have no usable password yet).

A manager issues a token per person; the person receives a letter (PDF) or a message with

* a long random token inside the activation URL (``/activate/<token>/``): 256 bits, so it
  cannot be guessed, and
* a short code (``ABCD-EFGH``) to type with their username at ``/activate/`` when a QR
  code or link is not at hand. A short code is guessable on its own, so it is only ever
  accepted together with the username, and the token locks after
  :data:`MAX_CODE_FAILURES` wrong codes (per-IP limits sit on top, in the view).

Only hashes are stored. A token is one-time, expires (30 days by default), and issuing a
new one for a person revokes the older ones (a reprinted letter replaces the first).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from hocvu.audit.services import record
from hocvu.identity.models import ActivationToken, User
from hocvu.messaging.services import MessageRejected, enqueue, normalize_recipient

#: Letters and digits that cannot be confused when read from paper (no 0/O, 1/I/L, 5/S...).
CODE_ALPHABET = "ABCDEFGHJKMNPQRTUVWXY346789"
CODE_LENGTH = 8
#: Wrong short codes after which a token is locked (a new letter is needed).
MAX_CODE_FAILURES = 5
DEFAULT_TTL = timedelta(days=30)
EMAIL_BODY = gettext_noop(
    "Dear %(name)s,\n\nAn account on the digital literacy learning platform has been created "
    "for you.\n\nUsername: %(username)s\nActivation code: %(code)s\n\nOpen this link to set "
    "your password (valid for %(days)s days, once):\n%(url)s\n\nDo not share this message."
)


class ActivationError(Exception):
    """The token or code cannot activate an account; ``reason`` names why."""

    MESSAGES = {
        "unknown": "This activation link or code is not valid.",
        "used": "This activation link has already been used. Log in with your password.",
        "expired": "This activation link has expired. Ask your unit manager for a new letter.",
        "revoked": "This activation link was replaced by a newer letter.",
        "locked": "Too many wrong codes. Ask your unit manager for a new letter.",
    }

    def __init__(self, reason: str) -> None:
        super().__init__(self.MESSAGES[reason])
        self.reason = reason

    @property
    def message(self) -> str:
        return _(self.MESSAGES[self.reason])


def _digest(kind: str, value: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"hocvu-activation-{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()


def token_hash(token: str) -> str:
    return _digest("token", token)


def activation_code(token: str) -> str:
    """The short code printed beside a token (derived from it, so it needs no storage)."""
    raw = hmac.new(settings.SECRET_KEY.encode(), b"code\x00" + token.encode(), hashlib.sha256)
    number = int.from_bytes(raw.digest(), "big")
    chars = []
    for _i in range(CODE_LENGTH):
        number, index = divmod(number, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[index])
    code = "".join(chars)
    return f"{code[:4]}-{code[4:]}"


def normalize_code(code: str) -> str:
    """Upper case, spaces and dashes dropped (as a reader types it from paper)."""
    cleaned = "".join(ch for ch in (code or "").upper()[:32] if ch.isalnum())
    return f"{cleaned[:4]}-{cleaned[4:]}" if len(cleaned) == CODE_LENGTH else cleaned


def _code_hash(user_id: int, code: str) -> str:
    return _digest("code", f"{user_id}:{normalize_code(code)}")


def activation_url(token: str) -> str:
    return f"{settings.PUBLIC_URL}/activate/{token}/"


def issue_tokens(
    people: Iterable[User], *, actor: Any, ttl: timedelta = DEFAULT_TTL
) -> dict[int, str]:
    """Issue one activation token per person; return ``{person id: token}``.

    Older unused tokens of these people are revoked. The caller has authorized ``actor``
    over every person (``access.people_for(actor, "person.manage")``).
    """
    now = timezone.now()
    tokens: dict[int, str] = {}
    with transaction.atomic():
        persons = list(people)
        ids = [p.pk for p in persons]
        ActivationToken.objects.filter(
            user_id__in=ids, used_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now)
        rows = []
        for person in persons:
            token = secrets.token_urlsafe(32)
            tokens[person.pk] = token
            rows.append(
                ActivationToken(
                    user=person,
                    token_hash=token_hash(token),
                    code_hash=_code_hash(person.pk, activation_code(token)),
                    created_at=now,
                    expires_at=now + ttl,
                    created_by=actor if getattr(actor, "is_authenticated", False) else None,
                )
            )
        ActivationToken.objects.bulk_create(rows, batch_size=1000)
        record(
            "identity.activation.issue",
            actor=actor,
            object_type="identity.user",
            object_id=",".join(str(i) for i in ids)[:200],
            data={"count": len(ids), "ttl_days": ttl.days},
        )
    return tokens


def _usable(row: ActivationToken | None) -> ActivationToken:
    if row is None:
        raise ActivationError("unknown")
    if row.used_at is not None:
        raise ActivationError("used")
    if row.revoked_at is not None:
        raise ActivationError("revoked")
    if row.failed_attempts >= MAX_CODE_FAILURES:
        raise ActivationError("locked")
    if row.expires_at <= timezone.now():
        raise ActivationError("expired")
    return row


def check_token(token: str) -> ActivationToken:
    """The usable token row for ``token``, or :class:`ActivationError`."""
    if not token or len(token) > 100:
        raise ActivationError("unknown")
    row = ActivationToken.objects.select_related("user").filter(token_hash=token_hash(token))
    return _usable(row.first())


def _complete(row: ActivationToken, password: str) -> User:
    """Set the password and spend the token (the row is locked by the caller)."""
    user = row.user
    if not user.is_active:  # deactivated since the letter was printed
        raise ActivationError("unknown")
    validate_password(password, user)  # django.core.exceptions.ValidationError
    now = timezone.now()
    spent = ActivationToken.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now)
    if not spent:  # another request used it first
        raise ActivationError("used")
    user.set_password(password)
    user.save(update_fields=["password"])
    record(
        "identity.activation.use",
        actor=user,
        obj=user,
        unit_path=user.unit.path if user.unit is not None else "",
        data={"token": row.pk},
    )
    return user


def activate(token: str, password: str) -> User:
    """Set ``password`` for the token's person and spend the token; return the person.

    Raises :class:`ActivationError` for an unknown, used, revoked, locked or expired token,
    and Django's ``ValidationError`` when the password fails the password validators.
    """
    with transaction.atomic():
        row = check_token(token)
        row = (
            ActivationToken.objects.select_for_update(of=("self",))
            .select_related("user__unit")
            .get(pk=row.pk)
        )
        return _complete(_usable(row), password)


def activate_with_code(username: str, code: str, password: str) -> User:
    """As :func:`activate`, with the username and the short code from the letter.

    A wrong code counts against the person's current token; after
    :data:`MAX_CODE_FAILURES` the token is locked.
    """
    with transaction.atomic():
        row = (
            ActivationToken.objects.select_for_update(of=("self",))
            .select_related("user__unit")
            .filter(user__username=(username or "").strip()[:150], used_at__isnull=True)
            .filter(revoked_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        row = _usable(row)
        if not hmac.compare_digest(row.code_hash, _code_hash(row.user_id, code)):
            ActivationToken.objects.filter(pk=row.pk).update(
                failed_attempts=row.failed_attempts + 1
            )
            failed = True
        else:
            failed = False
    if failed:
        # Committed above: the failure counts even though the caller sees an error.
        raise ActivationError("unknown")
    with transaction.atomic():
        row = (
            ActivationToken.objects.select_for_update(of=("self",))
            .select_related("user__unit")
            .get(pk=row.pk)
        )
        return _complete(_usable(row), password)


def needs_activation(people: Any) -> Any:
    """The people of a query set who have never set a password."""
    return people.filter(password__startswith=UNUSABLE_PASSWORD_PREFIX, is_active=True)


def _reachable(person: User) -> tuple[str, str] | None:
    """(channel, address) to send ``person``'s activation to: e-mail first, else SMS."""
    candidates = [("email", person.email), ("sms", str(getattr(person, "phone", "") or ""))]
    for channel, address in candidates:
        if not address:
            continue
        try:
            return channel, normalize_recipient(channel, address)
        except MessageRejected:
            continue
    return None


def send_activation(
    people: Iterable[User], *, actor: Any, ttl: timedelta = DEFAULT_TTL
) -> dict[str, int]:
    """Issue tokens and enqueue an activation e-mail (or SMS when there is no e-mail).

    People with neither a valid e-mail nor a phone number are skipped (they need a printed
    letter). The message bodies are redacted once sent (they carry a token).
    """
    persons = list(people)
    targets = {p.pk: _reachable(p) for p in persons}
    reachable = [p for p in persons if targets[p.pk] is not None]
    counts = {"email": 0, "sms": 0, "skipped": len(persons) - len(reachable)}
    with transaction.atomic():
        tokens = issue_tokens(reachable, actor=actor, ttl=ttl)
        for person in reachable:
            target = targets[person.pk]
            assert target is not None
            channel, address = target
            token = tokens[person.pk]
            values = {
                "name": person.full_name,
                "username": person.username,
                "code": activation_code(token),
                "url": activation_url(token),
                "days": ttl.days,
            }
            with translation.override("vi"):
                subject = _("Activate your learning account")
                if channel == "email":
                    body = _(EMAIL_BODY) % values
                else:
                    body = _("Activate your learning account (%(days)s days): %(url)s") % values
            enqueue(
                channel=channel,
                recipient=address,
                subject=subject,
                body=body,
                dedupe_key=f"activation:{token_hash(token)[:40]}",
                person_id=person.pk,
                payload={"redact": True},
            )
            counts[channel] += 1
    return counts
