"""Signing in and out, and setting a password through a one-time link."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from kpi6.models.errors import InputError
from kpi6.models.roles import Role
from kpi6.tasks.accounts import (
    CurrentUser,
    SignInLocked,
    SignInRefused,
    link_user,
    set_password_with_link,
    sign_in,
    sign_out,
)
from kpi6.web import pages
from kpi6.web.deps import SESSION_COOKIE, User, client_address, csrf_checked, now

router = APIRouter()
# tasks/accounts.check_password's refusals, by their first words
PASSWORD_TH = {
    "the password is too short": "รหัสผ่านต้องยาวอย่างน้อย ๑๒ ตัวอักษร",
    "the password is too long": "รหัสผ่านต้องยาวไม่เกิน ๑๒๘ ตัวอักษร",
    "the password holds a control character": "รหัสผ่านมีอักขระควบคุม (เช่น แท็บ หรือขึ้นบรรทัดใหม่) ซึ่งใช้ไม่ได้",
}
LOGIN_CSRF_COOKIE = "kpi6_login_csrf"  # before a session exists, the sign-in form's token is double-submitted


def _secure(request: Request) -> bool:
    from kpi6.settings import get_settings

    return get_settings().portal_url.startswith("https://")


def home_of(role: Role, province_code: str | None) -> str:
    return f"/provinces/{province_code}" if role is Role.office else "/dla"


@router.get("/", include_in_schema=False)
def home(user: User) -> RedirectResponse:
    return RedirectResponse(home_of(user.role, user.province_code), status_code=303)


def _login_page(request: Request, *, error: str = "", email: str = "", status_code: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = pages.render(request, "login.html", status_code=status_code, error=error, email=email, csrf=token)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request), max_age=3600
    )
    return response


@router.get("/login", include_in_schema=False)
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=256)],
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(expected.encode(), csrf.encode()):
        raise HTTPException(403, "CSRF token missing or wrong")
    try:
        signed = sign_in(email, password, address=client_address(request), now=now(request))
    except SignInLocked as exc:
        return _login_page(
            request,
            email=email,
            status_code=429,
            error=f"ลงชื่อเข้าใช้ไม่สำเร็จหลายครั้งเกินไป กรุณารอ {pages.env.filters['th_num'](exc.minutes)} นาทีแล้วลองใหม่",
        )
    except SignInRefused:
        return _login_page(request, email=email, status_code=401, error="อีเมลหรือรหัสผ่านไม่ถูกต้อง")
    response = RedirectResponse(home_of(signed.user.role, signed.user.province_code), status_code=303)
    response.set_cookie(SESSION_COOKIE, signed.token, httponly=True, samesite="lax", secure=_secure(request), path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, user: Annotated[CurrentUser, Depends(csrf_checked)]) -> Response:
    sign_out(request.cookies.get(SESSION_COOKIE, ""), now=now(request))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/set-password", include_in_schema=False)
def password_form(request: Request, token: str = "") -> Response:
    user = link_user(token, now=now(request)) if token else None
    if user is None:
        return pages.render(request, "error.html", status_code=404, message="ลิงก์นี้ใช้แล้วหรือหมดอายุแล้ว กรุณาขอลิงก์ใหม่จาก สถ.")
    return pages.render(request, "set_password.html", token=token, account=user.email, error="")


@router.post("/set-password", include_in_schema=False)
def password_set(
    request: Request,
    token: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=256)],
    again: Annotated[str, Form(max_length=256)],
) -> Response:
    # The link's token is the proof here: it is unguessable, single-use and sent to the user alone.
    user = link_user(token, now=now(request))
    if user is None:
        return pages.render(request, "error.html", status_code=404, message="ลิงก์นี้ใช้แล้วหรือหมดอายุแล้ว กรุณาขอลิงก์ใหม่จาก สถ.")
    error = ""
    if password != again:
        error = "รหัสผ่านทั้งสองช่องไม่ตรงกัน"
    else:
        try:
            set_password_with_link(token, password, now=now(request))
        except InputError as exc:
            error = PASSWORD_TH.get(str(exc).split(":")[0], "ตั้งรหัสผ่านไม่สำเร็จ กรุณาลองใหม่")
    if error:
        return pages.render(request, "set_password.html", status_code=400, token=token, account=user.email, error=error)
    return RedirectResponse("/login?password=set", status_code=303)
