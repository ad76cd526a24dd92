"""Administration from the shell: ``python -m dashboard users|kiosk …``.

users add NAME --role ROLE [--street CODE] [--password-stdin]
users disable NAME | users enable NAME | users list
kiosk add LABEL        (prints the wall display link, shown once)
kiosk revoke ID | kiosk list

The user store is ``REDMAP_USERS_DB`` (default ``var/users.sqlite``).
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time

from dashboard.auth.roles import USER_ROLES
from dashboard.auth.service import AuthService
from dashboard.auth.store import Store
from dashboard.settings import Settings, SettingsError


def _street_ids(settings: Settings) -> set[str] | None:
    """Street codes of the deployment's data, to catch a mistyped --street (None if unreadable)."""
    try:
        from geodata.gpkg import read_frame

        return set(read_frame(settings.data, "streets")["id"].astype(str))
    except Exception:
        return None


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat: ") != first:
        raise ValueError("the two passwords differ")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="area", required=True)
    users = sub.add_parser("users").add_subparsers(dest="action", required=True)
    add = users.add_parser("add", help="create a user, or reset an existing one")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=USER_ROLES)
    add.add_argument("--street", help="statistics code of the street (street_staff only), e.g. 610402001")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    for action in ("disable", "enable"):
        users.add_parser(action).add_argument("name")
    users.add_parser("list")
    kiosk = sub.add_parser("kiosk").add_subparsers(dest="action", required=True)
    kiosk.add_parser("add").add_argument("label")
    kiosk.add_parser("revoke").add_argument("id", type=int)
    kiosk.add_parser("list")
    args = parser.parse_args(argv)

    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    auth = AuthService(Store(settings.users_db))
    try:
        return _run(args, auth, settings)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, auth: AuthService, settings: Settings) -> int:
    if args.area == "users" and args.action == "add":
        known = _street_ids(settings)
        if args.street and known is not None and args.street not in known:
            raise ValueError(
                f"no street {args.street!r} in {settings.data.name}; known: {', '.join(sorted(known))}"
            )
        password = _read_password(args.password_stdin)
        ended = auth.add_user(args.name, args.role, password, street_id=args.street)
        print(
            f"saved user {args.name} ({args.role}{', street ' + args.street if args.street else ''})"
            + ("; its open sessions have ended" if ended else "")
        )
    elif args.area == "users" and args.action in ("disable", "enable"):
        if not auth.disable_user(args.name, args.action == "disable"):
            raise ValueError(f"no user {args.name!r}")
        print(
            f"{args.action}d {args.name}; its sessions have ended" if args.action == "disable" else "enabled"
        )
    elif args.area == "users":
        for user in auth.store.list_users():
            state = ("disabled" if user.disabled else "active") + (" (demo)" if user.demo else "")
            print(f"{user.name:24} {user.role:13} {user.street_id or '-':10} {state}")
    elif args.action == "add":
        kiosk_id, token = auth.create_kiosk(args.label)
        print(f"kiosk {kiosk_id} ({args.label}). Open this on the wall screen (shown only now):")
        print(f"  http://{settings.host}:{settings.port}/wall/?kiosk={token}")
    elif args.action == "revoke":
        if not auth.revoke_kiosk(args.id):
            raise ValueError(f"no active kiosk {args.id}")
        print(f"revoked kiosk {args.id}; its wall sessions have ended")
    else:
        for kiosk_id, label, created, revoked in auth.store.list_kiosks():
            when = time.strftime("%Y-%m-%d", time.localtime(created))
            print(f"{kiosk_id:4} {label:30} created {when} {'revoked' if revoked else 'active'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
