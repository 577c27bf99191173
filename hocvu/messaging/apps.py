from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "hocvu.messaging"
    verbose_name = _("Messages")

    def ready(self) -> None:
        from hocvu.messaging import senders

        senders.register_builtin()
