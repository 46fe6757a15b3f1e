"""The portal's accounts: users and roles, one-time sign-in links, passwords (Argon2id), sessions and sign-in
limiting. Every door (the `kpi6 users` commands, the portal's pages) calls these; each change is audited with
the person who made it as actor.

Tokens (session cookies, sign-in links) are 32 random bytes; the database keeps only their SHA-256.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from datetime import datetime, timedelta

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pydantic import BaseModel
from sqlmodel import Session, col, delete, func, select

from kpi6.models.db import PortalSession, PortalUser, SignInFailure, SignInLink
from kpi6.models.errors import InputError, Kpi6Error
from kpi6.models.provinces import registry
from kpi6.models.roles import Role
from kpi6.settings import get_settings
from kpi6.tasks.adapters import repository
from kpi6.tasks.adapters.database import read_scope, session_scope

PASSWORD_MIN = 12  # OWASP ASVS 2.1.1
PASSWORD_MAX = 128
EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")

_hasher = PasswordHash((Argon2Hasher(),))
# A hash to check a password against when the account does not exist, so that both answers take as long.
_DUMMY_HASH = _hasher.hash("kpi6 no such account")


class SignInRefused(Kpi6Error):
    """The same answer for "no such user", "wrong password" and "disabled": nothing to tell them apart."""


class SignInLocked(Kpi6Error):
    """Too many failed sign-ins for the account or the address; `minutes` until the next try."""

    def __init__(self, minutes: int) -> None:
        super().__init__(f"too many failed sign-ins: try again in {minutes} minutes")
        self.minutes = minutes


class UserPublic(BaseModel):
    email: str
    role: Role
    province_code: str | None
    disabled: bool
    has_password: bool
    demo: bool

    @classmethod
    def of(cls, user: PortalUser) -> UserPublic:
        return cls(
            email=user.email,
            role=Role(user.role),
            province_code=user.province_code,
            disabled=user.disabled,
            has_password=user.password_hash is not None,
            demo=user.demo,
        )


class SignedIn(BaseModel):
    """A session just opened: the cookie's token (shown once, to the browser) and its CSRF token."""

    token: str
    csrf: str
    user: UserPublic


class CurrentUser(BaseModel):
    """Who a request's session belongs to."""

    id: int
    email: str
    role: Role
    province_code: str | None
    csrf: str
    session_id: str

    def may_see(self, code: str) -> bool:
        return self.role in (Role.dla, Role.admin) or self.province_code == code


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _normal_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL.match(email) or len(email) > 254:
        raise InputError(f"{email[:80]!r} is not an e-mail address")
    return email


def check_password(password: str) -> str:
    if len(password) < PASSWORD_MIN:
        raise InputError(f"the password is too short: at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise InputError(f"the password is too long: at most {PASSWORD_MAX} characters")
    if not password.isprintable():
        raise InputError("the password holds a control character")
    return password


def _user(session: Session, email: str) -> PortalUser:
    user = session.exec(select(PortalUser).where(PortalUser.email == _normal_email(email))).first()
    if user is None:
        raise InputError(f"no portal user {email!r}")
    return user


def _new_link(session: Session, user: PortalUser, now: datetime) -> str:
    assert user.id is not None  # flushed
    token = secrets.token_urlsafe(32)
    hours = get_settings().portal_link_hours
    session.exec(delete(SignInLink).where(col(SignInLink.user_id) == user.id))  # an older link stops working
    session.add(SignInLink(id=_digest(token), user_id=user.id, created_at=now, expires_at=now + timedelta(hours=hours)))
    return token


def link_url(token: str) -> str:
    return f"{get_settings().portal_url.rstrip('/')}/set-password?token={token}"


def add_user(
    email: str,
    *,
    role: Role,
    province: str | None,
    actor: str,
    now: datetime,
    password: str | None = None,
    demo: bool = False,
) -> tuple[UserPublic, str | None]:
    """Create a user; with no `password`, a one-time link (its token) where the user sets one."""
    email = _normal_email(email)
    if role is Role.office and not province:
        raise InputError("an office user needs --province (its one province)")
    if role is not Role.office and province:
        raise InputError(f"a {role.value} user is not tied to a province: leave out --province")
    code = registry().get(province).code if province else None
    hashed = _hasher.hash(check_password(password)) if password is not None else None
    with session_scope() as session:
        if session.exec(select(PortalUser).where(PortalUser.email == email)).first() is not None:
            raise InputError(f"{email} is a portal user already (kpi6 users reset gives a new sign-in link)")
        user = PortalUser(
            email=email,
            role=role.value,
            province_code=code,
            password_hash=hashed,
            created_at=now,
            password_set_at=now if hashed else None,
            demo=demo,
        )
        session.add(user)
        session.flush()
        token = None if hashed else _new_link(session, user, now)
        repository.audit(
            session=session,
            actor=actor,
            action="user_added",
            at=now,
            province_code=code,
            detail={"email": email, "role": role.value, "demo": demo},
        )
        return UserPublic.of(user), token


def reset_user(email: str, *, actor: str, now: datetime) -> str:
    """Forget the user's password and sessions; a new one-time link (its token)."""
    with session_scope() as session:
        user = _user(session, email)
        user.password_hash = None
        session.exec(delete(PortalSession).where(col(PortalSession.user_id) == user.id))
        token = _new_link(session, user, now)
        repository.audit(session=session, actor=actor, action="user_reset", at=now, detail={"email": user.email})
        return token


def set_disabled(email: str, *, disabled: bool, actor: str, now: datetime) -> UserPublic:
    """Disable (every session ends at once) or enable a user."""
    with session_scope() as session:
        user = _user(session, email)
        user.disabled = disabled
        if disabled:
            session.exec(delete(PortalSession).where(col(PortalSession.user_id) == user.id))
        repository.audit(
            session=session,
            actor=actor,
            action="user_disabled" if disabled else "user_enabled",
            at=now,
            province_code=user.province_code,
            detail={"email": user.email},
        )
        return UserPublic.of(user)


def set_password(email: str, password: str, *, actor: str, now: datetime) -> UserPublic:
    """Set a user's password directly (`kpi6 users add --password-stdin`, scripts)."""
    hashed = _hasher.hash(check_password(password))
    with session_scope() as session:
        user = _user(session, email)
        user.password_hash, user.password_set_at = hashed, now
        session.exec(delete(PortalSession).where(col(PortalSession.user_id) == user.id))
        repository.audit(session=session, actor=actor, action="password_set", at=now, detail={"email": user.email})
        return UserPublic.of(user)


def link_user(token: str, *, now: datetime) -> UserPublic | None:
    """The user a sign-in link is for, while it is unused and unexpired."""
    with session_scope() as session:
        link = session.get(SignInLink, _digest(token))
        if link is None or link.used_at is not None or link.expires_at <= now:
            return None
        user = session.get(PortalUser, link.user_id)
        return UserPublic.of(user) if user is not None and not user.disabled else None


def set_password_with_link(token: str, password: str, *, now: datetime) -> UserPublic:
    """Set the password through a one-time link; the link is used up."""
    hashed = _hasher.hash(check_password(password))
    with session_scope() as session:
        link = session.get(SignInLink, _digest(token), with_for_update=True)
        user = session.get(PortalUser, link.user_id) if link is not None else None
        if link is None or user is None or user.disabled or link.used_at is not None or link.expires_at <= now:
            raise InputError("this sign-in link is used up or has expired: ask DLA for a new one")
        link.used_at = now
        user.password_hash, user.password_set_at = hashed, now
        repository.audit(
            session=session,
            actor=user.email,
            action="password_set",
            at=now,
            province_code=user.province_code,
            detail={"via": "sign-in link"},
        )
        return UserPublic.of(user)


def _locked_minutes(session: Session, email: str, address: str, now: datetime) -> int:
    """Minutes until the account or the address may try again (0: now)."""
    settings = get_settings()
    window = timedelta(minutes=settings.portal_lock_minutes)
    waits = []
    for column, value in ((SignInFailure.email, email), (SignInFailure.address, address)):
        count, last = session.exec(
            select(func.count(), func.max(SignInFailure.at)).where(column == value, SignInFailure.at > now - window)
        ).one()
        if count >= settings.portal_max_failures and last is not None:
            last = last if last.tzinfo else last.replace(tzinfo=now.tzinfo)
            waits.append(last + window - now)
    return max((math.ceil(w.total_seconds() / 60) for w in waits), default=0)


def sign_in(email: str, password: str, *, address: str, now: datetime) -> SignedIn:
    """Open a session for a right e-mail and password. Refused alike for an unknown user, a wrong password and
    a disabled user; refused without checking after too many failures for the account or the address."""
    email = email.strip().lower()[:254]
    address = address[:64]
    with session_scope() as session:
        minutes = _locked_minutes(session, email, address, now)
        user = session.exec(select(PortalUser).where(PortalUser.email == email)).first() if not minutes else None
    if minutes:
        raise SignInLocked(minutes)
    # Argon2 takes its time outside any transaction: a write transaction held meanwhile stalled every page.
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    good = _hasher.verify(password, stored) and len(password) <= PASSWORD_MAX
    with session_scope() as session:  # a failure is committed before it is reported
        usable = user is not None and user.password_hash is not None and not user.disabled and good
        if user is not None and usable:
            fresh = session.get(PortalUser, user.id)
            if fresh is None or fresh.disabled or fresh.password_hash != user.password_hash:
                usable = False  # disabled or reset while the password was being checked
        if not usable:
            session.add(SignInFailure(at=now, email=email, address=address))
            signed = None
        else:
            assert fresh is not None
            signed = _open_session(session, fresh, now)
    if signed is None:
        raise SignInRefused("wrong e-mail or password")
    return signed


def _open_session(session: Session, user: PortalUser, now: datetime) -> SignedIn:
    """A new session for `user` (a new id at every sign-in: a session id known before it is worth nothing)."""
    assert user.id is not None
    session.exec(delete(SignInFailure).where(col(SignInFailure.email) == user.email))
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    hours = get_settings().portal_session_hours
    session.add(
        PortalSession(
            id=_digest(token),
            user_id=user.id,
            csrf=csrf,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
            last_seen=now,
        )
    )
    repository.audit(session=session, actor=user.email, action="signed_in", at=now, province_code=user.province_code)
    return SignedIn(token=token, csrf=csrf, user=UserPublic.of(user))


def session_user(token: str, *, now: datetime) -> CurrentUser | None:
    """Who holds this session token, while the session lives and its user is enabled."""
    import sqlalchemy as sa

    if not token or len(token) > 200:
        return None
    digest = _digest(token)
    s, u = PortalSession.__table__.c, PortalUser.__table__.c  # type: ignore[attr-defined]
    query = (
        sa.select(s.expires_at, s.last_seen, s.csrf, u.id, u.email, u.role, u.province_code, u.disabled)
        .select_from(PortalSession.__table__.outerjoin(PortalUser.__table__, u.id == s.user_id))  # type: ignore[attr-defined]
        .where(s.id == digest)
    )
    with read_scope() as session:  # every request asks: one read, no write lock on SQLite
        row = session.connection().execute(query).first()
    if row is None:
        return None
    ended = row.expires_at <= now or row.id is None or row.disabled
    if ended or now - row.last_seen > timedelta(minutes=5):
        with session_scope() as session:  # an ended session goes; a live one is marked seen, not on every request
            current = session.get(PortalSession, digest)
            if current is None:
                return None
            if ended:
                session.delete(current)
                return None
            current.last_seen = now
    return CurrentUser(
        id=row.id,
        email=row.email,
        role=Role(row.role),
        province_code=row.province_code,
        csrf=row.csrf,
        session_id=digest,
    )


def sign_out(token: str, *, now: datetime) -> None:
    with session_scope() as session:
        row = session.get(PortalSession, _digest(token))
        if row is None:
            return
        user = session.get(PortalUser, row.user_id)
        session.delete(row)
        if user is not None:
            repository.audit(session=session, actor=user.email, action="signed_out", at=now)


def list_users() -> list[UserPublic]:
    with session_scope() as session:
        users = session.exec(select(PortalUser).order_by(col(PortalUser.role), col(PortalUser.email))).all()
        return [UserPublic.of(u) for u in users]


DEMO_DOMAIN = "demo.local"


def demo_email(code: str | None) -> str:
    return f"office-{code.lower()}@{DEMO_DOMAIN}" if code else f"dla@{DEMO_DOMAIN}"


def reset_demo_users(password: str, *, actor: str, now: datetime) -> list[UserPublic]:
    """The demo's accounts, made afresh: dla@demo.local and office-th-NN@demo.local for each province, all with
    `password` and marked demo. Earlier demo accounts (and their sessions and links) go first."""
    hashed = _hasher.hash(check_password(password))  # once: 77 Argon2 hashes would take seconds
    with session_scope() as session:
        old = [u.id for u in session.exec(select(PortalUser).where(col(PortalUser.demo))).all()]
        session.exec(delete(PortalSession).where(col(PortalSession.user_id).in_(old)))
        session.exec(delete(SignInLink).where(col(SignInLink.user_id).in_(old)))
        session.exec(delete(PortalUser).where(col(PortalUser.id).in_(old)))
        session.flush()
        users = [
            PortalUser(
                email=demo_email(None),
                role=Role.dla.value,
                demo=True,
                password_hash=hashed,
                created_at=now,
                password_set_at=now,
            )
        ]
        users += [
            PortalUser(
                email=demo_email(p.code),
                role=Role.office.value,
                province_code=p.code,
                demo=True,
                password_hash=hashed,
                created_at=now,
                password_set_at=now,
            )
            for p in registry()
        ]
        session.add_all(users)
        repository.audit(session=session, actor=actor, action="demo_users", at=now, detail={"users": len(users)})
        return [UserPublic.of(u) for u in users]
