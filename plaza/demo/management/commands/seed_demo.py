import os
import unicodedata

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from plaza.demo.exceptions import DatabaseNotEmpty
from plaza.demo.services import DemoSummary, demo_seed


def site_url() -> str:
    """Where Plaza answers: SITE_URL when it is set, else the local port `make run` serves on."""
    if "SITE_URL" not in os.environ and os.environ.get("PORT"):
        return f"http://127.0.0.1:{os.environ['PORT']}/"
    return settings.SITE_URL.rstrip("/") + "/"


def _width(text: str) -> int:
    """Columns the text takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


class Command(BaseCommand):
    help = (
        "Fill an empty database with demo shops, products, stock, pictures and logins, "
        "and print the logins."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Seed only when there are no shops yet; otherwise just print the demo logins.",
        )

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        if verbosity:
            self.stdout.write("Checking for demo data...")
        try:
            summary = demo_seed(
                stdout=self.stdout if verbosity else None, if_empty=options["if_empty"]
            )
        except DatabaseNotEmpty as exc:
            raise CommandError(exc.message) from None
        if verbosity:
            self._report(summary)

    def _report(self, summary: DemoSummary) -> None:
        write = self.stdout.write
        if summary.seeded:
            write(
                self.style.SUCCESS(
                    f"Demo data ready in {summary.seconds:.1f} s: {len(summary.shops)} shops, "
                    f"{summary.products} products, {summary.variants} variants, "
                    f"{summary.images} pictures ({summary.thumbnails} thumbnails so far)."
                )
            )
        elif summary.logins:
            write("The demo data is already there; nothing was added.")
        else:
            write("The database already has shops of its own; no demo data was added.")
            return
        write("")
        write(f"  Open {site_url()}")
        write("")
        write(f"  Demo logins (password for all: {summary.password})")
        email_width = max(_width(login.email) for login in summary.logins)
        role_width = max(_width(login.role) for login in summary.logins)
        write(f"  {_pad('e-mail', email_width)}  {_pad('role', role_width)}  what they can do")
        for login in summary.logins:
            write(
                f"  {_pad(login.email, email_width)}  {_pad(login.role, role_width)}  {login.can}"
            )
        write("")
