from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LearningConfig(AppConfig):
    name = "hocvu.learning"
    verbose_name = _("Learning")

    def ready(self) -> None:
        from hocvu.assessment import signals
        from hocvu.learning import services

        def on_placement(learner: Any, version: Any, result: Any, **kwargs: Any) -> None:
            services.apply_placement(learner, version, result)

        def on_practice(learner: Any, item: Any, points: int, **kwargs: Any) -> None:
            services.practice_update(learner, item, points)

        def on_check(
            learner: Any, module: Any, level: int, correct: int, total: int, **kwargs: Any
        ) -> bool:
            return services.pass_mastery_check(
                learner, module, level, correct, total, answers=kwargs.get("answers")
            )

        signals.placement_finished.connect(on_placement, weak=False, dispatch_uid="learning")
        signals.practice_answered.connect(on_practice, weak=False, dispatch_uid="learning")
        signals.mastery_check_finished.connect(on_check, weak=False, dispatch_uid="learning")
