"""Fit the prior of placement against targets from earlier placements (empirical Bayes).

    manage.py fit_placement_prior [--framework UUID] [--min-learners 50] [--shrink 20]

Decision 0011: the variance components (general, area, competence) come from every
learner's latest finished placement, pooled within roles; each role's mean is its
learners' mean pulled towards the overall mean as if the overall mean were ``--shrink``
more learners (a role with few placements keeps close to everyone's mean). A new row is
added per role profile of the version; placements started afterwards use it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hocvu.assessment import bank as engine
from hocvu.assessment.models import Attempt, AttemptKind, AttemptStatus, PlacementPrior
from hocvu.content import services as content
from hocvu.framework.models import FrameworkVersion, RoleProfile
from hocvu.psychometrics.targeting import ENGINE, fit_role_priors


class Command(BaseCommand):
    help = "Fit each role's placement prior from earlier placements (empirical Bayes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--framework", help="framework version uuid (default: the program's)")
        parser.add_argument("--min-learners", type=int, default=50)
        parser.add_argument("--shrink", type=float, default=20.0)

    def handle(self, *args: Any, **options: Any) -> None:
        version = self._version(options["framework"])
        if options["min_learners"] < 2 or options["shrink"] < 0:
            raise CommandError("--min-learners must be at least 2 and --shrink non-negative")
        bank = engine.operational_bank(version).bank
        codes = bank.competence_codes
        areas = [bank.area_codes[int(a)] for a in bank.competence_area]
        latest: dict[int, tuple[str, list[float], list[list[float]]]] = {}
        rows = (
            Attempt.objects.filter(
                framework_version=version,
                kind=AttemptKind.PLACEMENT,
                status=AttemptStatus.FINISHED,
                result__engine=ENGINE,
            )
            .order_by("finished_at")
            .values_list("learner_id", "learner__job_role", "result")
        )
        for learner_id, role, result in rows:
            by_code = {c["code"]: c for c in result.get("competences", [])}
            cov = result.get("covariance")
            if [c for c in codes if c not in by_code] or not cov or len(cov) != len(codes):
                continue  # made with another set of competences
            latest[learner_id] = (role or "", [by_code[c]["theta"] for c in codes], cov)
        n = len(latest)
        if n < options["min_learners"]:
            self.stdout.write(
                f"too few placements against targets to fit a prior: {n} "
                f"(at least {options['min_learners']}); the default prior stays in use"
            )
            return
        roles = [r for r, _, _ in latest.values()]
        means = np.array([m for _, m, _ in latest.values()])
        covs = np.array([c for _, _, c in latest.values()])
        profiles = list(RoleProfile.objects.filter(version=version).order_by("code"))
        pooled, by_role = fit_role_priors(
            codes, areas, roles, means, covs,
            shrink=float(options["shrink"]), all_roles=[p.code for p in profiles],
        )  # fmt: skip
        made = 0
        for profile in profiles:
            prior = by_role[profile.code]
            PlacementPrior.objects.create(
                framework_version=version,
                role_code=profile.code,
                prior=prior.to_dict(),
                n_learners=n,
            )
            made += 1
            self.stdout.write(
                f"  {profile.code}: {roles.count(profile.code)} placements, mean ability "
                f"{float(prior.mean.mean()):+.2f}"
            )
        self.stdout.write(
            f"fitted from {n} placements: general variance {pooled.general:.2f}, area "
            f"{float(pooled.area.mean()):.2f}, competence {float(pooled.specific.mean()):.2f}; "
            f"{made} role priors added"
        )

    def _version(self, code: str | None) -> FrameworkVersion:
        if code:
            try:
                version = FrameworkVersion.objects.filter(uuid=code).first()
            except ValidationError:
                version = None
            if version is None:
                raise CommandError(f"no framework version {code!r}")
            return version
        program = content.default_program()
        if program is None:
            raise CommandError("no program installed; name a framework version with --framework")
        return program.framework_version
