"""A report reaches DLA's mailbox once: each version's e-mail is claimed in the database before it is sent.

- Two runs of the same province and form: the second sees the first's claim and refuses (nothing sent twice).
- The Message-ID and the Date are fixed per version, so a resend after "did not arrive" is the same message.
- A send whose answer never came (a slow server, a dropped line after DATA, a run killed mid-send) is
  recorded as `unknown` and never sent again by kpi6 until an operator has looked in DLA's mailbox
  (`kpi6 delivery arrived` or `kpi6 delivery not-arrived`).
- The time recorded is the moment the server accepted the message (the run's clock, when one is injected).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Protocol

from kpi6.models.db import DeliveryState, ReportDelivery
from kpi6.models.errors import DeliveryError, DeliveryUnknownError
from kpi6.tasks.adapters import repository
from kpi6.tasks.adapters.database import session_scope
from kpi6.tasks.adapters.mail import Report, Sent, build_message, message_id

LEASE_MARGIN = timedelta(seconds=60)


def claimant(actor: str) -> str:
    """Who holds a claim: the actor and the process, so an operator can tell which run it was."""
    return f"{actor} ({repository.os_user()}@{socket.gethostname()} pid {os.getpid()})"


def alive(host: str, pid: int) -> bool:
    """Whether the process holding a claim may still be sending: one of this machine that no longer exists is
    not (a run killed mid-send); of another machine, its lease decides."""
    if host != socket.gethostname() or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, under another user
        return True
    return True


def pending(*, province_code: str, round_id: str, form: int) -> ReportDelivery | None:
    """The e-mail of the form's next version, if an earlier run claimed it already (its Date is kept)."""
    with session_scope() as session:
        version = (
            repository.recorded_version(session=session, province_code=province_code, round_id=round_id, form=form) + 1
        )
        row = repository.delivery_row(
            session=session, province_code=province_code, round_id=round_id, form=form, version=version
        )
        if row is not None:
            session.expunge(row)
        return row


def unknown_message(row: ReportDelivery, cause: str | None) -> str:
    where = f"--province {row.province_code} --round {row.round_id} --form {row.form}"
    return (
        f"{cause or row.error or 'the mail server did not answer'}. Form {row.form} (version {row.version}) of "
        f"{row.province_code} may be in DLA's mailbox: look for Message-ID {row.message_id}, then run "
        f"`kpi6 delivery arrived {where}` if it is there, or `kpi6 delivery not-arrived {where}` to send the "
        "same message again on the next run. kpi6 sends nothing until then"
    )


class Transport(Protocol):
    """What a send needs of a transport (OutboxTransport, SmtpTransport)."""

    name: str

    @property
    def max_seconds(self) -> float: ...

    def send(self, msg: EmailMessage) -> None: ...

    def delivered(self, message_id: str) -> bool | None: ...


def send_once(
    report: Report,
    files: dict[str, bytes],
    *,
    transport: Transport,
    sender: str,
    to: str,
    cc: str | None,
    clock: Callable[[], datetime],
    actor: str,
) -> Sent:
    """Claim version `report.version` (the one after the last recorded), send it, record how it ended."""
    with session_scope() as session:
        row = repository.claim_delivery(
            session=session,
            province_code=report.province_code,
            round_id=report.round_id,
            form=report.form,
            after_version=report.version - 1,
            message_id=message_id(report),
            transport=transport.name,
            message_date=clock(),
            now=repository.utcnow(),
            lease_seconds=transport.max_seconds + LEASE_MARGIN.total_seconds(),
            claimed_by=claimant(actor),
            delivered=transport.delivered,
            host=socket.gethostname(),
            pid=os.getpid(),
            alive=alive,
        )
        session.expunge(row)
    if row.state == DeliveryState.sent.value and row.sent_at is not None:  # accepted before, not yet recorded
        return Sent(message_id=row.message_id, sent_at=row.sent_at, transport=row.transport)
    if row.state == DeliveryState.unknown.value:
        raise DeliveryUnknownError(unknown_message(row, None))
    msg = build_message(report, files, sender=sender, to=to, cc=cc, date=row.message_date)
    try:
        transport.send(msg)
    except DeliveryUnknownError as exc:
        _finish(row, DeliveryState.unknown, error=str(exc))
        raise DeliveryUnknownError(unknown_message(row, str(exc))) from None
    except DeliveryError as exc:
        _finish(row, DeliveryState.failed, error=str(exc))
        raise
    except BaseException as exc:  # a bug or an interrupt mid-send: whether it went out is not known
        try:
            _finish(row, DeliveryState.unknown, error=f"the send stopped: {type(exc).__name__}")
        except Exception:
            pass
        raise
    accepted = clock()  # the server has just said 250: this is the submission time
    _finish(row, DeliveryState.sent, sent_at=accepted)
    return Sent(message_id=row.message_id, sent_at=accepted, transport=transport.name)


def _finish(
    row: ReportDelivery, state: DeliveryState, *, sent_at: datetime | None = None, error: str | None = None
) -> None:
    assert row.id is not None
    with session_scope() as session:
        repository.finish_delivery(
            session=session, delivery_id=row.id, state=state, at=repository.utcnow(), sent_at=sent_at, error=error
        )


__all__ = ["pending", "send_once", "unknown_message"]
