"""Background jobs of the assessment app (run by the ``django_tasks`` database worker)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from hocvu.assessment import calibration


@task()
def recalibrate_bank(version_id: int, min_n: int | None = None) -> dict[str, Any]:
    """Refresh the item statistics and calibrate the free items of a framework version.

    See :mod:`hocvu.assessment.calibration`. Enqueue it with
    ``recalibrate_bank.enqueue(version.pk)``; ``manage.py db_worker`` runs it.
    """
    return calibration.recalibrate(version_id, min_n=min_n)
