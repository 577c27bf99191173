"""Those who know guide those who don't.

A learner whose level in a competence is below their role's target asks for help; the
platform suggests certified colleagues nearby who hold that competence at or above the
level needed (:func:`suggest_mentors`); a mentor accepts, sees the mentee's gaps and
records the sessions held. Unit reports count help given (sessions, people helped,
minutes), never anyone's scores.

"Nearby" means the learner's own unit first, then the other units under the same parent
(the other communes of the province, the province's own council). Who may see a request is
decided here (:func:`request_for`): the learner, and the mentor once they hold it; an open
request is also seen by the colleagues it could go to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from hocvu.audit import services as audit
from hocvu.credentials.models import Credential
from hocvu.framework.models import Competence
from hocvu.identity.models import User
from hocvu.learning import services as learning
from hocvu.learning.models import Proficiency
from hocvu.mentoring.models import HelpRequest, MentoringSession, RequestStatus
from hocvu.messaging import services as messaging
from hocvu.organizations.models import Unit

#: How many colleagues a learner is offered.
SUGGESTIONS = 5
#: A mentor holding this many accepted requests is not suggested again until one closes.
MAX_MENTEES = 5
#: Longest session a mentor may record, in minutes.
MAX_SESSION_MINUTES = 480


class MentoringError(ValueError):
    """The action is not possible; nothing was changed. The message is for the user."""


@dataclass(frozen=True)
class Suggestion:
    mentor: User
    level: int
    #: 0 = same unit, 1 = another unit under the same parent.
    distance: int


def _neighbourhood(unit: Unit | None) -> list[str]:
    """The learner's unit path, then its parent's (nearest first); the parent only when it
    is not one of the tree's top two levels (the country, the Assembly or the councils as
    a whole are not "nearby")."""
    if unit is None:
        return []
    paths = [unit.path]
    parent = unit.path[: -Unit.SEGMENT]
    if len(parent) > 2 * Unit.SEGMENT:
        paths.append(parent)
    return paths


def _candidates(competence: Competence, level: int, area_path: str) -> QuerySet[User]:
    certified = Credential.objects.filter(revoked_at__isnull=True).values("learner_id")
    strong = Proficiency.objects.filter(competence=competence, level__gte=level).values(
        "learner_id"
    )
    busy = (
        HelpRequest.objects.filter(status=RequestStatus.ACCEPTED)
        .values("mentor_id")
        .annotate(n=Count("id"))
        .filter(n__gte=MAX_MENTEES)
        .values("mentor_id")
    )
    return (
        User.objects.filter(
            is_active=True,
            unit__path__startswith=area_path,
            pk__in=certified,
        )
        .filter(pk__in=strong)
        .exclude(pk__in=busy)
        .select_related("unit")
    )


def suggest_mentors(
    learner: User, competence: Competence, level: int, *, limit: int = SUGGESTIONS
) -> list[Suggestion]:
    """Certified colleagues near ``learner`` at ``level`` or above in ``competence``,
    nearest first, then those helping fewest people now."""
    paths = _neighbourhood(learner.unit)
    if not paths:
        return []
    people = list(_candidates(competence, level, paths[-1]).exclude(pk=learner.pk)[:500])
    levels = dict(
        Proficiency.objects.filter(
            competence=competence, learner_id__in=[p.pk for p in people]
        ).values_list("learner_id", "level")
    )
    load = dict(
        HelpRequest.objects.filter(
            status=RequestStatus.ACCEPTED, mentor_id__in=[p.pk for p in people]
        )
        .values("mentor_id")
        .annotate(n=Count("id"))
        .values_list("mentor_id", "n")
    )

    def distance(person: User) -> int:
        path = person.unit.path if person.unit else ""
        return next(i for i, p in enumerate(paths) if path.startswith(p))

    ranked = sorted(people, key=lambda p: (distance(p), load.get(p.pk, 0), p.full_name))
    return [Suggestion(p, levels.get(p.pk, level), distance(p)) for p in ranked[:limit]]


def needed_level(learner: User, competence: Competence) -> int:
    """The learner's target in ``competence``; refuse when they already reached it."""
    rows = learning.profile(learner, competence.version)
    row = next((r for r in rows if r.competence.pk == competence.pk), None)
    if row is None or row.target <= 0:
        raise MentoringError(_("Your role has no target in this competence."))
    if row.gap <= 0:
        raise MentoringError(_("You have already reached your target in this competence."))
    return row.target


def _notify(mentor: User, request: HelpRequest) -> None:
    if not mentor.email:
        return
    url = settings.PUBLIC_URL + reverse("mentoring-request", kwargs={"request_id": request.pk})
    messaging.enqueue(
        channel="email",
        recipient=mentor.email,
        subject=_("A colleague asks for your help"),
        body=_(
            "%(name)s asks for your help with %(code)s %(title)s. "
            "Open %(url)s to accept or decline."
        )
        % {
            "name": request.learner.full_name,
            "code": request.competence.code,
            "title": request.competence.title,
            "url": url,
        },
        dedupe_key=f"mentoring:ask:{request.pk}:{mentor.pk}",
        person_id=mentor.pk,
    )


def ask_for_help(
    learner: User, competence: Competence, *, mentor: User | None = None, message: str = ""
) -> HelpRequest:
    """Open a request for help with ``competence`` (to ``mentor``, one of the suggested
    colleagues, or to any of them). One live request per competence."""
    level = needed_level(learner, competence)
    message = " ".join(message.split())[:500]
    if mentor is not None and mentor.pk not in {
        s.mentor.pk for s in suggest_mentors(learner, competence, level, limit=50)
    }:
        raise MentoringError(_("This colleague cannot be asked for this competence."))
    try:
        with transaction.atomic():
            request = HelpRequest.objects.create(
                learner=learner, competence=competence, level=level, message=message
            )
            if mentor is not None:
                request.mentor = mentor
                request.save(update_fields=["mentor"])
            audit.record(
                "mentoring.ask",
                actor=learner,
                obj=request,
                unit_path=learner.unit.path if learner.unit else "",
                data={"competence": competence.code, "mentor": mentor.pk if mentor else None},
            )
    except IntegrityError:
        raise MentoringError(
            _("You already have an open request for help with this competence.")
        ) from None
    if mentor is not None:
        _notify(mentor, request)
    return request


def may_take(user: User, request: HelpRequest) -> bool:
    """``user`` is a colleague this open request could go to."""
    if request.status != RequestStatus.OPEN or user.pk == request.learner_id:
        return False
    if request.mentor_id is not None:
        return bool(request.mentor_id == user.pk)
    paths = _neighbourhood(request.learner.unit)
    if not paths:
        return False
    return _candidates(request.competence, request.level, paths[-1]).filter(pk=user.pk).exists()


def request_for(user: Any, request_id: Any) -> HelpRequest:
    """The request, when ``user`` is its learner, its mentor, or a colleague it could go
    to; 404 otherwise."""
    try:
        request = HelpRequest.objects.select_related(
            "learner__unit", "mentor", "competence__version"
        ).get(pk=request_id)
    except (HelpRequest.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404("request not found") from None
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise Http404("request not found")
    if user.pk in (request.learner_id, request.mentor_id) or may_take(user, request):
        return request
    raise Http404("request not found")


def open_requests_for(mentor: User) -> list[HelpRequest]:
    """Open requests this colleague could take: addressed to them, or open to anyone
    nearby in a competence they hold at the level needed."""
    paths = _neighbourhood(mentor.unit)
    if not paths or not Credential.objects.filter(learner=mentor, revoked_at__isnull=True).exists():
        return []
    region = paths[-1]
    held = dict(Proficiency.objects.filter(learner=mentor).values_list("competence_id", "level"))
    candidates = (
        HelpRequest.objects.filter(status=RequestStatus.OPEN)
        .filter(Q(mentor=mentor) | Q(mentor__isnull=True, learner__unit__path__startswith=region))
        .exclude(learner=mentor)
        .select_related("learner__unit", "competence")
        .order_by("created_at")[:200]
    )
    return [
        r for r in candidates if r.mentor_id == mentor.pk or held.get(r.competence_id, 0) >= r.level
    ]


@transaction.atomic
def accept(request: HelpRequest, mentor: User) -> HelpRequest:
    request = HelpRequest.objects.select_for_update().get(pk=request.pk)
    if not may_take(mentor, request):
        raise MentoringError(_("This request is no longer open to you."))
    request.mentor = mentor
    request.status = RequestStatus.ACCEPTED
    request.accepted_at = timezone.now()
    request.save(update_fields=["mentor", "status", "accepted_at"])
    audit.record(
        "mentoring.accept",
        actor=mentor,
        obj=request,
        unit_path=request.learner.unit.path if request.learner.unit else "",
        data={"competence": request.competence.code},
    )
    return request


@transaction.atomic
def decline(request: HelpRequest, mentor: User) -> HelpRequest:
    """A chosen mentor declines: the request goes back to every suggested colleague."""
    request = HelpRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != RequestStatus.OPEN or request.mentor_id != mentor.pk:
        raise MentoringError(_("This request is no longer open to you."))
    request.mentor = None
    request.save(update_fields=["mentor"])
    audit.record("mentoring.decline", actor=mentor, obj=request, data={})
    return request


@transaction.atomic
def close(request: HelpRequest, by: User) -> HelpRequest:
    """The learner (or the mentor) closes the request; the learner may also cancel it."""
    request = HelpRequest.objects.select_for_update().get(pk=request.pk)
    if by.pk not in (request.learner_id, request.mentor_id):
        raise MentoringError(_("Only the learner or the mentor can close this request."))
    if request.status not in (RequestStatus.OPEN, RequestStatus.ACCEPTED):
        raise MentoringError(_("This request is already closed."))
    request.status = (
        RequestStatus.CANCELLED if request.status == RequestStatus.OPEN else RequestStatus.CLOSED
    )
    request.closed_at = timezone.now()
    request.save(update_fields=["status", "closed_at"])
    audit.record("mentoring.close", actor=by, obj=request, data={"status": request.status})
    return request


@transaction.atomic
def record_session(
    request: HelpRequest, mentor: User, *, held_on: date, minutes: int, note: str = ""
) -> MentoringSession:
    """The mentor records a session held with the mentee."""
    request = HelpRequest.objects.select_for_update().get(pk=request.pk)
    if request.mentor_id != mentor.pk or request.status != RequestStatus.ACCEPTED:
        raise MentoringError(_("Only the mentor of an accepted request records sessions."))
    if not 1 <= minutes <= MAX_SESSION_MINUTES:
        raise MentoringError(
            _("A session lasts between 1 and %(n)d minutes.") % {"n": MAX_SESSION_MINUTES}
        )
    today = timezone.localdate()
    if held_on > today or held_on < request.created_at.date():
        raise MentoringError(_("The date must lie between the request and today."))
    session = MentoringSession.objects.create(
        request=request, held_on=held_on, minutes=minutes, note=" ".join(note.split())[:1000]
    )
    audit.record(
        "mentoring.session",
        actor=mentor,
        obj=session,
        unit_path=request.learner.unit.path if request.learner.unit else "",
        data={"minutes": minutes},
    )
    return session


def mentee_gaps(request: HelpRequest) -> list[learning.CompetenceStatus]:
    """The mentee's competences below target (what the mentor sees once accepted)."""
    rows = learning.profile(request.learner, request.competence.version)
    return [r for r in rows if r.gap > 0]


@dataclass(frozen=True)
class HelpGiven:
    sessions: int
    minutes: int
    people_helped: int
    mentors: int


def help_given(unit_path: str, *, since: date | None = None) -> HelpGiven:
    """Help given to the people of a unit's subtree: sessions, minutes, people, mentors."""
    sessions = MentoringSession.objects.filter(request__learner__unit__path__startswith=unit_path)
    if since is not None:
        sessions = sessions.filter(held_on__gte=since)
    totals = sessions.aggregate(
        n=Count("id"),
        minutes=Sum("minutes"),
        people=Count("request__learner", distinct=True),
        mentors=Count("request__mentor", distinct=True),
    )
    return HelpGiven(
        sessions=totals["n"] or 0,
        minutes=totals["minutes"] or 0,
        people_helped=totals["people"] or 0,
        mentors=totals["mentors"] or 0,
    )
