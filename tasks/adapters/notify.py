"""Reminders and alerts out: e-mail through the project's sender, and any Apprise URL in KPI6_NOTIFY_URLS
(LINE, Telegram, Microsoft Teams, Slack, ...). URLs carry tokens: they are never printed."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

from kpi6.models.errors import DeliveryError, SettingsError
from kpi6.tasks.adapters.files import read_yaml
from kpi6.tasks.adapters.mail import sender_address, transport_from_settings

if TYPE_CHECKING:
    from kpi6.settings import Settings


def notify_urls(settings: Settings) -> list[str]:
    return [u.strip() for u in settings.notify_urls.split(",") if u.strip()]


def contacts(settings: Settings) -> dict[str, list[str]]:
    """Province code -> e-mail addresses, from KPI6_CONTACTS_FILE (YAML)."""
    if not settings.contacts_file:
        return {}
    data = read_yaml(settings.contacts_file, what="KPI6_CONTACTS_FILE", error=SettingsError, follow_links=True) or {}
    if not isinstance(data, dict):
        raise SettingsError(f"KPI6_CONTACTS_FILE {settings.contacts_file}: expected `TH-50: [address, ...]` lines")
    return {str(k): [v] if isinstance(v, str) else list(v) for k, v in data.items()}


def recipients(settings: Settings, province_code: str, *, single_province: bool) -> list[str]:
    """Who gets a province's reminders by e-mail: its contacts, or the office's own address when the office
    runs its own province."""
    found = contacts(settings).get(province_code, [])
    if not found and single_province and settings.office_email:
        found = [settings.office_email]
    return found


def send_notice(subject: str, body: str, *, to: list[str], settings: Settings, outbox: Path) -> list[str]:
    """Send one notice on every channel configured; the channels it went out on. Raises if one fails."""
    channels: list[str] = []
    if to:
        msg = EmailMessage()
        msg["Subject"] = subject
        msg["From"] = sender_address(settings)
        msg["To"] = ", ".join(to)
        msg["Date"] = format_datetime(datetime.now(UTC))
        msg["Message-ID"] = make_msgid(domain="kpi6.local")
        msg.set_content(body, charset="utf-8")
        transport = transport_from_settings(settings, outbox)
        transport.send(msg)
        channels.append(f"email:{transport.name}")
    urls = notify_urls(settings)
    if urls:
        import apprise

        ap = apprise.Apprise()
        for url in urls:
            if not ap.add(url):
                raise SettingsError(
                    "KPI6_NOTIFY_URLS has a URL Apprise does not understand (not shown: it may hold a token)"
                )
        if not ap.notify(title=subject, body=body):
            raise DeliveryError("a notification channel of KPI6_NOTIFY_URLS did not take the message")
        channels.append("apprise")
    return channels


def alert_failure(
    *, province: str, round_id: str, steps: list[int], error: str, settings: Settings, outbox: Path
) -> list[str]:
    """Tell DLA (KPI6_ALERT_EMAILS and KPI6_NOTIFY_URLS) that a province run failed, naming the step and error."""
    where = f"ขั้นตอนที่ {', '.join(map(str, steps))}" if steps else "ก่อนเริ่มขั้นตอน"
    subject = f"kpi6: งานของ {province} รอบ {round_id} ล้มเหลว ({where})"
    body = f"{subject}\n\nสาเหตุ: {error}\n\nดูรายละเอียดใน Prefect UI (flow run ของ {province})"
    to = [a.strip() for a in settings.alert_emails.split(",") if a.strip()]
    return send_notice(subject, body, to=to, settings=settings, outbox=outbox)


def send_sign_in_link(email: str, url: str) -> bool:
    """E-mail a new user's one-time sign-in link when a real mail server is set (KPI6_SMTP_URL); never to the
    notification channels (the link signs its holder in). True if it went out."""
    from kpi6.settings import get_settings

    settings = get_settings()
    if settings.smtp_url is None:
        return False
    msg = EmailMessage()
    msg["Subject"] = "kpi6: ลิงก์ตั้งรหัสผ่านเข้าใช้ระบบรายงานตัวชี้วัดที่ 6"
    msg["From"] = sender_address(settings)
    msg["To"] = email
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain="kpi6.local")
    msg.set_content(
        f"เปิดลิงก์นี้เพื่อตั้งรหัสผ่าน (ใช้ได้ครั้งเดียว ภายใน {settings.portal_link_hours:g} ชั่วโมง):\n\n{url}\n\n"
        "หากท่านไม่ได้ขอบัญชีนี้ โปรดแจ้งผู้ดูแลระบบของ สถ.",
        charset="utf-8",
    )
    transport_from_settings(settings, settings.data_dir / "outbox").send(msg)
    return True
