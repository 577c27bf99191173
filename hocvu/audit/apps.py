from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "hocvu.audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        # The admin's autodiscovery ran before (django.contrib.admin comes first in
        # INSTALLED_APPS): every registered admin now writes its changes to the audit chain.
        from django.contrib import admin

        from hocvu.audit.admin_base import audit_every_admin

        audit_every_admin(admin.site)
