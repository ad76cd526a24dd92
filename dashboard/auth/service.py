"""Authentication policy: logins, throttling, sessions with idle and absolute expiry, kiosks.

Everything time-dependent reads an injected clock, so tests can drive time.
"""

from __future__ import annotations

import logging
import math
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .passwords import check_strength, hash_password, verify_password
from .roles import USER_ROLES, Principal
from .store import Store, UserRow

log = logging.getLogger("redmap.auth")

IDLE_SECONDS = 30 * 60
ABSOLUTE_SECONDS = 12 * 3600
FAILURE_WINDOW = 15 * 60
MAX_ACCOUNT_FAILURES = 10
"""After this many failed passwords for one account within the window, every further
attempt is refused, even with the right password, until the window has passed."""
MAX_CLIENT_FAILURES = 30
"""After this many failures from one address within the window, that address is slowed
down, never locked out: each further attempt waits twice as long as the last (2 s, 4 s,
… up to :data:`MAX_CLIENT_DELAY`). Staff behind one office address (NAT, a proxy) can
still sign in while someone among them guesses; a guesser gets ~60 tries an hour."""
MAX_CLIENT_DELAY = 60
TOUCH_EVERY = 60
"""Seconds between writes of a session's last-seen time (keeps reads cheap)."""


def client_delay(failures: int) -> float:
    """Seconds an address must wait after its last failure, given its recent failures."""
    if failures < MAX_CLIENT_FAILURES:
        return 0.0
    return float(min(MAX_CLIENT_DELAY, 2 ** (failures - MAX_CLIENT_FAILURES + 1)))


# Same time for a wrong name as for a wrong password, so names cannot be probed.
_DUMMY_HASH = hash_password(secrets.token_hex(8))


class AuthError(Exception):
    """A login was refused; ``reason`` is shown to the user (never which part was wrong).

    ``retry_after`` (seconds) is set when the refusal is a throttle, not a judgement.
    """

    def __init__(self, reason: str, retry_after: int | None = None, reason_zh: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.reason_zh = reason_zh
        self.retry_after = retry_after

    @property
    def throttled(self) -> bool:
        return self.retry_after is not None


ACCOUNT_LOCKED = "too many failed attempts; try again in 15 minutes"


@dataclass(frozen=True)
class Session:
    """A new server-side session: the cookie value and its CSRF token."""

    session_id: str
    csrf: str
    principal: Principal


class AuthService:
    """Logins and sessions over a :class:`Store`."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    # -- users -----------------------------------------------------------------------
    def add_user(
        self,
        name: str,
        role: str,
        password: str,
        street_id: str | None = None,
        demo: bool = False,
        password_hash: str | None = None,
    ) -> bool:
        """Create or replace a user; ValueError says what is wrong with the request.

        Returns True when an existing user's role, street or password changed, which
        ends their open sessions.

        ``password_hash`` (of ``password``, from :func:`hash_password`) spares the
        deliberately slow hashing when many accounts share one password: the demo
        accounts, ~1,200 of them at 100 times the demo district (80 ms each).
        """
        if not name or not name.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"user name {name!r} must be letters, digits, '-' or '_'")
        if role not in USER_ROLES:
            raise ValueError(f"role must be one of {', '.join(USER_ROLES)}, not {role!r}")
        if (role == "street_staff") != bool(street_id):
            raise ValueError("a street_staff user needs --street, and only a street_staff user has one")
        weak = check_strength(password)
        if weak:
            raise ValueError(weak)
        stored = password_hash or hash_password(password)
        ended = self.store.put_user(UserRow(name, role, street_id, stored, False, demo), self.clock())
        detail = f"role={role} street={street_id or ''}" + (" sessions_ended" if ended else "")
        self.store.audit(self.clock(), "user_saved", name, None, detail)
        return ended

    def disable_user(self, name: str, disabled: bool = True) -> bool:
        changed = self.store.set_disabled(name, disabled)
        if changed:
            self.store.audit(self.clock(), "user_disabled" if disabled else "user_enabled", name, None)
        return changed

    # -- login -------------------------------------------------------------------------
    def login(self, name: str, password: str, client: str) -> Session:
        """Check a password and open a new session (a fresh id at every login).

        Raises
        ------
        AuthError
            Wrong name or password, a disabled account, or too many recent failures
            for this account or this client.
        """
        now = self.clock()

        def check(seen: Mapping[tuple[str, str], tuple[int, float | None]]) -> None:
            if seen[("account", name)][0] >= MAX_ACCOUNT_FAILURES:
                raise AuthError(ACCOUNT_LOCKED, retry_after=FAILURE_WINDOW)
            self._check_client(seen[("client", client)], now)

        try:
            booked = self.store.reserve_attempt(
                [("account", name), ("client", client)], now - FAILURE_WINDOW, now, check
            )
        except AuthError:
            self.store.audit(now, "login_throttled", name, client)
            log.warning("login throttled for %r from %s", name, client)
            raise
        # The attempt is already counted as a failure; the slow check comes after.
        user = self.store.get_user(name)
        ok = verify_password(password, user.password_hash if user else _DUMMY_HASH)
        if not ok or user is None or user.disabled:
            self.store.audit(now, "login_failed", name, client, "disabled" if user and ok else "")
            log.warning("login failed for %r from %s", name, client)
            raise AuthError("wrong user name or password")
        self.store.settle_attempt(booked, clear=("account", name))
        self.store.audit(now, "login", name, client)
        log.info("login %r (%s) from %s", name, user.role, client)
        return self._open(name, user.role, user.street_id)

    @staticmethod
    def _check_client(seen: tuple[int, float | None], now: float) -> None:
        """Refuse (AuthError with ``retry_after``) an address that must still wait."""
        failures, last = seen
        delay = client_delay(failures)
        if delay <= 0:
            # Below the limit nothing is judged by time: a request that read its clock
            # just before a simultaneous one booked its failure must not wait for it.
            return
        wait = delay - (now - (last or now))
        if wait <= 0:
            return
        seconds = max(1, math.ceil(wait))
        raise AuthError(
            f"too many failed attempts from this address; try again in {seconds} seconds",
            retry_after=seconds,
            reason_zh=f"此地址失败次数过多，请{seconds}秒后再试",
        )

    def kiosk_login(self, token: str, client: str) -> Session:
        """Open a wall-only session from a kiosk credential."""
        now = self.clock()
        booked = self.store.reserve_attempt(
            [("client", client)],
            now - FAILURE_WINDOW,
            now,
            lambda seen: self._check_client(seen[("client", client)], now),
        )
        found = self.store.find_kiosk(token)
        if found is None:
            self.store.audit(now, "kiosk_failed", None, client)
            raise AuthError("this display link is not valid (revoked or mistyped)")
        self.store.settle_attempt(booked)
        kiosk_id, label = found
        self.store.audit(now, "kiosk_login", f"kiosk:{kiosk_id}", client, label)
        return self._open(f"kiosk:{kiosk_id}", "kiosk", None)

    def _open(self, name: str, role: str, street_id: str | None) -> Session:
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.clock()
        self.store.purge_sessions(now - IDLE_SECONDS, now - ABSOLUTE_SECONDS)
        self.store.add_session(session_id, name, role, street_id, csrf, now)
        return Session(session_id, csrf, Principal(name, role, street_id, session_id))  # type: ignore[arg-type]

    # -- sessions ------------------------------------------------------------------------
    def resolve(self, session_id: str | None) -> tuple[Principal, str] | None:
        """The principal and CSRF token of a live session, or None (expired, unknown, ended).

        Kiosk sessions have no idle limit: a wall display runs unattended for days;
        revoking its credential ends them.
        """
        if not session_id:
            return None
        row = self.store.get_session(session_id)
        if row is None:
            return None
        name, role, street_id, csrf, created, last_seen = row
        now = self.clock()
        idle_expired = role != "kiosk" and now - last_seen > IDLE_SECONDS
        if idle_expired or (role != "kiosk" and now - created > ABSOLUTE_SECONDS):
            self.store.delete_session(session_id)
            return None
        if role != "kiosk":
            # The user row, not the session row, decides the rights: a change of role or
            # street takes effect at the very next request (saving it also ends sessions).
            user = self.store.get_user(name)
            if user is None or user.disabled or (user.role, user.street_id) != (role, street_id):
                self.store.delete_session(session_id)
                return None
        if now - last_seen > TOUCH_EVERY:
            self.store.touch_session(session_id, now)
        return Principal(name, role, street_id, session_id), csrf

    def logout(self, principal: Principal, client: str) -> None:
        if principal.session_id:
            self.store.delete_session(principal.session_id)
            self.store.audit(self.clock(), "logout", principal.name, client)

    # -- kiosk credentials -----------------------------------------------------------------
    def create_kiosk(self, label: str) -> tuple[int, str]:
        """A new long-lived wall credential: (id, token). The token is shown once."""
        token = secrets.token_urlsafe(24)
        kiosk_id = self.store.add_kiosk(label, token, self.clock())
        self.store.audit(self.clock(), "kiosk_created", f"kiosk:{kiosk_id}", None, label)
        return kiosk_id, token

    def revoke_kiosk(self, kiosk_id: int) -> bool:
        revoked = self.store.revoke_kiosk(kiosk_id, self.clock())
        if revoked:
            self.store.audit(self.clock(), "kiosk_revoked", f"kiosk:{kiosk_id}", None)
        return revoked
