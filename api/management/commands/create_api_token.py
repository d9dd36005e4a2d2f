"""`manage.py create_api_token --user USERNAME [--scopes ...] [--expires DAYS]`: a new API token
for automation, printed as the last word of the last line (shown once, stored as a digest)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api.models import ALL_SCOPES
from api.tokens import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a user and print it (the last word of the last line)."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="The username the token acts as.")
        parser.add_argument(
            "--scopes",
            nargs="*",
            default=None,
            help="resource:read or resource:write (default: all). Resources: "
            + ", ".join(sorted({scope.split(":")[0] for scope in ALL_SCOPES})),
        )
        parser.add_argument("--expires", type=int, default=None, help="Days until it expires.")
        parser.add_argument("--name", default="", help="A name to recognize it by.")

    def handle(self, *args, user, scopes, expires, name, **options):
        owner = get_user_model().objects.filter(username=user).first()
        if owner is None:
            raise CommandError(f"No user named {user!r}.")
        if expires is not None and expires <= 0:
            raise CommandError("--expires must be a positive number of days.")
        scopes = (
            list(ALL_SCOPES)
            if scopes is None
            else [part for scope in scopes for part in scope.split(",") if part]
        )
        try:
            token, raw = api_token_create(
                user=owner, scopes=scopes, name=name, expires_in_days=expires
            )
        except ValueError as exc:
            raise CommandError(f"Unknown scopes: {exc}") from exc
        expiry = token.expires_at.isoformat() if token.expires_at else "never"
        self.stdout.write(f"Scopes: {' '.join(token.scopes) or '(none)'}; expires: {expiry}")
        self.stdout.write(f"Token for {owner.get_username()}: {raw}")
