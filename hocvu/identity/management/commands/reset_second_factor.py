"""``manage.py reset_second_factor USERNAME``: forget a person's authenticator app and
recovery codes (a lost phone with no code left); the next login enrols a new app. Audited."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hocvu.identity import second_factor
from hocvu.identity.models import User


class Command(BaseCommand):
    help = "Forget a person's two-step login devices; the next login sets up a new app."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no person with the username {options['username']!r}")
        second_factor.reset(user)
        self.stdout.write(f"Two-step login reset for {user.username}; the next login enrols.")
