"""The `kpi6` command: what a DLA officer or a provincial clerk types. Errors exit with code 2."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import click
import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from kpi6.models.calendar import BANGKOK
from kpi6.models.errors import InputError, Kpi6Error
from kpi6.models.inputs import ProvinceInputs, anchor_paths, parse_inputs
from kpi6.models.provinces import registry
from kpi6.models.summary import STATE_TH
from kpi6.settings import get_settings

# Tables of 76 Thai names need ~100 columns; a pipe or a narrow terminal must not truncate them.
out = Console(soft_wrap=True, width=max(shutil.get_terminal_size((120, 24)).columns, 110))
err = Console(stderr=True, soft_wrap=True)


def _click_errors() -> tuple[tuple[type[Exception], ...], tuple[type[Exception], ...]]:
    """The option-parsing errors Typer raises and, among them, "no arguments: show the help": click's own, and
    those of the copy of click that newer Typer carries (typer._click)."""
    modules = [click.exceptions]
    try:
        from typer._click import exceptions as typer_click

        modules.append(typer_click)  # type: ignore[arg-type]
    except ImportError:  # an older Typer, on click itself
        pass
    return (
        tuple(m.ClickException for m in modules),
        tuple(m.NoArgsIsHelpError for m in modules if hasattr(m, "NoArgsIsHelpError")),
    )


CLICK_ERRORS, SHOW_HELP_ERRORS = _click_errors()


def print_error(message: str) -> None:
    """`error: ...` on stderr, on one line whatever the message holds (Rich markup in it is printed as written)."""
    line = " ".join(str(message).split("\n"))
    err.print(f"[bold red]error:[/] {escape(line)}", highlight=False)


def _allowed(param: Any) -> str | None:
    """What an option with a range allows, e.g. "a number from 1 to 5" (Typer's min/max, or click's IntRange)."""
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    if low is None and high is None:
        kind = getattr(param, "type", None)
        low, high = getattr(kind, "min", None), getattr(kind, "max", None)
    if low is not None and high is not None:
        return f"a number from {low:g} to {high:g}"
    if low is not None:
        return f"a number of at least {low:g}"
    return f"a number of at most {high:g}" if high is not None else None


def usage_error_message(exc: Exception) -> str:
    """One line for an option error: the option, the value given and, for a range, what is allowed."""
    param = getattr(exc, "param", None)
    allowed = _allowed(param)
    if allowed and param is not None and type(exc).__name__ == "BadParameter":
        name = max(getattr(param, "opts", None) or [param.name], key=len)
        cause = exc.__cause__
        given = cause.errors()[0].get("input") if cause is not None and hasattr(cause, "errors") else None
        if given is None:  # click's own message then names the value
            return f"{name}: {exc.format_message()}; give {allowed}"  # type: ignore[attr-defined]
        return f"{name} {given} is not allowed: give {allowed}"
    return exc.format_message().removesuffix(".")  # type: ignore[attr-defined]


def _command_path(ctx: Any) -> str:
    """`kpi6 survey import` for the command being parsed, whatever the program was called."""
    names = []
    while ctx is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(["kpi6", *[n for n in reversed(names[:-1]) if n]])


class Kpi6Group(TyperGroup):
    """Turns an error the user can fix into one red line on stderr and exit code 2: kpi6's own errors, a disk
    or folder problem, and an option or argument error of any command (instead of Typer's box); and stops
    Prefect's background services while its API is still up (see `kpi6.logs.settle_prefect`)."""

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except CLICK_ERRORS as exc:  # an option of `kpi6` itself
            _usage_error(exc)

    def invoke(self, ctx: click.Context) -> Any:
        started, interrupted = datetime.now(UTC), False
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:  # Ctrl-C: out now, without waiting for Prefect
            interrupted = True
            raise
        except Kpi6Error as exc:
            print_error(str(exc))
            raise typer.Exit(2) from None
        except OSError as exc:  # a disk or folder problem met mid-run; the step is recorded as failed
            where = f" ({exc.filename})" if exc.filename else ""
            print_error(f"{exc.strerror or exc}{where}")
            raise typer.Exit(2) from None
        except CLICK_ERRORS as exc:  # an option or argument of a command
            _usage_error(exc)
        except RuntimeError as exc:
            if EPHEMERAL_TIMEOUT not in str(exc):
                raise
            seconds = os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", EPHEMERAL_STARTUP_SECONDS)
            print_error(
                f"Prefect's temporary API did not start within {seconds} s (the machine is busy?); nothing was "
                "run. Try again, or set PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS higher"
            )
            raise typer.Exit(2) from None
        finally:
            if not interrupted:
                from kpi6.logs import settle_prefect

                settle_prefect(since=started)


def _usage_error(exc: Exception) -> NoReturn:
    if isinstance(exc, SHOW_HELP_ERRORS):  # `kpi6 survey` alone: its help, as Typer shows it
        raise exc
    print_error(usage_error_message(exc))
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        err.print(f"try `{_command_path(ctx)} --help`", highlight=False, markup=False)
    raise typer.Exit(2) from None


app = typer.Typer(
    help="kpi6: ตัวชี้วัดที่ 6 — Indicator 6 of the DLA performance evaluation.",
    cls=Kpi6Group,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
round_app = typer.Typer(help="Round configuration.", no_args_is_help=True)
app.add_typer(round_app, name="round")
survey_app = typer.Typer(
    help="The satisfaction survey (step 4): summarise or import a Google/Microsoft Forms export.", no_args_is_help=True
)
app.add_typer(survey_app, name="survey")


@app.callback()
def _options(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Prefect's run logs")] = False,
) -> None:
    """kpi6: ตัวชี้วัดที่ 6 — Indicator 6 of the DLA performance evaluation."""
    prefect_defaults(verbose=verbose)  # first: Prefect reads its logging settings once, when it is imported
    from kpi6.logs import quiet_user_errors_on_console

    quiet_user_errors_on_console(not verbose)  # Prefect's report of a kpi6 error: in the UI; on the terminal, one line
    from pydantic import ValidationError

    from kpi6.models.errors import SettingsError
    from kpi6.tasks.adapters.mail import check_secrets

    try:
        settings = get_settings()
    except ValidationError as exc:
        problem = exc.errors()[0]
        raise SettingsError(f"setting KPI6_{str(problem['loc'][0]).upper()}: {problem['msg']}") from None
    check_secrets(settings)


# With these, a Prefect server on SQLite records task runs and events in batches; by default it writes each
# event in a transaction of its own. Some API calls read, then write, in one transaction; a commit of those
# services in between makes SQLite refuse the write ("database is locked"), the API answers 503 and Prefect's
# client tries again after 2 s, then 4 s, 8 s... (39 times in one national demo, 7 with batches). Task runs
# still reach the database within a second.
SQLITE_SERVER_BATCHES = {
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "200",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "1",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_BATCH_SIZE": "200",
}


def prefect_defaults(*, verbose: bool = False) -> None:
    """How the CLI runs Prefect, unless the environment says otherwise (the benchmark runs the same way).

    The clerk reads the result table: Prefect's INFO lines ("Finished in state Completed()") are left out of
    the terminal and the UI alike; states, artifacts, warnings and errors with tracebacks stay in the UI.
    The ephemeral API (no PREFECT_API_URL) runs with SQLITE_SERVER_BATCHES, and has recorded every task run
    when it stops; a server of DLA's own keeps its own settings."""
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    for name, value in SQLITE_SERVER_BATCHES.items():
        os.environ.setdefault(name, value)
    # Prefect waits 20 s for its ephemeral API to answer; on a busy 2-core machine starting it took longer,
    # and a clerk's `kpi6 run` died with a 60-line traceback.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(EPHEMERAL_STARTUP_SECONDS))


EPHEMERAL_STARTUP_SECONDS = 120
EPHEMERAL_TIMEOUT = "Timed out while attempting to connect to ephemeral Prefect API server"


def fail(message: str) -> NoReturn:
    print_error(message)
    raise typer.Exit(2)


def parse_day(text: str, what: str) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{what} {text!r} is not a date; write YYYY-MM-DD, e.g. 2023-12-08") from None
    _refuse_be_year(day.year, what, text)
    return day


def parse_moment(text: str, what: str) -> date | datetime:
    """A date, or a date and time (ISO 8601); without a zone it is Bangkok time."""
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return parse_day(text, what)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{what} {text!r} is not a date or date-time; write YYYY-MM-DD or YYYY-MM-DDTHH:MM[+07:00]"
        ) from None
    _refuse_be_year(moment.year, what, text)
    return moment if moment.tzinfo else moment.replace(tzinfo=BANGKOK)


def _refuse_be_year(year: int, what: str, text: str) -> None:
    if year > 2400:
        raise InputError(f"{what} {text!r} looks like a Buddhist-Era year; write it in CE ({year} BE = {year - 543})")


# An input file is a page or two of YAML (the survey export and the events file are files of their own).
INPUT_FILE_MAX_MB = 5


def read_input_file(path: Path) -> ProvinceInputs:
    """The steps' inputs from a YAML or JSON file: a regular file of at most INPUT_FILE_MAX_MB, in UTF-8."""
    from kpi6.tasks.adapters.files import MB, decode_text, read_regular, read_yaml

    if path.suffix.lower() != ".json":
        data = read_yaml(path, what="input file", max_bytes=INPUT_FILE_MAX_MB * MB)
    else:
        text = decode_text(read_regular(path, what="input file", max_bytes=INPUT_FILE_MAX_MB * MB), source=str(path))
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: not valid JSON at line {exc.lineno}: {exc.msg}") from None
        except RecursionError:
            raise InputError(f"{path}: not valid JSON (or nested too deeply)") from None
    if data is not None and not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping with keys plan, media, form1, dissemination, form2")
    return anchor_paths(parse_inputs(data, source=str(path)), path.resolve().parent)


def _num(value: Any) -> float:
    return round(float(value), 2)


@app.command()
def init() -> None:
    """Create or upgrade the database schema and load the provinces and every round file."""
    from kpi6.tasks.adapters.rounds import available_rounds, load_round
    from kpi6.tasks.run import default_actor, prepare_database

    rounds = [load_round(rid) for rid in available_rounds()]
    for config in rounds:
        prepare_database(config, actor=default_actor())
    out.print(
        f"database ready: {_safe_url(get_settings().db_url)}; "
        f"{len(registry())} provinces, rounds: {', '.join(r.id for r in rounds) or 'none'}"
    )


def _safe_url(url: str) -> str:
    """The database URL without its password."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


@app.command()
def provinces(
    as_json: Annotated[bool, typer.Option("--json", help="JSON list of code, name_th, name_en")] = False,
) -> None:
    """List the 76 provincial offices."""
    if as_json:
        out.print_json(json.dumps([p.model_dump() for p in registry()], ensure_ascii=False))
        return
    table = Table(title="สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัด (76)")
    for col in ("code", "ชื่อจังหวัด", "Province"):
        table.add_column(col)
    for p in registry():
        table.add_row(p.code, p.name_th, p.name_en)
    out.print(table)


@round_app.command("show")
def round_show(round_id: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show a round's steps, deadlines, scoring rules and calendar additions."""
    from kpi6.tasks.adapters.rounds import load_round

    config = load_round(round_id)
    if as_json:
        out.print_json(config.model_dump_json())
        return
    start, end = config.period
    out.print(
        f"[bold]round {config.id}[/] — ปีงบประมาณ {config.fiscal_year_be} รอบที่ {config.round_number} ({start} – {end})"
    )
    if config.sample_dates:
        out.print("[yellow]sample dates: these deadlines are examples, not DLA's[/]")
    table = Table()
    for col in ("step", "ขั้นตอน", "deadline", "report", "needs", "points"):
        table.add_column(col)
    for s in config.steps:
        table.add_row(
            str(s.number),
            f"{s.name_th}\n{s.name_en}",
            s.deadline.isoformat(),
            f"Form {s.form}" if s.report else "",
            ", ".join(map(str, s.requires)),
            str(config.scoring.points[s.number]),
        )
    out.print(table)
    out.print(
        f"penalty: {config.scoring.penalty_per_working_day} per working day late on each report; "
        f"floor {config.scoring.floor}"
    )
    for d in config.calendar.extra_holidays:
        out.print(f"extra holiday: {d.date} {d.name}")
    for d in config.calendar.extra_working_days:
        out.print(f"extra working day: {d.date} {d.name}")
    out.print(
        f"reminders: {', '.join(map(str, config.reminders.before_deadline_working_days))} "
        "working days before each deadline"
    )


@app.command()
def penalty(
    deadline: Annotated[str, typer.Option(help="The deadline, YYYY-MM-DD")],
    submitted: Annotated[str, typer.Option(help="Submission date or date-time (Bangkok time if no zone)")],
    round_id: Annotated[str | None, typer.Option("--round", help="Use this round's holidays and penalty")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Working days late and the penalty for a report submitted after its deadline."""
    from kpi6.models.calendar import WorkingDayCalendar, bangkok_date
    from kpi6.models.round import ScoringRules
    from kpi6.tasks.adapters.rounds import load_round, round_for_date

    day = parse_day(deadline, "--deadline")
    moment = parse_moment(submitted, "--submitted")
    config = load_round(round_id) if round_id else round_for_date(day)
    cal = config.working_calendar() if config else WorkingDayCalendar()
    rate = (config.scoring if config else ScoringRules(points={n: 1 for n in range(1, 6)})).penalty_per_working_day
    late = cal.working_days_late(day, moment)
    result = {
        "working_days_late": late,
        "penalty": _num(rate * late),
        "deadline": day.isoformat(),
        "submitted_date": bangkok_date(moment).isoformat(),
        "round": config.id if config else None,
    }
    if as_json:
        out.print_json(json.dumps(result))
        return
    out.print(f"deadline {day} · submitted {bangkok_date(moment)} (Bangkok) · round {result['round'] or '-'}")
    out.print(f"working days late (วันทำการที่ล่าช้า): {late}   penalty (หักคะแนน): {result['penalty']}")


def _run_flow(fn, **kwargs):  # type: ignore[no-untyped-def]
    """Run a flow on Prefect (the ephemeral API unless PREFECT_API_URL is set) and say how long it took."""
    started = time.perf_counter()
    result = fn(**kwargs)
    return result, time.perf_counter() - started


@app.command()
def run(
    province: Annotated[str, typer.Option(help="Province code, Thai or English name")],
    round_id: Annotated[str, typer.Option("--round", help="Round id, e.g. 2567-1")],
    step: Annotated[int | None, typer.Option(min=1, max=5, help="Run only this step")] = None,
    input_file: Annotated[Path | None, typer.Option("--input", help="YAML or JSON with the steps' inputs")] = None,
    force: Annotated[bool, typer.Option(help="Re-run a completed step (audited)")] = False,
    resubmit: Annotated[bool, typer.Option(help="Send report step 3 or 5 again as a new version (audited)")] = False,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Where forms and media go (default: data folder)")
    ] = None,
    lpa: Annotated[
        Path | None,
        typer.Option(
            "--lpa", help="LPA results: step 1's plan is proposed from them when the input has none (see `kpi6 topics`)"
        ),
    ] = None,
) -> None:
    """Run one province's steps for a round (Prefect flow `province-round`); writes Form 1, Form 2 and media."""
    from prefect import tags

    from kpi6.flows.province import province_round
    from kpi6.models.rules import decide_step
    from kpi6.tasks.adapters.parameters import inputs_parameters
    from kpi6.tasks.adapters.rounds import load_round
    from kpi6.tasks.run import RunContext, check_inputs, current_states, default_actor, prepare_database, resolve_files

    # Everything a clerk can get wrong is checked here, before Prefect starts and before any write.
    if resubmit and step not in (3, 5):
        fail("--resubmit sends a report again: give --step 3 (Form 1) or --step 5 (Form 2)")
    force = force or resubmit
    prov = registry().get(province)
    config = load_round(round_id)
    inputs = read_input_file(input_file) if input_file else ProvinceInputs()
    ctx = RunContext(province=prov, config=config, now=datetime.now(BANGKOK), actor=default_actor())
    lpa_results = str(lpa.resolve()) if lpa else None
    inputs = resolve_files(ctx, inputs, lpa_results)  # files read once; the flow gets them read
    check_inputs(ctx, inputs)
    from kpi6.tasks.outputs import check_output_dir

    check_output_dir(str(out_dir.resolve()) if out_dir else None)
    prepare_database(config, actor=ctx.actor)
    if step:
        decide_step(
            config,
            step,
            current_states(ctx),
            force=force,
            explicit=True,
            has_input=inputs.for_step(step) is not None or (step == 1 and lpa_results is not None),
        )
    with tags(f"province:{prov.code}", f"round:{config.id}", *([f"step:{step}"] if step else [])):
        summary, seconds = _run_flow(
            province_round,
            province=prov.code,
            round_id=config.id,
            step=step,
            force=force,
            lpa_results=lpa_results,
            output_dir=str(out_dir.resolve()) if out_dir else None,
            **inputs_parameters(inputs),
        )
    table = Table(title=f"{prov.label} · {config.id}")
    for col in ("step", "ขั้นตอน", "deadline", "this run", "state", "completed", "days late"):
        table.add_column(col)
    for s in summary.steps:
        table.add_row(
            str(s.step),
            s.name_th,
            s.deadline.isoformat(),
            s.action.value,
            STATE_TH.get(s.state, s.state),
            s.completed_at.astimezone(BANGKOK).strftime("%Y-%m-%d %H:%M") if s.completed_at else "",
            str(s.working_days_late) if s.completed_at else "",
        )
    out.print(table)
    from kpi6.tasks.outputs import province_files

    files = province_files(str(out_dir.resolve()) if out_dir else None, config.id, prov.code)
    if files:
        out.print(f"files in {files[0].parent}: {', '.join(p.name for p in files)}")
    out.print(f"done in {seconds:.1f} s")


def _score_table(rows: list[dict[str, Any]], title: str) -> Table:
    table = Table(title=title)
    for col, justify in (
        ("code", "left"),
        ("จังหวัด", "left"),
        ("steps", "right"),
        ("points", "right"),
        ("late reports", "right"),
        ("days late", "right"),
        ("penalty", "right"),
        ("total", "right"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in rows:
        style = "red" if r["penalty"] else ""
        table.add_row(
            r["code"],
            r["name_th"],
            f"{r['steps_done']}/5",
            f"{r['points']:.2f}",
            str(r["late_reports"]),
            str(r["working_days_late"]),
            f"{r['penalty']:.2f}",
            f"{r['total']:.2f}",
            style=style,
        )
    return table


def _score_rows(scores) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    rows = []
    for s in scores:
        p = registry().get(s.province_code)
        rows.append(
            {
                "code": p.code,
                "name_th": p.name_th,
                "name_en": p.name_en,
                "steps_done": s.steps_done,
                "points": _num(s.points),
                "late_reports": s.late_reports,
                "working_days_late": s.working_days_late,
                "penalty": _num(s.penalty),
                "total": _num(s.total),
            }
        )
    return rows


@app.command()
def score(
    round_id: Annotated[str, typer.Option("--round", help="Round id, e.g. 2567-1")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Compute, store and print every province's penalty-adjusted score for the round."""
    from kpi6.tasks.adapters.rounds import load_round
    from kpi6.tasks.run import default_actor, prepare_database
    from kpi6.tasks.scoring import compute_round_scores, save_round_scores

    config = load_round(round_id)
    prepare_database(config, actor=default_actor())
    scores = compute_round_scores(config)
    save_round_scores(scores)
    rows = _score_rows(scores)
    if as_json:
        out.print_json(json.dumps(rows, ensure_ascii=False))
        return
    out.print(_score_table(rows, f"คะแนนตัวชี้วัดที่ 6 · รอบ {config.id}"))


@app.command()
def remind(
    today: Annotated[str | None, typer.Option(help="As of this date (default today, Bangkok)")] = None,
    round_id: Annotated[str | None, typer.Option("--round", help="Round id (default: the round of that day)")] = None,
    province: Annotated[str | None, typer.Option(help="Only this province")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be sent; send nothing")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Send the day's deadline reminders (Prefect flow `daily-reminders`), each once."""
    from kpi6.flows.reminders import daily_reminders
    from kpi6.tasks.adapters.rounds import load_round

    day = parse_day(today, "--today") if today else datetime.now(BANGKOK).date()
    config = load_round(round_id) if round_id else None
    only = [registry().get(province).code] if province else None
    run, seconds = _run_flow(
        daily_reminders, today=day, round_id=config.id if config else None, provinces=only, dry_run=dry_run
    )
    if as_json:
        out.print_json(run.model_dump_json())
        return
    if run.round_id is None:
        out.print(f"{day.isoformat()}: no round covers this day; nothing to remind")
        return
    if not run.working_day:
        out.print(f"{day.isoformat()} is not a working day: no reminders (round {run.round_id})")
        return
    table = Table(title=f"reminders · {run.round_id} · {day.isoformat()}" + (" · dry run" if dry_run else ""))
    for col in ("province", "status", "reminders"):
        table.add_column(col)
    for p in run.provinces:
        table.add_row(f"{p.province_code} {registry().get(p.province_code).name_th}", p.status, "\n".join(p.lines))
    out.print(table)
    sent = sum(p.status == "sent" for p in run.provinces)
    idle = sum(p.status == "no-channel" for p in run.provinces)
    out.print(
        f"{len(run.provinces)} provinces with reminders due · {sent} sent"
        + (f" · {idle} with no channel (set KPI6_CONTACTS_FILE, KPI6_OFFICE_EMAIL or KPI6_NOTIFY_URLS)" if idle else "")
        + f" · {seconds:.1f} s"
    )


@app.command()
def status(
    round_id: Annotated[str, typer.Option("--round", help="Round id, e.g. 2567-1")],
    province: Annotated[str | None, typer.Option(help="Only this province")] = None,
    today: Annotated[str | None, typer.Option(help="As of this date (default today, Bangkok)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Provinces × steps: state, deadline and working days late (or overdue so far)."""
    from kpi6.tasks.adapters.database import session_scope
    from kpi6.tasks.adapters.repository import all_progress
    from kpi6.tasks.adapters.rounds import load_round
    from kpi6.tasks.run import default_actor, prepare_database

    config = load_round(round_id)
    as_of = parse_day(today, "--today") if today else datetime.now(BANGKOK).date()
    only = registry().get(province) if province else None
    prepare_database(config, actor=default_actor())
    with session_scope() as session:
        rows = {(r.province_code, r.step): r for r in all_progress(session=session, round_id=config.id)}
    cal = config.working_calendar()
    report: list[dict[str, Any]] = []
    for p in registry():
        if only and p.code != only.code:
            continue
        steps = []
        for sc in config.steps:
            r = rows.get((p.code, sc.number))
            state = r.state if r else "pending"
            done_at = r.completed_at if r and state == "done" else None
            late = cal.working_days_late(sc.deadline, done_at if done_at else as_of)
            steps.append(
                {
                    "step": sc.number,
                    "state": state,
                    "deadline": sc.deadline.isoformat(),
                    "completed_at": done_at.isoformat() if done_at else None,
                    "working_days_late": late,
                }
            )
        report.append({"code": p.code, "name_th": p.name_th, "steps": steps})
    if as_json:
        out.print_json(json.dumps(report, ensure_ascii=False))
        return
    table = Table(title=f"สถานะตัวชี้วัดที่ 6 · รอบ {config.id} · ณ {as_of.isoformat()}")
    table.add_column("จังหวัด")
    for sc in config.steps:
        table.add_column(f"{sc.number}\n{sc.deadline.isoformat()}", justify="center")
    for item in report:
        cells = []
        for s in item["steps"]:
            if s["state"] == "done":
                cells.append("[green]✓[/]" + (f" [red]+{s['working_days_late']}[/]" if s["working_days_late"] else ""))
            elif s["working_days_late"]:
                cells.append(f"[red]overdue {s['working_days_late']}[/]")
            else:
                cells.append(STATE_TH.get(s["state"], s["state"]))
        table.add_row(f"{item['code']} {item['name_th']}", *cells)
    out.print(table)
    out.print("✓ done · +N working days late · overdue N = not done, N working days past the deadline")


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Where scores.csv and each province's forms go")] = Path("out"),
    round_id: Annotated[str, typer.Option("--round")] = "2567-1",
    seed: Annotated[int, typer.Option(help="Seed of the sample inputs")] = 6,
) -> None:
    """The national demo: 76 provinces on sample inputs, then the national score table."""
    from kpi6.flows.demo import national_demo
    from kpi6.tasks.adapters.rounds import load_round

    config = load_round(round_id)
    from kpi6.tasks.outputs import check_output_dir

    check_output_dir(str(out_dir.resolve()))
    out.print(f"national demo · round {config.id} · 76 provinces · database {_safe_url(get_settings().db_url)}")
    with out.status("running the five steps for 76 provinces and writing their forms (a minute or two)…"):
        scores, seconds = _run_flow(national_demo, round_id=config.id, seed=seed, out_dir=str(out_dir.resolve()))
    rows = _score_rows(scores)
    out.print(_score_table(rows, f"คะแนนตัวชี้วัดที่ 6 ระดับประเทศ · รอบ {config.id} (demo)"))
    late = sum(1 for r in rows if r["penalty"])
    out.print(
        f"{len(rows)} provinces · {late} with lateness penalties · "
        f"scores.csv: {out_dir / 'scores.csv'} · {seconds:.0f} s"
    )
    out.print(
        f"forms and media: {out_dir / config.id}/<province code>/ (form1.docx, form1.pdf, form2.docx, "
        f"form2.pdf, media) · e-mailed reports: {out_dir / 'outbox'}/ · evidence: {out_dir / 'evidence'}/"
    )
    out.print(
        f"the offices' files: {out_dir / 'inputs' / config.id}/lpa/ (LPA results: each plan's two topics) · "
        f"{out_dir / 'inputs' / config.id}/surveys/ (survey exports: each Form 2's satisfaction summary)"
    )


def _survey_table(summary: Any, title: str) -> Table:
    table = Table(title=title)
    for col in ("ข้อ · item", "n", "ค่าเฉลี่ย mean", "S.D.", "ระดับ band", "% พึงพอใจ (4–5)"):
        table.add_column(col, justify="left" if col.startswith("ข้อ") or col.startswith("ระดับ") else "right")

    def cells(s: Any) -> list[str]:
        f = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
        return [str(s.n), f(s.mean), f(s.sd), s.band_th, f(s.percent_satisfied)]

    for item in summary.items:
        table.add_row(item.question, *cells(item))
    table.add_row("[bold]ภาพรวม · overall[/]", *cells(summary.overall))
    return table


def _print_survey(summary: Any, result: Any) -> None:
    from kpi6.models.survey import BandScheme

    out.print(_survey_table(summary, f"ผลการสำรวจความพึงพอใจ · {result.source} · ผู้ตอบ {summary.n:,} ราย"))
    if summary.by_type:
        out.print(
            "ผู้ตอบจำแนกตามประเภท อปท. · by LAO type: " + ", ".join(f"{t} {n:,}" for t, n in summary.by_type.items())
        )
    if summary.laos_answered:
        line = f"อปท. ที่ตอบ · LAOs that answered: {summary.laos_answered:,}"
        if summary.coverage_percent is not None:
            line += f" of {summary.laos_disseminated:,} disseminated to ({summary.coverage_percent:.2f}%)"
        out.print(line)
    scheme = (
        "4.21–5.00 มากที่สุด … 1.00–1.80 น้อยที่สุด"
        if summary.bands == BandScheme.width_0_8
        else "4.51–5.00 มากที่สุด … 1.00–1.50 น้อยที่สุด"
    )
    out.print(
        f"bands: width {summary.bands.value} ({scheme}) · comments: {len(summary.comments):,}"
        + (f" · ignored columns: {', '.join(result.ignored_columns)}" if result.ignored_columns else "")
        + (f" · rejected rows: {result.rejected:,}" if result.rejected else "")
    )


def _survey_json(summary: Any, result: Any, **extra: Any) -> None:
    data = summary.model_dump(mode="json")
    data.update(
        source=result.source,
        sha256=result.sha256,
        rejected=result.rejected,
        ignored_columns=result.ignored_columns,
        **extra,
    )
    out.print_json(json.dumps(data, ensure_ascii=False))


@survey_app.command("summary")
def survey_summary(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX export of the survey")],
    round_id: Annotated[
        str | None, typer.Option("--round", help="Check timestamps against this round; its bands")
    ] = None,
    bands: Annotated[str | None, typer.Option(help="Band convention: 0.8 (4.21–5.00 …) or 0.5 (4.51–5.00 …)")] = None,
    laos: Annotated[int | None, typer.Option(min=1, help="LAOs disseminated to, for the coverage")] = None,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Summarise the valid rows; list the rest")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Summarise a survey export: n, mean, S.D., Thai band and % satisfied per item and overall. Writes nothing
    (with --skip-invalid, the rejected rows go to FILE.rejected.csv)."""
    from datetime import date as _date

    from kpi6.models.survey import BandScheme, summarize
    from kpi6.tasks.adapters.rounds import load_round
    from kpi6.tasks.adapters.survey_files import read_survey, write_rejected

    config = load_round(round_id) if round_id else None
    try:
        scheme = BandScheme(bands) if bands else (config.survey.bands if config else BandScheme.width_0_8)
    except ValueError:
        raise InputError(f"--bands {bands!r}: use 0.8 or 0.5") from None
    period = config.period if config else (_date.min, _date.max)
    result, checked, table = read_survey(
        file, period=period, columns=config.survey.columns if config else None, skip_invalid=skip_invalid
    )
    summary = summarize(result, scheme=scheme, laos_disseminated=laos)
    rejected = write_rejected(file, table, checked) if checked.rejected_rows else None
    if as_json:
        _survey_json(summary, result, rejected_file=str(rejected) if rejected else None)
        return
    _print_survey(summary, result)
    if rejected:
        err.print(f"{len(checked.rejected_rows):,} row(s) left out, with their reasons: {rejected}")


@survey_app.command("import")
def survey_import(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX export of the survey")],
    province: Annotated[str, typer.Option(help="Province code, Thai or English name")],
    round_id: Annotated[str, typer.Option("--round", help="Round id, e.g. 2567-1")],
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid", help="Import the valid rows; the rest go to FILE.rejected.csv with their reasons"
        ),
    ] = False,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Output folder (evidence store); default data folder")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Import a province's survey for step 4: checked row by row, stored as evidence, kept for Form 2.
    A file with errors is refused whole unless --skip-invalid."""
    from kpi6.models.survey import summarize
    from kpi6.tasks.adapters.rounds import load_round
    from kpi6.tasks.dissemination import import_survey

    prov = registry().get(province)
    config = load_round(round_id)
    done = import_survey(
        province=prov.code,
        round_id=config.id,
        path=str(file),
        skip_invalid=skip_invalid,
        output_dir=str(out_dir.resolve()) if out_dir else None,
    )
    summary = summarize(done.result, scheme=config.survey.bands)
    if as_json:
        _survey_json(
            summary, done.result, imported=done.created, rejected_file=done.rejected_file, evidence=done.evidence
        )
        return
    _print_survey(summary, done.result)
    what = "imported" if done.created else "already imported (same file): nothing changed"
    out.print(f"{prov.label} · {config.id} · step 4 survey {what} · evidence: {', '.join(done.evidence)}")
    if done.rejected_file:
        err.print(f"{done.result.rejected:,} row(s) left out, with their reasons: {done.rejected_file}")
    if done.step4_done and done.created:
        out.print(
            "step 4 is already recorded with the earlier survey: run it again with "
            f"`kpi6 run --province {prov.code} --round {config.id} --step 4 --force --input …` to use this one"
        )
    else:
        out.print(f"step 4 will use it: `kpi6 run --province {prov.code} --round {config.id} --step 4 --input …`")


@app.command()
def topics(
    file: Annotated[Path, typer.Argument(help="LPA results (CSV or XLSX): one row per LAO and indicator")],
    province: Annotated[
        str | None, typer.Option(help="The province the results are of (for the background text)")
    ] = None,
    round_id: Annotated[
        str | None, typer.Option("--round", help="Round id: its threshold and deadlines for the plan")
    ] = None,
    threshold: Annotated[
        float | None, typer.Option(min=1, max=100, help="Below this % of full score is weak (default: the round's, 70)")
    ] = None,
    top: Annotated[int, typer.Option(min=1, help="How many indicators to list")] = 10,
    write_input: Annotated[
        Path | None,
        typer.Option(
            "--write-input", help="Write the proposed plan and media as an input file to edit, then `kpi6 run`"
        ),
    ] = None,
    accept: Annotated[bool, typer.Option("--accept", help="Record step 1 with the proposed plan now")] = False,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Output folder for --accept (evidence store)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Rank the province's LPA weaknesses and propose the two media topics and the plan (step 1)."""
    from kpi6.tasks.adapters.rounds import load_round
    from kpi6.tasks.topics import analyse, proposed_plan

    prov = registry().get(province) if province else None
    config = load_round(round_id) if round_id else None
    if (write_input or accept) and not (prov and config):
        raise InputError("--write-input and --accept need --province and --round (the plan's dates are the round's)")
    analysis = analyse(file, province=prov, config=config, threshold_percent=threshold)
    plan = proposed_plan(analysis, config, prov) if prov and config else None
    if as_json:
        data = {
            "source": analysis.source,
            "threshold_percent": analysis.threshold_percent,
            "n_laos": analysis.n_laos,
            "weaknesses": [
                {
                    "rank": w.rank,
                    "indicator": w.indicator,
                    "indicator_name": w.indicator_name,
                    "aspect": w.aspect.name_th,
                    "share_below": w.share_below,
                    "n_below": w.n_below,
                    "n_laos": w.n_laos,
                    "mean_percent": w.mean_percent,
                    "by_type": {k: v.model_dump() for k, v in w.by_type.items()},
                }
                for w in analysis.weaknesses
            ],
            "aspects": [
                {
                    "rank": a.rank,
                    "aspect": a.aspect.name_th,
                    "share_below": a.share_below,
                    "n_below": a.n_below,
                    "n_laos": a.n_laos,
                    "mean_percent": a.mean_percent,
                }
                for a in analysis.aspects
            ],
            "proposal": [
                {
                    "topic": p.topic.title_th,
                    "topic_id": p.topic.id,
                    "aspect": p.topic.aspect.name_th,
                    "indicators": [w.indicator for w in p.weaknesses],
                    "format": p.topic.format,
                    "background_th": p.background_th,
                }
                for p in analysis.proposal
            ],
            "plan": plan.model_dump(mode="json")["activities"] if plan else None,
        }
        out.print_json(json.dumps(data, ensure_ascii=False))
    else:
        table = Table(
            title=f"จุดอ่อน LPA · {analysis.source} · อปท. {analysis.n_laos:,} แห่ง · "
            f"ต่ำกว่าร้อยละ {analysis.threshold_percent:g} ของคะแนนเต็ม"
        )
        for col in ("#", "ตัวชี้วัด · indicator", "ด้าน · aspect", "ไม่ผ่าน · below", "%", "เฉลี่ย % · mean"):
            table.add_column(col, justify="right" if col in ("#", "%", "เฉลี่ย % · mean", "ไม่ผ่าน · below") else "left")
        for w in analysis.weaknesses[:top]:
            table.add_row(
                str(w.rank),
                f"{w.indicator} {w.indicator_name}",
                w.aspect.name_th,
                f"{w.n_below:,}/{w.n_laos:,}",
                f"{100 * w.share_below:.1f}",
                f"{w.mean_percent:.1f}",
            )
        out.print(table)
        out.print(
            "ด้าน · by aspect: "
            + " · ".join(
                f"{a.aspect.name_th} {a.n_below:,}/{a.n_laos:,} ({100 * a.share_below:.1f}%)" for a in analysis.aspects
            )
        )
        for i, p in enumerate(analysis.proposal, 1):
            out.print(
                f"\n[bold]หัวข้อที่ {i}: {p.topic.title_th}[/] ({p.topic.aspect.name_th}; "
                f"ตัวชี้วัด {', '.join(w.indicator for w in p.weaknesses)}; {p.topic.format})",
                highlight=False,
            )
            out.print(p.background_th, highlight=False)
        if plan:
            steps = Table(title="แผนและขั้นตอนการดำเนินงาน (proposed plan)")
            for col in ("กิจกรรม · activity", "เริ่ม · start", "ถึง · end"):
                steps.add_column(col)
            for a in plan.activities:
                steps.add_row(a.activity, a.start.isoformat(), a.end.isoformat())
            out.print(steps)
    if write_input and plan and prov:
        _write_proposal_input(write_input, plan, prov)
        err.print(
            f"wrote {write_input}: edit it, then `kpi6 run --province {prov.code} --round {config.id} "  # type: ignore[union-attr]
            f"--step 1 --input {write_input}`"
        )
    if accept and plan and prov and config:
        from kpi6.flows.province import province_round
        from kpi6.tasks.outputs import check_output_dir

        check_output_dir(str(out_dir.resolve()) if out_dir else None)
        summary, _ = _run_flow(
            province_round,
            province=prov.code,
            round_id=config.id,
            step=1,
            inputs=ProvinceInputs(plan=plan),
            output_dir=str(out_dir.resolve()) if out_dir else None,
        )
        state = summary.steps[0]
        err.print(
            f"step 1 {STATE_TH.get(state.state, state.state)} ({state.action.value}) · {prov.label} · {config.id}"
        )


def _write_proposal_input(path: Path, plan: Any, province: Any) -> None:
    """The proposed plan and two media drafts as an input file, in the example's form, for the clerk to edit."""
    from kpi6.models.forms import office_name

    data = {
        "plan": plan.model_dump(mode="json", exclude_none=True),
        "media": {
            "media": [
                {
                    "title": t.title,
                    "lpa_aspect": t.aspect,
                    "background": t.background,
                    "content": t.content,
                    "agency": office_name(province),
                    "format": t.format,
                    "key_points": t.key_points,
                }
                for t in plan.topics
            ]
        },
    }
    header = (
        "# Proposed by `kpi6 topics` from the province's LPA results: edit what you need, then\n"
        "# `kpi6 run --step 1` records the plan and `kpi6 run --step 2` the media (a video or website needs its"
        " link).\n"
    )
    path.write_text(header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110), encoding="utf-8")


delivery_app = typer.Typer(
    help="Report e-mails: their state, and what DLA's mailbox shows for a send whose outcome is unknown.",
    no_args_is_help=True,
)
app.add_typer(delivery_app, name="delivery")


def _resolve_delivery(province: str, round_id: str, form: int, *, arrived: bool, at: str | None) -> None:
    from kpi6.tasks.adapters.database import session_scope
    from kpi6.tasks.adapters.repository import resolve_delivery, utcnow
    from kpi6.tasks.adapters.rounds import load_round
    from kpi6.tasks.run import default_actor, prepare_database

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
    province: Annotated[str, typer.Option(help="Province code, Thai or English name")],
    round_id: Annotated[str, typer.Option("--round", help="Round id, e.g. 2567-1")],
    form: FormOption,
    at: Annotated[str | None, typer.Option(help="When DLA's mailbox received it (default: when it was sent)")] = None,
) -> None:
    """The e-mail of unknown outcome is in DLA's mailbox: record it as sent (the next run records the step)."""
    _resolve_delivery(province, round_id, form, arrived=True, at=at)


@delivery_app.command("not-arrived")
def delivery_not_arrived(
    province: Annotated[str, typer.Option(help="Province code, Thai or English name")],
    round_id: Annotated[str, typer.Option("--round", help="Round id, e.g. 2567-1")],
    form: FormOption,
) -> None:
    """The e-mail of unknown outcome is not in DLA's mailbox: the next run sends the same message again."""
    _resolve_delivery(province, round_id, form, arrived=False, at=None)


@delivery_app.command("list")
def delivery_list(
    round_id: Annotated[str, typer.Option("--round", help="Round id, e.g. 2567-1")],
    province: Annotated[str | None, typer.Option(help="Only this province")] = None,
) -> None:
    """Every report e-mail of a round: version, Message-ID, state (sent, unknown, failed, sending), when."""
    from kpi6.tasks.adapters.database import session_scope
    from kpi6.tasks.adapters.repository import deliveries
    from kpi6.tasks.adapters.rounds import load_round
    from kpi6.tasks.run import default_actor, prepare_database

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


def main() -> None:
    app(prog_name="kpi6")
