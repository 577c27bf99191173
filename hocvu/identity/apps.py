from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "hocvu.identity"
    verbose_name = _("People and roles")
