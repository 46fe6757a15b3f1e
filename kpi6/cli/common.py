"""What every command shares: the consoles, one-line errors, the `kpi6` app and its sub-commands, and parsers
of what a clerk types (dates, province and round)."""

from __future__ import annotations

import os
import re
import shutil
from datetime import UTC, date, datetime
from typing import Annotated, Any, NoReturn

import click
import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from kpi6.models.calendar import BANGKOK
from kpi6.models.errors import InputError, Kpi6Error
from kpi6.runtime import EPHEMERAL_STARTUP_SECONDS, EPHEMERAL_TIMEOUT, prefect_defaults
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

        modules.append(typer_click)
    except ImportError:  # an older Typer, on click itself
        pass
    return (
        tuple(m.ClickException for m in modules),
        tuple(m.NoArgsIsHelpError for m in modules if hasattr(m, "NoArgsIsHelpError")),
    )


CLICK_ERRORS, SHOW_HELP_ERRORS = _click_errors()


def print_error(message: str) -> None:
    """`error: ...` on stderr, on one line whatever the message holds (Rich markup in it is printed as written)."""
    # a file name may carry ESC sequences that would rewrite the terminal: shown escaped (\x1b)
    line = "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode() for c in " ".join(str(message).split("\n"))
    )
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
    if param is not None and type(exc).__name__ == "BadParameter":
        name = max(getattr(param, "opts", None) or [param.name], key=len)
        cause = exc.__cause__
        error = cause.errors()[0] if cause is not None and hasattr(cause, "errors") else {}
        given = error.get("input")
        if given is not None:  # Typer's parse of the value failed: name the value and why
            return f"{name} {given} is not allowed: give {allowed}" if allowed else f"{name} {given}: {error['msg']}"
        if allowed:  # click's own message then names the value
            return f"{name}: {exc.format_message()}; give {allowed}"  # type: ignore[attr-defined]
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

    def invoke(self, ctx: Any) -> Any:  # click's Context, or that of the copy newer Typer carries
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
users_app = typer.Typer(help="The portal's users: add, list, disable, enable, reset.", no_args_is_help=True)
app.add_typer(users_app, name="users")


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


def num(value: Any) -> float:
    return round(float(value), 2)


def safe_url(url: str) -> str:
    """The database URL without its password."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


ProvinceOption = Annotated[str, typer.Option("--province", help="Province code, Thai or English name")]
RoundOption = Annotated[str, typer.Option("--round", help="Round id, e.g. 2567-1")]
JsonOption = Annotated[bool, typer.Option("--json", help="JSON for scripts, instead of the table")]


def declared_step(value: int | None) -> int | None:
    """`--step`: one of the steps the declaration has (models/steps.py), not a fixed range."""
    from kpi6.models.steps import numbers

    if value is not None and value not in numbers():
        raise typer.BadParameter(f"{value} is not a step: give a number from {numbers()[0]} to {numbers()[-1]}")
    return value


def today_or(text: str | None) -> date:
    """`--today`, or today in Bangkok."""
    return parse_day(text, "--today") if text else datetime.now(BANGKOK).date()
