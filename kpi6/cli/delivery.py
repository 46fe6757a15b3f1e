"""`kpi6 delivery`: the report e-mails of a round, and what DLA's mailbox shows for a send whose outcome is
unknown (kpi6 never sends such a message again until an operator has looked)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer
from rich.table import Table

from kpi6.cli.common import ProvinceOption, RoundOption, app, out, parse_moment
from kpi6.models.calendar import BANGKOK
from kpi6.models.errors import InputError
from kpi6.models.provinces import registry

delivery_app = typer.Typer(
    help="Report e-mails: their state, and what DLA's mailbox shows for a send whose outcome is unknown.",
    no_args_is_help=True,
)
app.add_typer(delivery_app, name="delivery")


def _resolve_delivery(province: str, round_id: str, form: int, *, arrived: bool, at: str | None) -> None:
    from kpi6.tasks.adapters.database import session_scope
    from kpi6.tasks.adapters.repository import resolve_delivery, utcnow
    from kpi6.tasks.adapters.rounds import load_round
    from kpi6.tasks.setup import default_actor, prepare_database

    prov, config = registry().get(province), load_round(round_id)
    moment = parse_moment(at, "--at") if at else None
    if isinstance(moment, date) and not isinstance(moment, datetime):
        raise InputError("--at needs a date and time, e.g. 2024-02-09T16:30")
    prepare_database(config, actor=default_actor())
    with session_scope() as session:
        row = resolve_delivery(
            session=session,
            province_code=prov.code,
            round_id=config.id,
            form=form,
            arrived=arrived,
            actor=default_actor(),
            at=utcnow(),
            sent_at=moment,
        )
    step = next(s.number for s in config.steps if s.form == form)
    what = "recorded as arrived" if arrived else "marked as not arrived: the next run sends the same message again"
    out.print(f"{prov.label} · {config.id} · Form {form} version {row.version} ({row.message_id}) {what}")
    out.print(
        f"next: `kpi6 run --province {prov.code} --round {config.id} --step {step} --input …`"
        + (" records it (nothing is sent)" if arrived else "")
    )


FormOption = Annotated[int, typer.Option(min=1, max=2, help="1 (Form 1, step 3) or 2 (Form 2, step 5)")]


@delivery_app.command("arrived")
def delivery_arrived(
    province: ProvinceOption,
    round_id: RoundOption,
    form: FormOption,
    at: Annotated[str | None, typer.Option(help="When DLA's mailbox received it (default: when it was sent)")] = None,
) -> None:
    """The e-mail of unknown outcome is in DLA's mailbox: record it as sent (the next run records the step)."""
    _resolve_delivery(province, round_id, form, arrived=True, at=at)


@delivery_app.command("not-arrived")
def delivery_not_arrived(
    province: ProvinceOption,
    round_id: RoundOption,
    form: FormOption,
) -> None:
    """The e-mail of unknown outcome is not in DLA's mailbox: the next run sends the same message again."""
    _resolve_delivery(province, round_id, form, arrived=False, at=None)


@delivery_app.command("list")
def delivery_list(
    round_id: RoundOption,
    province: Annotated[str | None, typer.Option(help="Only this province")] = None,
) -> None:
    """Every report e-mail of a round: version, Message-ID, state (sent, unknown, failed, sending), when."""
    from kpi6.tasks.adapters.database import session_scope
    from kpi6.tasks.adapters.repository import deliveries
    from kpi6.tasks.adapters.rounds import load_round
    from kpi6.tasks.setup import default_actor, prepare_database

    config = load_round(round_id)
    code = registry().get(province).code if province else None
    prepare_database(config, actor=default_actor())
    with session_scope() as session:
        rows = deliveries(session=session, round_id=config.id, province_code=code)
    table = Table(title=f"report e-mails · {config.id}")
    for col in ("code", "form", "version", "state", "Message-ID", "sent (Bangkok)", "tries", "error"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r.province_code,
            str(r.form),
            str(r.version),
            r.state,
            r.message_id,
            r.sent_at.astimezone(BANGKOK).strftime("%Y-%m-%d %H:%M:%S") if r.sent_at else "",
            str(r.tries),
            r.error or "",
        )
    out.print(table)
