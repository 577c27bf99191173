from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CredentialsConfig(AppConfig):
    name = "hocvu.credentials"
    verbose_name = _("Certificates")

    def ready(self) -> None:
        from hocvu.credentials import eid
        from hocvu.messaging.delivery import register_outbox

        # The delivery worker (manage.py deliver_messages) drains the e-ID outbox too.
        register_outbox("eid", lambda limit: eid.process_outbox(limit=limit))
