"""`manage.py generate_book`: fill the database with a realistic large book for benchmarks
(see core/book.py). The whole database is replaced: it refuses to run when the database holds
anything but a previously generated book, unless --force."""

import time
from dataclasses import fields

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from core.book import BOOK_PASSWORD, BOOK_PREFIX, BookSizes, run_book
from teams.models import User


class Command(BaseCommand):
    help = (
        "Replace the database's contents with a generated large book (by default 10,000 "
        "accounts, 100 AMs in 10 teams, 1,000,000 revenue rows over 36 months), for "
        "benchmarks. Deterministic for a --seed. Refuses to touch a database with real data "
        "unless --force."
    )

    def add_arguments(self, parser):
        defaults = BookSizes()
        for f in fields(BookSizes):
            parser.add_argument(
                f"--{f.name.replace('_', '-')}",
                type=type(getattr(defaults, f.name)),
                default=getattr(defaults, f.name),
                help=f"default {getattr(defaults, f.name)}",
            )
        parser.add_argument("--seed", type=int, default=2027)
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace the database's contents even if it holds data that was not generated.",
        )

    def handle(self, *args, **options):
        real = User.objects.exclude(username__startswith=BOOK_PREFIX)
        if real.exists() and not options["force"]:
            raise CommandError(
                f"This database holds {real.count()} user(s) that generate_book did not make "
                "(e.g. the demo). generate_book replaces everything: run it on a database of "
                "its own, or pass --force to wipe this one."
            )
        sizes = BookSizes(**{f.name: options[f.name] for f in fields(BookSizes)})
        started = time.monotonic()
        self.stdout.write("Emptying the database...")
        call_command("flush", interactive=False, verbosity=0)
        ctx = run_book(
            sizes=sizes,
            seed=options["seed"],
            password_hash=make_password(BOOK_PASSWORD),
            progress=lambda line: self.stdout.write(f"  {line}"),
        )
        made = ", ".join(f"{n:,} {what}" for what, n in ctx.created.items())
        self.stdout.write(
            self.style.SUCCESS(f"Generated the book in {time.monotonic() - started:.1f}s: {made}.")
        )
        self.stdout.write(f"Logins (password for all: {BOOK_PASSWORD}):")
        for username in (f"{BOOK_PREFIX}ops", f"{BOOK_PREFIX}manager.01", f"{BOOK_PREFIX}am.001"):
            self.stdout.write(f"{username} / {BOOK_PASSWORD}")
