"""The reminder run's units of work: what is due and not yet sent, and sending one province's reminders."""

from __future__ import annotations

from datetime import date

from prefect import task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel

from kpi6.models.errors import DeliveryError
from kpi6.models.provinces import registry
from kpi6.models.reminders import Reminder, reminder_line, reminder_message, reminders_due
from kpi6.models.round import RoundConfig
from kpi6.settings import get_settings
from kpi6.tasks.adapters import repository
from kpi6.tasks.adapters.database import session_scope
from kpi6.tasks.adapters.notify import recipients, send_notice
from kpi6.tasks.outputs import output_root


class ProvinceReminders(BaseModel):
    province_code: str
    lines: list[str]
    status: str  # sent, dry-run, no-channel
    channels: list[str] = []


@task(cache_policy=NO_CACHE)
def plan_reminders(config: RoundConfig, today: date, provinces: list[str] | None = None) -> dict[str, list[Reminder]]:
    """Per province, the reminders due today that have not gone out yet."""
    chosen = [p for p in registry() if not provinces or p.code in provinces]
    with session_scope() as session:
        states: dict[str, dict[int, str]] = {}
        for row in repository.all_progress(session=session, round_id=config.id):
            states.setdefault(row.province_code, {})[row.step] = row.state
        sent = repository.sent_reminders(session=session, round_id=config.id, day=today)
    due = reminders_due(config, config.working_calendar(), today, chosen, states)
    grouped: dict[str, list[Reminder]] = {}
    for r in due:
        if r.key not in sent:
            grouped.setdefault(r.province_code, []).append(r)
    return grouped


@task(cache_policy=NO_CACHE)
def send_reminders(
    config: RoundConfig, due: dict[str, list[Reminder]], *, dry_run: bool, single_province: bool
) -> list[ProvinceReminders]:
    """Each province's reminders of the day; a province whose channel fails does not stop the others, and the
    run then fails naming them (a re-run sends only what did not go out)."""
    results, failed = [], []
    for code, reminders in sorted(due.items()):
        try:
            results.append(
                send_province_reminders(config, code, reminders, dry_run=dry_run, single_province=single_province)
            )
        except DeliveryError as exc:
            failed.append(f"{code}: {exc}")
    if failed:
        raise DeliveryError(f"reminders not sent for {len(failed)} province(s): {'; '.join(failed)}")
    return results


def send_province_reminders(
    config: RoundConfig, code: str, reminders: list[Reminder], *, dry_run: bool, single_province: bool
) -> ProvinceReminders:
    """One message per province and day with all its reminders; recorded as sent right after it goes out."""
    province = registry().get(code)
    lines = [reminder_line(config, r) for r in reminders]
    settings = get_settings()
    to = recipients(settings, code, single_province=single_province)
    if dry_run:
        return ProvinceReminders(province_code=code, lines=lines, status="dry-run")
    subject, body = reminder_message(config, province, reminders)
    channels = send_notice(subject, body, to=to, settings=settings, outbox=output_root(None) / "outbox")
    if not channels:
        return ProvinceReminders(province_code=code, lines=lines, status="no-channel")
    with session_scope() as session:
        repository.record_reminders(
            session=session, keys=[r.key for r in reminders], channels=channels, at=repository.utcnow()
        )
    return ProvinceReminders(province_code=code, lines=lines, status="sent", channels=channels)
