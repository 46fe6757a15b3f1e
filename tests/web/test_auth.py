"""Signing in: one message for every refusal, limiting per account and per address, CSRF, expiry, disabled
users, one-time links; every action audited with the signed-in user as actor."""

from __future__ import annotations

from sqlmodel import select

from kpi6.models.db import AuditLog, PortalSession, SignInFailure
from kpi6.tasks.adapters.database import session_scope
from tests.web.conftest import PASSWORD, USERS, Portal, csrf_of, sign_in

CLERK = USERS["office"][0]


def test_unknown_user_wrong_password_and_disabled_user_get_the_same_answer(portal: Portal) -> None:
    from kpi6.tasks.accounts import set_disabled

    client = portal.client()
    unknown = sign_in(client, "nobody@th50.example", PASSWORD)
    wrong = sign_in(client, CLERK, PASSWORD + "x")
    set_disabled(USERS["other"][0], disabled=True, actor="pytest", now=portal.clock())
    disabled = sign_in(client, USERS["other"][0], PASSWORD)
    assert unknown.status_code == wrong.status_code == disabled.status_code == 401
    assert all("อีเมลหรือรหัสผ่านไม่ถูกต้อง" in r.text for r in (unknown, wrong, disabled))
    assert "kpi6_session" not in client.cookies


def test_five_failures_make_the_account_wait_fifteen_minutes_said_in_thai(portal: Portal) -> None:
    client = portal.client()
    for _ in range(5):
        assert sign_in(client, CLERK, "wrong password!!").status_code == 401
    locked = sign_in(client, CLERK, PASSWORD)  # even the right password waits
    assert locked.status_code == 429 and "กรุณารอ ๑๕ นาที" in locked.text
    portal.clock.advance(minutes=14)
    assert sign_in(client, CLERK, PASSWORD).status_code == 429
    portal.clock.advance(minutes=2)
    assert sign_in(client, CLERK, PASSWORD).status_code == 303


def test_failures_are_counted_per_address_too_and_kept_in_the_database(portal: Portal) -> None:
    client = portal.client()
    for i in range(5):  # one address trying five accounts
        sign_in(client, f"guess{i}@th50.example", "not it at all")
    assert sign_in(client, USERS["dla"][0], PASSWORD).status_code == 429
    with session_scope() as session:
        assert len(session.exec(select(SignInFailure)).all()) == 5


def test_a_post_without_its_csrf_token_is_refused(portal: Portal) -> None:
    client = portal.signed_in("office")
    assert client.post("/logout").status_code == 403
    assert client.post("/logout", data={"csrf": "forged"}).status_code == 403
    assert client.get("/provinces/TH-50").status_code == 200  # still signed in
    fresh = portal.client()
    fresh.get("/login")
    assert fresh.post("/login", data={"email": CLERK, "password": PASSWORD, "csrf": "forged"}).status_code == 403
    assert client.post("/logout", data={"csrf": csrf_of(client)}).status_code == 303
    assert client.get("/provinces/TH-50").status_code == 303


def test_the_session_cookie_is_http_only_lax_and_new_at_every_sign_in(portal: Portal) -> None:
    client = portal.client()
    first = sign_in(client, CLERK, PASSWORD)
    cookie = first.headers["set-cookie"]
    assert "kpi6_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    token = client.cookies["kpi6_session"]
    sign_in(client, CLERK, PASSWORD)
    assert client.cookies["kpi6_session"] != token
    with session_scope() as session:
        assert token not in {s.id for s in session.exec(select(PortalSession)).all()}  # stored as a digest


def test_a_session_expires(portal: Portal) -> None:
    client = portal.signed_in("office")
    portal.clock.advance(hours=11)
    assert client.get("/provinces/TH-50").status_code == 200
    portal.clock.advance(hours=2)
    assert client.get("/provinces/TH-50").status_code == 303


def test_a_disabled_users_sessions_stop_at_once(portal: Portal) -> None:
    from kpi6.tasks.accounts import set_disabled

    client = portal.signed_in("office")
    assert client.get("/provinces/TH-50").status_code == 200
    set_disabled(CLERK, disabled=True, actor="officer@dla.example", now=portal.clock())
    assert client.get("/provinces/TH-50").status_code == 303
    assert client.get("/api/provinces/TH-50").status_code == 401


def test_a_sign_in_link_sets_the_password_once_and_expires(portal: Portal) -> None:
    from kpi6.models.roles import Role
    from kpi6.tasks.accounts import add_user

    _, token = add_user("new@th50.example", role=Role.office, province="TH-50", actor="admin@dla", now=portal.clock())
    assert token
    client = portal.client()
    page = client.get(f"/set-password?token={token}")
    assert page.status_code == 200 and "new@th50.example" in page.text
    short = client.post("/set-password", data={"token": token, "password": "short", "again": "short"})
    assert short.status_code == 400 and "๑๒" in short.text
    done = client.post("/set-password", data={"token": token, "password": PASSWORD, "again": PASSWORD})
    assert done.status_code == 303
    again = client.post("/set-password", data={"token": token, "password": PASSWORD + "!", "again": PASSWORD + "!"})
    assert again.status_code == 404  # used up
    assert sign_in(client, "new@th50.example", PASSWORD).status_code == 303

    _, late = add_user("late@th50.example", role=Role.office, province="TH-50", actor="admin@dla", now=portal.clock())
    portal.clock.advance(hours=73)
    assert client.get(f"/set-password?token={late}").status_code == 404


def test_signing_in_and_out_is_audited_with_the_user_as_actor(portal: Portal) -> None:
    client = portal.signed_in("office")
    client.post("/logout", data={"csrf": csrf_of(client)})
    with session_scope() as session:
        actions = [(a.actor, a.action) for a in session.exec(select(AuditLog)).all()]
    assert (CLERK, "signed_in") in actions and (CLERK, "signed_out") in actions


# --- found by an attack on the first slice: each failed before its fix ------------------------------------------


def test_a_password_is_never_cut_and_a_long_one_is_refused_without_echoing_it(portal: Portal) -> None:
    from kpi6.models.roles import Role
    from kpi6.tasks.accounts import add_user

    long = "ก" * 128
    add_user("long@th50.example", role=Role.office, province="TH-50", actor="pytest", now=portal.clock(), password=long)
    client = portal.client()
    assert sign_in(client, "long@th50.example", long + "JUNK").status_code == 401
    assert sign_in(client, "long@th50.example", long).status_code == 303
    huge = portal.client()
    answer = sign_in(huge, CLERK, "x" * 300)  # over the form's bound
    assert answer.status_code == 422 and "x" * 300 not in answer.text and "ข้อมูลที่ส่งมาไม่ถูกต้อง" in answer.text


def test_a_control_character_in_a_new_password_is_named_as_such(portal: Portal) -> None:
    from kpi6.models.roles import Role
    from kpi6.tasks.accounts import add_user

    _, token = add_user("tab@th50.example", role=Role.office, province="TH-50", actor="pytest", now=portal.clock())
    bad = PASSWORD + "\t"
    answer = portal.client().post("/set-password", data={"token": token, "password": bad, "again": bad})
    assert answer.status_code == 400 and "อักขระควบคุม" in answer.text


def test_no_redirect_follows_the_host_header_and_a_large_body_is_refused_unread(portal: Portal) -> None:
    client = portal.signed_in("office")
    answer = client.get("/provinces/TH-50/", headers={"Host": "evil.example"})
    assert answer.status_code == 404 and "evil.example" not in answer.headers.get("location", "")
    big = portal.client().post("/login", content=b"a" * (2 * 1024 * 1024), headers={"Content-Type": "text/plain"})
    assert big.status_code == 413


def test_the_api_description_is_for_signed_in_users(portal: Portal) -> None:
    assert portal.client().get("/api/openapi.json").status_code == 401
    assert portal.client().get("/api/docs").status_code in (303, 404)
    paths = portal.signed_in("office").get("/api/openapi.json").json()["paths"]
    assert "/api/provinces/{code}" in paths


def test_an_evidence_entry_that_is_not_a_web_link_is_shown_as_text(portal: Portal) -> None:
    from kpi6.models.db import StepProgress

    client = portal.signed_in("office")
    client.get("/provinces/TH-50")  # the round is in the database once the portal has started
    with session_scope() as session:
        session.add(
            StepProgress(
                province_code="TH-50",
                round_id="2567-1",
                step=1,
                state="pending",
                evidence=["javascript:alert(document.domain)", "//evil.example/login", "https://drive.example/f"],
            )
        )
    page = client.get("/provinces/TH-50").text
    assert 'href="javascript:' not in page and 'href="//evil' not in page
    assert 'href="https://drive.example/f"' in page
