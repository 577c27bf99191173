from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "hocvu.web"
    verbose_name = _("Web")

    def ready(self) -> None:
        from hocvu.identity.admin_scoping import install_admin_site_permission

        install_admin_site_permission()
