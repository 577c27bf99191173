"""Check the hash chains of the audit log (hocvu.audit.services.verify_chain).

Exit status: 0 when every event checks, 1 when a chain is broken (an event altered,
removed from the middle, or inserted with a forged hash); the first broken ``seq`` is named.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hocvu.audit.models import AuditEvent
from hocvu.audit.services import verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chains; exit 1 if any is broken."

    def handle(self, *args: Any, **options: Any) -> None:
        broken = verify_chain()
        if broken is not None:
            event = AuditEvent.objects.filter(seq=broken).first()
            raise CommandError(f"audit chain broken at event seq={broken} ({event})")
        count = AuditEvent.objects.count()
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {count} events verified"))
