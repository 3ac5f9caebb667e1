"""`manage.py seed_demo`: load the Lagos demo territory.

The runner is core.demo.run_demo; what it runs is each app's demo part, listed in
settings.KEYPLAN_DEMO_PARTS. The command lives in teams, not core, because it speaks about
people: `--if-empty` means "no users yet", and it prints the demo logins after checking that
they exist with their roles (User.Role), which core, importing no app, cannot know. It
imports nothing above teams: the accounts' part reaches it only through the setting.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from core.demo import DemoConflictError, demo_password, run_demo
from teams.demo import LOGIN_USERNAMES, demo_logins_available
from teams.models import User


class Command(BaseCommand):
    help = (
        "Load demo data: a Lagos corporate sales territory with two teams, about sixty "
        "accounts, agreements, deployments, three fiscal years of revenue and quotas. "
        "Safe to run again: only what is missing is created. The demo users' password is "
        "$DEMO_PASSWORD, or keyplan-demo."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Seed only when the database has no users at all.",
        )

    def handle(self, *args, **options):
        password = demo_password()
        if options["if_empty"] and User.objects.exists():
            self.stdout.write("The database already has data: not seeding the demo.")
        else:
            started = time.monotonic()
            try:
                ctx = run_demo(password=password)
            except DemoConflictError as exc:
                raise CommandError(str(exc)) from exc
            if ctx.created_total:
                counts = ", ".join(f"{n:,} {what}" for what, n in ctx.created.items() if n)
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Seeded the Lagos demo territory in "
                        f"{time.monotonic() - started:.1f}s: {counts}."
                    )
                )
            else:
                self.stdout.write("The demo data is already there: nothing to add.")

        if demo_logins_available():
            self.stdout.write(f"Demo logins (password for all: {password}):")
            for username in LOGIN_USERNAMES:
                self.stdout.write(f"{username} / {password}")
        else:
            self.stdout.write(
                "No demo logins: the demo users (am, manager, ops) are not in this database."
            )
