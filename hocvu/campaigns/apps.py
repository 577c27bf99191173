from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "hocvu.campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        # Lower apps never import this one: progress follows their saves through signals.
        from hocvu.campaigns import signals

        signals.connect()
