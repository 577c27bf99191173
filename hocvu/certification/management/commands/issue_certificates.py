"""Issue a campaign's certificates in the background.

    manage.py issue_certificates --achievement ID [--unit CODE] [--chunk 500]

Finds the learners (of the unit's subtree, if given) who passed the achievement's exam
and hold no current certificate for it, and enqueues ``issue_batch`` jobs of ``--chunk``
learners each; ``manage.py db_worker`` runs them. The rules are checked again in the job.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hocvu.assessment.models import Attempt, AttemptKind, AttemptStatus
from hocvu.certification.tasks import issue_batch
from hocvu.credentials.models import Achievement, Credential
from hocvu.organizations.models import Unit


class Command(BaseCommand):
    help = "Enqueue certificate issuance for everyone who passed an achievement's exam."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--achievement", type=int, required=True, help="achievement id")
        parser.add_argument("--unit", help="only learners in this unit's subtree (unit code)")
        parser.add_argument("--chunk", type=int, default=500, help="learners per job")

    def handle(self, *args: Any, **options: Any) -> None:
        achievement = Achievement.objects.filter(pk=options["achievement"]).first()
        if achievement is None:
            raise CommandError(f"no achievement with id {options['achievement']}")
        chunk = max(1, int(options["chunk"]))
        passed = Attempt.objects.filter(
            kind=AttemptKind.EXAM,
            status=AttemptStatus.FINISHED,
            state__achievement=achievement.pk,
            result__passed=True,
        )
        if options.get("unit"):
            unit = Unit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(f"no unit with code {options['unit']}")
            passed = passed.filter(learner__unit__path__startswith=unit.path)
        holders = Credential.objects.filter(
            achievement=achievement, revoked_at__isnull=True
        ).values("learner_id")
        learner_ids = sorted(
            set(passed.exclude(learner_id__in=holders).values_list("learner_id", flat=True))
        )
        jobs = 0
        for start in range(0, len(learner_ids), chunk):
            issue_batch.enqueue(achievement.pk, learner_ids[start : start + chunk])
            jobs += 1
        self.stdout.write(
            f"{len(learner_ids)} learners, {jobs} jobs enqueued for “{achievement.name}”."
        )
