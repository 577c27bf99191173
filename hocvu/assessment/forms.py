"""Turning a submitted HTML form into the JSON answer the scorer reads, and recording it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest, QueryDict
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from hocvu.assessment import services
from hocvu.content.models import Item, ItemKind
from hocvu.content.scoring import InvalidAnswer, parse_number


def _int(value: str | None, what: str) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise InvalidAnswer(f"choose {what}") from None


def answer_from_form(item: Item, data: QueryDict) -> dict[str, Any]:
    kind = item.kind
    if kind in (ItemKind.SINGLE, ItemKind.SCENARIO):
        return {"choice": _int(data.get("choice"), "an answer")}
    if kind == ItemKind.MULTIPLE:
        return {"choices": [_int(v, "an answer") for v in data.getlist("choices")]}
    if kind == ItemKind.TRUE_FALSE:
        value = data.get("value")
        if value not in ("true", "false"):
            raise InvalidAnswer("choose true or false")
        return {"value": value == "true"}
    if kind == ItemKind.ORDERING:
        # One select per position, each naming an option.
        return {
            "order": [
                _int(data.get(f"pos{i}"), "an option for every position")
                for i in range(len(item.options))
            ]
        }
    if kind == ItemKind.NUMERIC:
        # Read here too, so a number that cannot be read gets its own message; the typed
        # text is what is stored (and shown back), the scorer reads it the same way.
        typed = (data.get("value") or "").strip()
        parse_number(typed)
        return {"value": typed}
    if kind == ItemKind.SHORT_TEXT:
        return {"text": data.get("text") or ""}
    raise InvalidAnswer("unknown question type")


def public_item(item: Item) -> dict[str, Any]:
    """What the browser may know about a question before it is answered: no key."""
    return {
        "uid": str(item.uid),
        "kind": item.kind,
        "stem": item.stem,
        "options": list(item.options),
        "image": item.image,
        "level": item.level,
        "competence": item.competence.code,
    }


def describe(item: Item, value: Any) -> str:
    """A key or an answer in words, to show after the question was answered."""
    options = list(item.options)

    def option(i: Any) -> str:
        return options[i] if isinstance(i, int) and 0 <= i < len(options) else "?"

    kind = item.kind
    if kind in (ItemKind.SINGLE, ItemKind.SCENARIO):
        choice = value[0] if isinstance(value, list) and value else (value or {}).get("choice")
        return option(choice)
    if kind == ItemKind.MULTIPLE:
        chosen = value if isinstance(value, list) else (value or {}).get("choices", [])
        return "; ".join(option(i) for i in chosen)
    if kind == ItemKind.ORDERING:
        order = value if isinstance(value, list) else (value or {}).get("order", [])
        return " → ".join(option(i) for i in order)
    if kind == ItemKind.TRUE_FALSE:
        flag = value if isinstance(value, bool) else (value or {}).get("value")
        return str(_("True")) if flag else str(_("False"))
    if kind == ItemKind.NUMERIC:
        number = value.get("value") if isinstance(value, dict) else value
        if isinstance(number, str):
            return number  # as the learner typed it
        if isinstance(number, bool) or not isinstance(number, int | float):
            return str(number)
        if isinstance(number, float) and number.is_integer():
            return str(formats.number_format(str(int(number)), use_l10n=True))
        return str(formats.number_format(number, use_l10n=True))
    if kind == ItemKind.SHORT_TEXT:
        if isinstance(value, dict) and "accepted" in value:
            return str(value["accepted"][0])
        return str((value or {}).get("text", ""))
    return ""


def answered_at_from(request: HttpRequest) -> datetime | None:
    """The device's time of an answer sent late (an offline replay), never in the future."""
    value = parse_datetime(request.POST.get("answered_at", "") or "")
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return min(value, timezone.now())


def answer_seconds(request: HttpRequest) -> float | None:
    """Seconds the learner spent on the question, as the page measured it."""
    try:
        return float(request.POST.get("seconds", ""))
    except ValueError:
        return None


def answer_error_text(exc: Exception) -> str:
    """What the learner reads when an answer is refused, in their language."""
    code = getattr(exc, "code", "invalid_answer")
    messages = {
        "invalid_answer": _("This answer does not fit the question. Choose or type an answer."),
        "invalid_number": _(
            "Type a number, for example 85 or 4.5 (a percent sign may follow: 85%). "
            "Thousands may be grouped with dots or spaces: 1.234.567 or 1 234 567."
        ),
        "bad_request": _("This answer does not fit the question. Choose or type an answer."),
        "already_answered": _("This question was already answered."),
        "not_in_attempt": _("This is not the current question."),
        "closed": _("This test is already finished."),
        "expired": _("This test has expired."),
        "conflict": _("This answer was already sent with a different choice."),
    }
    return messages.get(code, messages["invalid_answer"])


def record_form_answer(
    request: HttpRequest, attempt_id: UUID, item: Item, *, kind: str | None = None
) -> services.Outcome:
    """Record the answer posted for ``item`` in an HTML form (see ``record_answer``).

    Raises :class:`InvalidAnswer` or :class:`services.AnswerError`; nothing is stored then.
    """
    return services.record_answer(
        kind=kind,
        item=item,
        user=request.user,
        attempt_id=attempt_id,
        item_uid=item.uid,
        answer=answer_from_form(item, request.POST),
        answer_id=request.POST.get("answer_id", ""),
        answered_at=answered_at_from(request),
        seconds=answer_seconds(request),
    )
