"""demo_identity_provider: a local OpenID Connect provider for trying single sign-on with the demo
(`make run-sso`, docs/sign-in.md): oidc-provider from npm (demo/idp/), with one account for each
demo staff member on the roster, plus one nobody on the roster has and one with an unverified
address, to show the refusals."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.content import EMAIL_DOMAIN
from learning.choices import StaffStatus
from learning.models import StaffMember

IDP_DIR = Path(settings.BASE_DIR) / "demo" / "idp"
CLIENT_ID = "professional-learning-demo"
CLIENT_SECRET = "demo-client-secret"  # noqa: S105 (a local demo provider's, published here)
CALLBACK = "/accounts/oidc/district/login/callback/"
STRANGER = f"stranger@{EMAIL_DOMAIN}"
UNVERIFIED = f"unverified@{EMAIL_DOMAIN}"


def accounts() -> dict[str, dict]:
    """An account per demo staff member still employed, signed in as by their address."""
    people = StaffMember.objects.filter(is_demo=True).exclude(status=StaffStatus.SEPARATED)
    made = {
        person.email.lower(): {
            "email": person.email,
            "email_verified": True,
            "given_name": person.preferred_name or person.first_name,
            "family_name": person.last_name,
            "employee_id": person.employee_id,
        }
        for person in people.only(
            "email", "first_name", "preferred_name", "last_name", "employee_id"
        )
    }
    made[STRANGER] = {"email": STRANGER, "email_verified": True, "given_name": "Sam"}
    made[UNVERIFIED] = {"email": UNVERIFIED, "email_verified": False, "given_name": "Una"}
    return made


class Command(BaseCommand):
    help = (
        "Run a local OpenID Connect provider (oidc-provider) for the demo's single sign-on, "
        "with an account for each demo staff member. Needs Node.js and npm."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument(
            "--service",
            default="http://127.0.0.1:8000",
            help="The address the service is served at (its sign-in callback is registered).",
        )

    def handle(self, *args, port: int, service: str, **options):
        node, npm = shutil.which("node"), shutil.which("npm")
        if node is None or npm is None:
            raise CommandError(
                "The demo's identity provider needs Node.js and npm: install them "
                "(e.g. apt-get install nodejs npm), then run make run-sso again."
            )
        if not (IDP_DIR / "node_modules" / "oidc-provider").exists():
            self.stdout.write("Installing oidc-provider (npm ci in demo/idp) ...")
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=IDP_DIR, check=True)
        service = service.rstrip("/")
        redirect_uris = sorted(
            {
                service + CALLBACK,
                service.replace("127.0.0.1", "localhost") + CALLBACK,
            }
        )
        people = accounts()
        config = {
            "port": port,
            "clients": [
                {
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "redirect_uris": redirect_uris,
                }
            ],
            "accounts": people,
            "exit_on_stdin_close": True,
        }
        with tempfile.TemporaryDirectory(prefix="demo-idp-") as workdir:
            config_path = Path(workdir) / "config.json"
            config_path.write_text(json.dumps(config))
            # The people behind the demo's logins first: their pages have the most to show.
            shown = list(
                StaffMember.objects.filter(is_demo=True, user__isnull=False)
                .exclude(status=StaffStatus.SEPARATED)
                .order_by("user__username")
                .values_list("email", flat=True)[:3]
            )
            self.stdout.write(
                f"The demo's identity provider serves http://127.0.0.1:{port} with "
                f"{len(people) - 2} demo staff accounts. Sign in there with an address on the "
                f"roster (e.g. {', '.join(shown)}), or with {STRANGER} (not on the roster) or "
                f"{UNVERIFIED} (an unverified address) to see a refusal."
            )
            process = subprocess.Popen(
                [node, str(IDP_DIR / "oidc_provider.mjs"), str(config_path)],
                cwd=IDP_DIR,
                stdin=subprocess.PIPE,
            )

            def stop(signum, frame):
                process.terminate()

            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
            returncode = process.wait()
        if returncode not in (0, -signal.SIGTERM):
            sys.exit(returncode)
