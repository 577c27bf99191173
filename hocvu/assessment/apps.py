from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "hocvu.assessment"
    verbose_name = _("Assessment")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from hocvu.content.models import Item

        # Any saved or deleted item (a status move, an author's edit) may change a bank the
        # engine has cached: bump the revisions so every process rebuilds its copy.
        post_save.connect(_item_changed, sender=Item, dispatch_uid="assessment.bank_revision")
        post_delete.connect(_item_changed, sender=Item, dispatch_uid="assessment.bank_revision_d")


def _item_changed(sender: Any, **kwargs: Any) -> None:
    from hocvu.assessment.bank import bump_revision

    bump_revision()
