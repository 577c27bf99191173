"""Reminders of active campaigns, through the one outbox (``hocvu.messaging``).

Two reasons, each sent at most once per person, campaign and period, whatever how often
this runs (the outbox's dedupe key carries the period):

- **deadline**: the deadline is ``remind_days_before`` days away or closer and the person
  is not certified yet (period: the deadline itself, so a moved deadline reminds again);
- **stall**: an activated person has done nothing for ``stall_days`` days (period: the
  day of their last activity, so someone who comes back and stalls again is reminded
  again).

A person is reached by e-mail when an address is known, else by SMS when a phone number
is; people with neither are counted as unreachable (the data-quality page lists them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from hocvu.campaigns.models import Campaign, PersonStatus
from hocvu.campaigns.progress import local_day
from hocvu.messaging import services as messaging


@dataclass
class Sent:
    """What one run enqueued (a repeated message is counted, but the outbox keeps one)."""

    deadline: int = 0
    stall: int = 0
    unreachable: int = 0
    rejected: int = 0
    campaigns: list[int] = field(default_factory=list)


def active_campaigns(today: date) -> list[Campaign]:
    return list(
        Campaign.objects.filter(is_active=True, starts_on__lte=today, deadline__gte=today)
        .select_related("unit", "program")
        .order_by("pk")
    )


def _address(person: Any) -> tuple[str, str] | None:
    email = (getattr(person, "email", "") or "").strip()
    if email:
        return "email", email
    phone = (getattr(person, "phone", "") or "").strip()
    if phone:
        return "sms", phone
    return None


def _message(reason: str, campaign: Campaign, person: Any, today: date) -> tuple[str, str]:
    days = (campaign.deadline - today).days
    with translation.override("vi"):
        if reason == "deadline":
            subject = _("%(days)s days left: %(title)s") % {"days": days, "title": campaign.title}
            body = _(
                "Hello %(name)s, the campaign “%(title)s” ends on %(deadline)s and your "
                "certificate is not done yet. Continue where you left off: %(url)s"
            )
        else:
            subject = _("We miss you: %(title)s") % {"title": campaign.title}
            body = _(
                "Hello %(name)s, you have not studied for a while. A few minutes a day are "
                "enough to reach your target before %(deadline)s: %(url)s"
            )
        from django.conf import settings

        body = body % {
            "name": person.full_name,
            "title": campaign.title,
            "deadline": campaign.deadline.strftime("%d/%m/%Y"),
            "url": f"{settings.PUBLIC_URL}/learn/",
        }
    return subject, body


def send_reminders(today: date | None = None) -> Sent:
    """Enqueue the reminders due today for every active campaign (idempotent)."""
    from django.contrib.auth import get_user_model

    today = today or local_day()
    sent = Sent()
    for campaign in active_campaigns(today):
        sent.campaigns.append(campaign.pk)
        near = (campaign.deadline - today).days <= campaign.remind_days_before
        stalled_before = today - timedelta(days=campaign.stall_days)
        due = Q(activated_on__isnull=False) & (
            Q(last_activity__lt=stalled_before)
            | Q(last_activity__isnull=True, activated_on__lt=stalled_before)
        )
        rows = PersonStatus.objects.filter(
            counted=True, certified_on__isnull=True, unit_path__startswith=campaign.unit.path
        )
        if not near:
            rows = rows.filter(due)
        people = get_user_model().objects.in_bulk
        for chunk in _chunks(
            rows.order_by("pk").values_list("pk", "last_activity", "activated_on")
        ):
            persons = people([pk for pk, _la, _ao in chunk])
            for pk, last, activated in chunk:
                person = persons.get(pk)
                if person is None:
                    continue
                reasons = []
                if near:
                    reasons.append(("deadline", campaign.deadline.isoformat()))
                if activated is not None and (last or activated) < stalled_before:
                    reasons.append(("stall", (last or activated).isoformat()))
                if not reasons:
                    continue
                address = _address(person)
                if address is None:
                    sent.unreachable += 1
                    continue
                for reason, period in reasons:
                    subject, body = _message(reason, campaign, person, today)
                    try:
                        messaging.enqueue(
                            channel=address[0],
                            recipient=address[1],
                            subject=subject,
                            body=body,
                            dedupe_key=f"reminder:{reason}:{campaign.pk}:{pk}:{period}",
                            person_id=pk,
                        )
                    except messaging.MessageRejected:
                        sent.rejected += 1
                        continue
                    if reason == "deadline":
                        sent.deadline += 1
                    else:
                        sent.stall += 1
    return sent


def _chunks(rows: Any, size: int = 2000) -> Any:
    chunk: list[Any] = []
    for row in rows.iterator(chunk_size=size):
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
