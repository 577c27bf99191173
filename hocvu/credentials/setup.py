"""Setting up the achievements of a program: one per role profile of its framework."""

from __future__ import annotations

from django.db import transaction

from hocvu.content.models import Program
from hocvu.credentials.models import Achievement


@transaction.atomic
def install_achievements(program: Program) -> list[Achievement]:
    """An achievement per role profile of ``program``'s framework version (idempotent)."""
    result = []
    version = program.framework_version
    for role in version.role_profiles.order_by("position", "code"):
        targets = role.targets.filter(level__gte=1).count()
        achievement, _ = Achievement.objects.get_or_create(
            program=program,
            role_profile=role,
            defaults={
                "name": f"Chuẩn kỹ năng số – {role.title}",
                "name_en": f"Digital skills standard – {role.title_en or role.title}",
                "description": (
                    f"Người được chứng nhận đạt mức yêu cầu về kỹ năng số của vị trí "
                    f"“{role.title}” theo {version.title} ({version.label}), "
                    f"chương trình “{program.title}”."
                ),
                "criteria": (
                    f"Đạt bài thi chứng nhận của chương trình và đạt mức yêu cầu ở cả "
                    f"{targets} năng lực của vị trí “{role.title}”."
                ),
            },
        )
        result.append(achievement)
    return result
