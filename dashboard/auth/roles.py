"""Who may do what: roles, the signed-in principal, and the access matrix.

============  ===========================================================
role          may
============  ===========================================================
admin         every face; personal data of every street; user management
street_staff  staff workspace and wall; personal data of its own street
              only (masked elsewhere)
viewer        the wall's read-only aggregates
kiosk         the wall's read-only aggregates (a display credential)
public        the public finder and its API only (anonymous)
============  ===========================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["admin", "street_staff", "viewer", "kiosk", "public"]
ROLES: tuple[Role, ...] = ("admin", "street_staff", "viewer", "kiosk", "public")
USER_ROLES: tuple[Role, ...] = ("admin", "street_staff", "viewer")
"""Roles a person can log in with (kiosk is a display credential, public is anonymous)."""

FACE_ROLES: dict[str, frozenset[Role]] = {
    "public": frozenset(ROLES),
    "staff": frozenset({"admin", "street_staff"}),
    "wall": frozenset({"admin", "street_staff", "viewer", "kiosk"}),
    "admin": frozenset({"admin"}),
}
"""Faces (URL areas) and the roles allowed into each."""


@dataclass(frozen=True)
class Principal:
    """The user behind a request, as established on the server.

    Attributes
    ----------
    name : str
        User name ('' for anonymous, the credential label for a kiosk).
    role : Role
    street_id : str or None
        The street a ``street_staff`` user works for.
    session_id : str or None
        Server-side session, None for anonymous.
    """

    name: str
    role: Role
    street_id: str | None = None
    session_id: str | None = None

    def may_enter(self, face: str) -> bool:
        return self.role in FACE_ROLES.get(face, frozenset())

    def sees_personal_data_of(self, street_id: str | None) -> bool:
        """Whether personal fields of a record in ``street_id`` may be shown unmasked."""
        if self.role == "admin":
            return True
        return self.role == "street_staff" and street_id is not None and street_id == self.street_id

    @property
    def is_authenticated(self) -> bool:
        return self.role != "public"


ANONYMOUS = Principal(name="", role="public")
