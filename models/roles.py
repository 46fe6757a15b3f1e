"""The portal's roles, apart from the database's models: the CLI offers them without importing SQLModel."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Who a portal user is: an office acts for its one province; DLA reads every province and may act for one
    (audited); an admin manages users."""

    office = "office"
    dla = "dla"
    admin = "admin"
