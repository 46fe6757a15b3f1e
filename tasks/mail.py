"""Reports by e-mail: Form N's .docx and .pdf to the DLA mailbox, in Thai, sent once.

Transport from `KPI6_SMTP_URL` (`smtp://user:pass@host:587` with STARTTLS, `smtps://...:465` for implicit
TLS); without it, the embedded default writes `.eml` files to `outbox/` in the data folder. The
Message-ID names the province, round, form and version, and a small receipt next to the forms records
each message the server accepted, so a run that stops after sending and before recording does not send
again when re-run.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

from kpi6.models.errors import DeliveryError, SettingsError
from kpi6.models.thai import thai_digits
from kpi6.tasks.limits import SMTP_TAG, limited
from pydantic import BaseModel

DOCX = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
PDF = ("application", "pdf")
PLACEHOLDERS = {"", "changeme", "change-me", "change_me", "password", "secret", "xxx", "xxxx", "<password>",
                "your-password", "yourpassword", "pass", "todo", "replace-me"}
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class Report(BaseModel):
    """What one e-mail carries."""

    round_id: str
    province_code: str
    province_name_th: str
    office: str
    form: int
    version: int
    period: str  # รอบการประเมินที่ ๑ ประจำปีงบประมาณ พ.ศ. ๒๕๖๗
    links: list[tuple[str, str]]  # (label, link) of the evidence


class Sent(BaseModel):
    message_id: str
    sent_at: datetime
    transport: str


def message_id(report: Report) -> str:
    return f"<kpi6.{report.round_id}.{report.province_code}.form{report.form}.v{report.version}@kpi6.local>"


def build_message(report: Report, files: dict[str, bytes], *, sender: str, to: str, cc: str | None,
                  date: datetime) -> EmailMessage:
    """The report as a MIME message: Thai subject and body, the .docx and .pdf attached under Thai names."""
    steps = "ขั้นตอนที่ 1 - 3" if report.form == 1 else "ขั้นตอนที่ 4 - 5"
    again = f" (ส่งใหม่ ครั้งที่ {report.version})" if report.version > 1 else ""
    msg = EmailMessage()
    msg["Subject"] = thai_digits(
        f"รายงานผลการดำเนินงานตัวชี้วัดที่ 6 แบบฟอร์ม {report.form} ({steps}) {report.office}{again}")
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id(report)
    lines = [
        "เรียน กองพัฒนาและส่งเสริมการบริหารงานท้องถิ่น กรมส่งเสริมการปกครองท้องถิ่น",
        "",
        thai_digits(f"{report.office} ขอส่งรายงานผลการดำเนินงานตามตัวชี้วัดที่ 6 แบบฟอร์ม {report.form} ({steps}) "
                    f"{report.period} ในรูปแบบไฟล์ .docx และ .pdf ตามที่แนบมาพร้อมนี้"),
        "",
        "หลักฐานการดำเนินงาน:",
        *[f"- {label}: {link}" for label, link in report.links],
        "",
        "จึงเรียนมาเพื่อโปรดทราบ",
        report.office,
    ]
    msg.set_content("\n".join(lines), subtype="plain", charset="utf-8")
    for name, data in files.items():
        maintype, subtype = DOCX if name.endswith(".docx") else PDF
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def sender_address(settings) -> str:  # type: ignore[no-untyped-def]
    """The From of reports and notices: KPI6_SMTP_FROM, else the office's own address."""
    return settings.smtp_from or settings.office_email or "kpi6@localhost"


def attachment_name(report: Report, ext: str) -> str:
    return f"แบบฟอร์ม{report.form}-{report.province_code}-{report.province_name_th}.{ext}"


class OutboxTransport:
    """The embedded default: each message becomes an .eml file (nothing leaves the machine)."""

    name = "outbox"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, msg: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        mid = msg["Message-ID"].strip("<>").replace("@", "_at_")
        target = self.folder / f"{mid}.eml"
        tmp = target.with_name(f".{target.name}.part")
        tmp.write_bytes(bytes(msg))
        tmp.replace(target)


class SmtpTransport:
    """A real mail server: STARTTLS on smtp:// (required before a password leaves a non-loopback host),
    implicit TLS on smtps://."""

    name = "smtp"

    def __init__(self, url: str, *, timeout: float = 30, attempts: int = 3, sleep=time.sleep) -> None:  # type: ignore[no-untyped-def]
        parsed = urlparse(url)
        if parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
            raise SettingsError("KPI6_SMTP_URL must look like smtp://user:pass@host:587 or smtps://user:pass@host:465")
        self.implicit_tls = parsed.scheme == "smtps"
        self.host = parsed.hostname
        self.port = parsed.port or (465 if self.implicit_tls else 587)
        self.user = unquote(parsed.username) if parsed.username else None
        self._password = unquote(parsed.password) if parsed.password else None
        if self.user and (self._password or "").strip().lower() in PLACEHOLDERS:
            raise SettingsError("KPI6_SMTP_URL still has a placeholder password; set the real one")
        self.timeout, self.attempts, self.sleep = timeout, attempts, sleep

    def __repr__(self) -> str:  # never the password
        return f"SmtpTransport({'smtps' if self.implicit_tls else 'smtp'}://{self.host}:{self.port})"

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.implicit_tls:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        server.ehlo()
        if server.has_extn("starttls"):
            server.starttls(context=context)
            server.ehlo()
        elif self.user and self.host not in LOOPBACK:
            server.quit()
            raise DeliveryError(f"the mail server {self.host}:{self.port} offers no STARTTLS; "
                                "kpi6 will not send the password in clear (use smtps://)")
        return server

    def send(self, msg: EmailMessage) -> None:
        """Send with retries, holding a slot of the `smtp` tag's limit meanwhile (see tasks/limits.py)."""
        limited(SMTP_TAG, self._send)(msg)

    def _send(self, msg: EmailMessage) -> None:
        where = f"{self.host}:{self.port}"
        for attempt in range(1, self.attempts + 1):
            try:
                with self._connect() as server:
                    if self.user:
                        server.login(self.user, self._password or "")
                    refused = server.send_message(msg)
                if refused:  # some recipients took it; the DLA mailbox must be among them to count
                    raise DeliveryError(f"the mail server {where} refused the recipient {_who(refused)}")
                return
            except smtplib.SMTPRecipientsRefused as exc:
                raise DeliveryError(f"the mail server {where} refused the recipient {_who(exc.recipients)}") from None
            except smtplib.SMTPAuthenticationError as exc:
                raise DeliveryError(f"the mail server {where} refused the login for {self.user} "
                                    f"({exc.smtp_code})") from None
            except smtplib.SMTPResponseException as exc:
                if 400 <= exc.smtp_code < 500 and attempt < self.attempts:
                    self.sleep(2 ** attempt)
                    continue
                raise DeliveryError(f"the mail server {where} said {exc.smtp_code} "
                                    f"{exc.smtp_error.decode(errors='replace')}") from None
            except (OSError, smtplib.SMTPServerDisconnected) as exc:
                if attempt < self.attempts:
                    self.sleep(2 ** attempt)
                    continue
                reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
                raise DeliveryError(f"cannot reach the mail server {where} after {attempt} tries: {reason}") from None


def _who(refused: dict) -> str:  # type: ignore[type-arg]
    return ", ".join(f"{r} ({c} {m.decode(errors='replace') if isinstance(m, bytes) else m})"
                     for r, (c, m) in refused.items())


SECRET_BLOCK = "prefect-secret://"


def resolve_secret(value: str) -> str:
    """A secret's value, read from a Prefect Secret block when given as `prefect-secret://<block name>`."""
    if not value.startswith(SECRET_BLOCK):
        return value
    from prefect.blocks.system import Secret

    name = value.removeprefix(SECRET_BLOCK)
    try:
        return str(Secret.load(name).get())
    except ValueError as exc:
        raise SettingsError(f"no Prefect Secret block named {name!r}: {str(exc).splitlines()[0]}") from None


def transport_from_settings(settings, outbox: Path | None = None) -> OutboxTransport | SmtpTransport:  # type: ignore[no-untyped-def]
    if settings.smtp_url is not None:
        return SmtpTransport(resolve_secret(settings.smtp_url.get_secret_value()), attempts=settings.smtp_attempts)
    return OutboxTransport(settings.outbox_dir or outbox or settings.data_dir / "outbox")


def check_secrets(settings) -> None:  # type: ignore[no-untyped-def]
    """Refuse to start with a malformed SMTP URL or a placeholder password (without showing the secret).
    A Prefect Secret block is read when a run needs it, not at start."""
    if settings.smtp_url is not None and not settings.smtp_url.get_secret_value().startswith(SECRET_BLOCK):
        transport_from_settings(settings)
    if settings.evidence_backend == "gdrive":
        from kpi6.tasks.drive import store_settings_problem

        problem = store_settings_problem(settings)
        if problem:
            raise SettingsError(problem)


def receipt_path(folder: Path, report: Report) -> Path:
    return folder / f".form{report.form}.v{report.version}.sent.json"


def send_report(report: Report, files: dict[str, bytes], *, transport, sender: str, to: str,  # type: ignore[no-untyped-def]
                cc: str | None, receipts: Path, date: datetime | None = None) -> Sent:
    """Send once: a receipt of an earlier accepted send of this version is returned instead of sending again."""
    receipt = receipt_path(receipts, report)
    if receipt.is_file():
        return Sent.model_validate(json.loads(receipt.read_text(encoding="utf-8")))
    sent_at = date or datetime.now(UTC)
    msg = build_message(report, files, sender=sender, to=to, cc=cc, date=sent_at)
    transport.send(msg)
    if date is None:
        sent_at = datetime.now(UTC)  # the time the server accepted it
    sent = Sent(message_id=msg["Message-ID"], sent_at=sent_at, transport=transport.name)
    receipts.mkdir(parents=True, exist_ok=True)
    receipt.write_text(sent.model_dump_json(), encoding="utf-8")
    return sent


__all__ = ["OutboxTransport", "Report", "Sent", "SmtpTransport", "attachment_name", "build_message",
           "message_id", "send_report", "transport_from_settings"]
