"""Reports by e-mail: Form N's .docx and .pdf to the DLA mailbox, in Thai, sent once.

Transport from `KPI6_SMTP_URL` (`smtp://user:pass@host:587` with STARTTLS, `smtps://...:465` for implicit
TLS); without it, the embedded default writes `.eml` files to `outbox/` in the data folder. The
Message-ID names the province, round, form and version. Sending a version once, whatever the network does,
is tasks/delivery.py's work; a transport tells it whether a failure left the outcome unknown.
"""

from __future__ import annotations

import re
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from pydantic import BaseModel

from kpi6.models.errors import DeliveryError, DeliveryUnknownError, SettingsError
from kpi6.models.thai import thai_digits
from kpi6.tasks.adapters.limits import SMTP_TAG, limited

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

    from kpi6.settings import Settings

DOCX = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
PDF = ("application", "pdf")
# Compared after decoding %XX and dropping spaces, dashes, underscores and brackets ("change%20me", "<password>").
PLACEHOLDERS = {
    "changeme",
    "changethis",
    "password",
    "secret",
    "pass",
    "todo",
    "replaceme",
    "placeholder",
    "example",
    "yourpassword",
    "smtppassword",
    "mypassword",
    "none",
    "null",
}
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


def build_message(
    report: Report, files: dict[str, bytes], *, sender: str, to: str, cc: str | None, date: datetime
) -> EmailMessage:
    """The report as a MIME message: Thai subject and body, the .docx and .pdf attached under Thai names."""
    steps = "ขั้นตอนที่ 1 - 3" if report.form == 1 else "ขั้นตอนที่ 4 - 5"
    again = f" (ส่งใหม่ ครั้งที่ {report.version})" if report.version > 1 else ""
    msg = EmailMessage()
    msg["Subject"] = thai_digits(f"รายงานผลการดำเนินงานตัวชี้วัดที่ 6 แบบฟอร์ม {report.form} ({steps}) {report.office}{again}")
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id(report)
    lines = [
        "เรียน กองพัฒนาและส่งเสริมการบริหารงานท้องถิ่น กรมส่งเสริมการปกครองท้องถิ่น",
        "",
        thai_digits(
            f"{report.office} ขอส่งรายงานผลการดำเนินงานตามตัวชี้วัดที่ 6 แบบฟอร์ม {report.form} ({steps}) "
            f"{report.period} ในรูปแบบไฟล์ .docx และ .pdf ตามที่แนบมาพร้อมนี้"
        ),
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


def sender_address(settings: Settings) -> str:
    """The From of reports and notices: KPI6_SMTP_FROM, else the office's own address."""
    return settings.smtp_from or settings.office_email or "kpi6@localhost"


def attachment_name(report: Report, ext: str) -> str:
    return f"แบบฟอร์ม{report.form}-{report.province_code}-{report.province_name_th}.{ext}"


class OutboxTransport:
    """The embedded default: each message becomes an .eml file (nothing leaves the machine)."""

    name = "outbox"
    max_seconds = 30.0  # the longest a send can take: a claim older than this belongs to a dead run

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _target(self, message_id: str) -> Path:
        return self.folder / f"{message_id.strip('<>').replace('@', '_at_')}.eml"

    def send(self, msg: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self._target(msg["Message-ID"])
        tmp = target.with_name(f".{target.name}.part")
        tmp.write_bytes(bytes(msg))
        tmp.replace(target)  # whole or not at all: a run killed mid-write leaves only the .part

    def delivered(self, message_id: str) -> bool | None:
        """Whether the message is in the outbox (the outbox can always tell)."""
        return self._target(message_id).is_file()


class _DataTracked(smtplib.SMTP):
    """Remembers whether the message itself went out (the DATA command): a failure after it leaves the
    outcome unknown, since the server may have taken the message and only its answer was lost."""

    data_started = False

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        self.data_started = True
        return super().data(msg)


class _SMTP(_DataTracked, smtplib.SMTP):
    pass


class _SMTPS(_DataTracked, smtplib.SMTP_SSL):
    pass


def _placeholder(password: str) -> bool:
    """A password someone forgot to change: `change me`, `change%20me`, `********`, `<password>`, ..."""
    word = re.sub(r"[\s_\-<>\[\]{}]", "", unquote(password)).lower()
    return (
        word in PLACEHOLDERS
        or len(set(word)) <= 1
        or bool(re.fullmatch(r"(your|my)?(smtp|mail)?(password|pass|secret)", word))
        or bool(re.fullmatch(r"\$\{?\w+\}?|%\w+%", unquote(password).strip()))  # a variable never substituted
    )


def parse_smtp_url(url: str) -> tuple[bool, str, int, str | None, str | None]:
    """(implicit TLS, host, port, user, password) of KPI6_SMTP_URL; a SettingsError that never quotes it."""
    shape = "KPI6_SMTP_URL must look like smtp://user:pass@host:587 or smtps://user:pass@host:465"
    try:
        parsed = urlparse(url.strip())
        port = parsed.port
        host = parsed.hostname
    except ValueError:  # e.g. the password where the port should be; the message would quote it
        raise SettingsError(
            f"{shape} (its port is not a number: is a ':' or '@' in the password not written as %3A or %40?)"
        ) from None
    if parsed.scheme not in ("smtp", "smtps") or not host:
        raise SettingsError(shape)
    implicit_tls = parsed.scheme == "smtps"
    user = unquote(parsed.username) if parsed.username else None
    password = unquote(parsed.password) if parsed.password else None
    if user and _placeholder(password or ""):
        raise SettingsError("KPI6_SMTP_URL still has a placeholder password; set the real one")
    return implicit_tls, host, port or (465 if implicit_tls else 587), user, password


class SmtpTransport:
    """A real mail server: STARTTLS on smtp:// (required before a password leaves a non-loopback host),
    implicit TLS on smtps://.

    A try that fails before the message went out (no connection, login refused, a 4xx) is tried again; a
    failure once the message went out is DeliveryUnknownError and is never retried here."""

    name = "smtp"

    def __init__(
        self, url: str, *, timeout: float = 30, attempts: int = 3, sleep: Callable[[float], object] = time.sleep
    ) -> None:
        self.implicit_tls, self.host, self.port, self.user, self._password = parse_smtp_url(url)
        self.timeout, self.attempts, self.sleep = timeout, attempts, sleep

    @property
    def max_seconds(self) -> float:
        """The longest a send can take: each try's connect, login and DATA under the timeout, and the pauses."""
        pauses: int = sum(2**a for a in range(1, self.attempts))
        return self.attempts * 4 * self.timeout + pauses

    def __repr__(self) -> str:  # never the password
        return f"SmtpTransport({'smtps' if self.implicit_tls else 'smtp'}://{self.host}:{self.port})"

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.implicit_tls:
            return _SMTPS(self.host, self.port, timeout=self.timeout, context=context)
        server = _SMTP(self.host, self.port, timeout=self.timeout)
        server.ehlo()
        if server.has_extn("starttls"):
            server.starttls(context=context)
            server.ehlo()
        elif self.user and self.host not in LOOPBACK:
            server.quit()
            raise DeliveryError(
                f"the mail server {self.host}:{self.port} offers no STARTTLS; "
                "kpi6 will not send the password in clear (use smtps://)"
            )
        return server

    def send(self, msg: EmailMessage) -> None:
        """Send with retries, holding a slot of the `smtp` tag's limit meanwhile (see tasks/adapters/limits.py)."""
        limited(SMTP_TAG, self._send)(msg)

    def delivered(self, message_id: str) -> bool | None:
        """A mail server cannot be asked whether it holds a message: unknown."""
        return None

    def _send(self, msg: EmailMessage) -> None:
        where = f"{self.host}:{self.port}"
        for attempt in range(1, self.attempts + 1):
            server: smtplib.SMTP | None = None
            try:
                server = self._connect()
                if self.user:
                    server.login(self.user, self._password or "")
                refused = server.send_message(msg)
                _quit(server)  # the message is accepted: whatever QUIT answers changes nothing
                if str(msg["To"]) in refused:  # another recipient (the office's copy) took it, DLA did not
                    raise DeliveryError(f"the mail server {where} refused the recipient {_who(refused)}")
                return
            except DeliveryError:
                raise
            except smtplib.SMTPRecipientsRefused as exc:
                raise DeliveryError(f"the mail server {where} refused the recipient {_who(exc.recipients)}") from None
            except smtplib.SMTPAuthenticationError as exc:
                raise DeliveryError(
                    f"the mail server {where} refused the login for {self.user} ({exc.smtp_code})"
                ) from None
            except smtplib.SMTPResponseException as exc:  # the server answered: it did not take the message
                if 400 <= exc.smtp_code < 500 and attempt < self.attempts:
                    self.sleep(2**attempt)
                    continue
                raise DeliveryError(f"the mail server {where} said {exc.smtp_code} {_text(exc.smtp_error)}") from None
            except (OSError, smtplib.SMTPException) as exc:
                reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
                if server is not None and getattr(server, "data_started", False):
                    raise DeliveryUnknownError(
                        f"the mail server {where} took the message but gave no answer ({reason}): it may have arrived"
                    ) from None
                if attempt < self.attempts:
                    self.sleep(2**attempt)
                    continue
                raise DeliveryError(f"cannot reach the mail server {where} after {attempt} tries: {reason}") from None
            finally:
                if server is not None:
                    server.close()


def _quit(server: smtplib.SMTP) -> None:
    try:
        server.quit()
    except (OSError, smtplib.SMTPException):
        pass


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply


def _who(refused: Mapping[str, tuple[int, bytes | str]]) -> str:
    return ", ".join(f"{r} ({c} {_text(m)})" for r, (c, m) in refused.items())


SECRET_BLOCK = "prefect-secret://"


def resolve_secret(value: str) -> str:
    """A secret's value, read from a Prefect Secret block when given as `prefect-secret://<block name>`."""
    if not value.startswith(SECRET_BLOCK):
        return value
    from prefect.blocks.system import Secret

    name = value.removeprefix(SECRET_BLOCK)
    try:
        secret = Secret.load(name)
        assert isinstance(secret, Secret)  # a sync caller: Prefect's load gives the block, not a coroutine
        return str(secret.get())
    except ValueError as exc:
        raise SettingsError(f"no Prefect Secret block named {name!r}: {str(exc).splitlines()[0]}") from None


def transport_from_settings(settings: Settings, outbox: Path | None = None) -> OutboxTransport | SmtpTransport:
    if settings.smtp_url is not None:
        return SmtpTransport(
            resolve_secret(settings.smtp_url.get_secret_value()),
            attempts=settings.smtp_attempts,
            timeout=settings.smtp_timeout,
        )
    return OutboxTransport(settings.outbox_dir or outbox or settings.data_dir / "outbox")


def check_secrets(settings: Settings) -> None:
    """Refuse to start with a malformed SMTP URL or a placeholder password (without showing the secret).
    A Prefect Secret block is read when a run needs it, not at start."""
    if settings.smtp_url is not None and not settings.smtp_url.get_secret_value().startswith(SECRET_BLOCK):
        transport_from_settings(settings)
    if settings.evidence_backend == "gdrive":
        from kpi6.tasks.adapters.drive import store_settings_problem

        problem = store_settings_problem(settings)
        if problem:
            raise SettingsError(problem)


__all__ = [
    "OutboxTransport",
    "Report",
    "Sent",
    "SmtpTransport",
    "attachment_name",
    "build_message",
    "message_id",
    "transport_from_settings",
]
