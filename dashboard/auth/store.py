"""The deployment's own user store: users, sessions, kiosk credentials, failures, audit.

SQLite in WAL mode with ``synchronous=FULL`` (BRIEF §6), one short connection per
operation so that several gunicorn workers share it safely. Session ids and kiosk
tokens are stored only as SHA-256 hashes: a copy of this file grants nothing.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dashboard.settings import SettingsError

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    street_id TEXT,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    demo INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    street_id TEXT,
    csrf TEXT NOT NULL,
    created REAL NOT NULL,
    last_seen REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS kiosks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    label TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created REAL NOT NULL,
    revoked REAL
);
CREATE TABLE IF NOT EXISTS failures (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS failures_key ON failures (kind, key, at);
CREATE TABLE IF NOT EXISTS audit (
    at REAL NOT NULL,
    event TEXT NOT NULL,
    name TEXT,
    client TEXT,
    detail TEXT
);
"""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class UserRow:
    name: str
    role: str
    street_id: str | None
    password_hash: str
    disabled: bool
    demo: bool


class Store:
    """Thin SQL access; all policy (expiry, throttling) lives in the auth service."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=10)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(SCHEMA_SQL)
            finally:
                db.close()
            os.chmod(self.path, 0o600)
        except (OSError, sqlite3.Error) as error:
            raise SettingsError(
                f"cannot open the user store {self.path}: {getattr(error, 'strerror', None) or error}. "
                "Make it (and its folder) writable for this user, or set REDMAP_USERS_DB to a file that is"
            ) from None

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            db.execute("PRAGMA synchronous=FULL")
            db.execute("BEGIN IMMEDIATE")
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    # -- users ---------------------------------------------------------------------
    def put_user(self, row: UserRow, now: float) -> bool:
        """Create or replace a user; True when an existing user's rights or password changed.

        A change of role, street or password ends the user's sessions in the same
        transaction: a demoted admin's open browser must not keep the old rights.
        """
        with self._connect() as db:
            before = db.execute(
                "SELECT role, street_id, password_hash FROM users WHERE name = ?", (row.name,)
            ).fetchone()
            changed = before is not None and tuple(before) != (row.role, row.street_id, row.password_hash)
            if changed:
                db.execute("DELETE FROM sessions WHERE name = ? AND role != 'kiosk'", (row.name,))
            db.execute(
                "INSERT INTO users (name, role, street_id, password_hash, disabled, demo, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET role=excluded.role,"
                " street_id=excluded.street_id, password_hash=excluded.password_hash,"
                " disabled=excluded.disabled, demo=excluded.demo",
                (row.name, row.role, row.street_id, row.password_hash, int(row.disabled), int(row.demo), now),
            )
        return changed

    def get_user(self, name: str) -> UserRow | None:
        with self._connect() as db:
            r = db.execute(
                "SELECT name, role, street_id, password_hash, disabled, demo FROM users WHERE name = ?",
                (name,),
            ).fetchone()
        return None if r is None else UserRow(r[0], r[1], r[2], r[3], bool(r[4]), bool(r[5]))

    def list_users(self) -> list[UserRow]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT name, role, street_id, password_hash, disabled, demo FROM users ORDER BY name"
            ).fetchall()
        return [UserRow(r[0], r[1], r[2], r[3], bool(r[4]), bool(r[5])) for r in rows]

    def set_disabled(self, name: str, disabled: bool) -> bool:
        with self._connect() as db:
            changed = db.execute(
                "UPDATE users SET disabled = ? WHERE name = ?", (int(disabled), name)
            ).rowcount
            if disabled:
                db.execute("DELETE FROM sessions WHERE name = ? AND role != 'kiosk'", (name,))
        return bool(changed)

    # -- sessions ------------------------------------------------------------------
    def add_session(
        self, session_id: str, name: str, role: str, street_id: str | None, csrf: str, now: float
    ) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT INTO sessions (id_hash, name, role, street_id, csrf, created, last_seen)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (token_hash(session_id), name, role, street_id, csrf, now, now),
            )

    def get_session(self, session_id: str) -> tuple[str, str, str | None, str, float, float] | None:
        with self._connect() as db:
            return db.execute(
                "SELECT name, role, street_id, csrf, created, last_seen FROM sessions WHERE id_hash = ?",
                (token_hash(session_id),),
            ).fetchone()

    def touch_session(self, session_id: str, now: float) -> None:
        with self._connect() as db:
            db.execute("UPDATE sessions SET last_seen = ? WHERE id_hash = ?", (now, token_hash(session_id)))

    def delete_session(self, session_id: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM sessions WHERE id_hash = ?", (token_hash(session_id),))

    def purge_sessions(self, idle_before: float, created_before: float) -> None:
        with self._connect() as db:
            db.execute(
                "DELETE FROM sessions WHERE last_seen < ? OR created < ?", (idle_before, created_before)
            )

    # -- kiosk credentials ---------------------------------------------------------
    def add_kiosk(self, label: str, token: str, now: float) -> int:
        with self._connect() as db:
            cur = db.execute(
                "INSERT INTO kiosks (label, token_hash, created) VALUES (?, ?, ?)",
                (label, token_hash(token), now),
            )
            return int(cur.lastrowid or 0)

    def find_kiosk(self, token: str) -> tuple[int, str] | None:
        with self._connect() as db:
            return db.execute(
                "SELECT id, label FROM kiosks WHERE token_hash = ? AND revoked IS NULL", (token_hash(token),)
            ).fetchone()

    def revoke_kiosk(self, kiosk_id: int, now: float) -> bool:
        with self._connect() as db:
            row = db.execute(
                "SELECT label FROM kiosks WHERE id = ? AND revoked IS NULL", (kiosk_id,)
            ).fetchone()
            if row is None:
                return False
            db.execute("UPDATE kiosks SET revoked = ? WHERE id = ?", (now, kiosk_id))
            db.execute("DELETE FROM sessions WHERE role = 'kiosk' AND name = ?", (f"kiosk:{kiosk_id}",))
            return True

    def list_kiosks(self) -> list[tuple[int, str, float, float | None]]:
        with self._connect() as db:
            return db.execute("SELECT id, label, created, revoked FROM kiosks ORDER BY id").fetchall()

    # -- login attempts and audit --------------------------------------------------
    def reserve_attempt(
        self,
        keys: Sequence[tuple[str, str]],
        since: float,
        now: float,
        check: Callable[[Mapping[tuple[str, str], tuple[int, float | None]]], None],
    ) -> list[int]:
        """Count recent failures, let ``check`` refuse (by raising), else book this attempt as one.

        Counting and booking happen in one write transaction, before the slow password
        check: of many simultaneous guesses, no more are judged than the limit allows.
        ``check`` gets, per (kind, key), the failures since ``since`` and the latest
        one's time; what it raises rolls the transaction back and reaches the caller.
        Returns the booked rows (give them to :meth:`settle_attempt` when the attempt
        succeeds).
        """
        with self._connect() as db:
            seen = {
                key: tuple(
                    db.execute(
                        "SELECT COUNT(*), MAX(at) FROM failures WHERE kind = ? AND key = ? AND at >= ?",
                        (*key, since),
                    ).fetchone()
                )
                for key in keys
            }
            check(seen)  # type: ignore[arg-type]
            insert = "INSERT INTO failures (kind, key, at) VALUES (?, ?, ?)"
            return [int(db.execute(insert, (*key, now)).lastrowid or 0) for key in keys]

    def settle_attempt(self, booked: Sequence[int], clear: tuple[str, str] | None = None) -> None:
        """A booked attempt succeeded: drop its rows, and the earlier failures of ``clear``.

        Only failures booked before this attempt are cleared: guesses still being
        checked keep their place in the count.
        """
        with self._connect() as db:
            db.executemany("DELETE FROM failures WHERE rowid = ?", [(i,) for i in booked])
            if clear is not None and booked:
                db.execute(
                    "DELETE FROM failures WHERE kind = ? AND key = ? AND rowid < ?", (*clear, min(booked))
                )

    def audit(self, now: float, event: str, name: str | None, client: str | None, detail: str = "") -> None:
        with self._connect() as db:
            db.execute(
                "INSERT INTO audit (at, event, name, client, detail) VALUES (?, ?, ?, ?, ?)",
                (now, event, name, client, detail),
            )

    def audit_events(self, limit: int = 100) -> list[tuple[float, str, str | None, str | None, str]]:
        with self._connect() as db:
            return db.execute(
                "SELECT at, event, name, client, detail FROM audit ORDER BY rowid DESC LIMIT ?", (limit,)
            ).fetchall()
