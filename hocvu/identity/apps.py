from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "hocvu.identity"
    verbose_name = _("People and roles")

    def ready(self) -> None:
        # The login signal receiver that marks sessions owing the second factor.
        from hocvu.identity import second_factor  # noqa: F401
