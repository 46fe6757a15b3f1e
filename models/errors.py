"""Errors a user can fix: each carries one line saying what is wrong and how to fix it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


class Kpi6Error(Exception):
    """A problem with the user's input or configuration; the CLI prints it and exits with code 2."""


class UnknownProvinceError(Kpi6Error):
    pass


class UnknownRoundError(Kpi6Error):
    pass


class RoundConfigError(Kpi6Error):
    pass


class OutputError(Kpi6Error):
    """A folder kpi6 must write to (forms, media, evidence) cannot be written."""


class DeliveryError(Kpi6Error):
    """Sending or uploading failed (mail server or Google Drive down, recipient refused): nothing recorded."""


class DeliveryUnknownError(DeliveryError):
    """A message went to the mail server but no answer came back (a timeout, a dropped line, a killed run): it
    may have arrived. kpi6 never sends it again until an operator has checked DLA's mailbox."""


class DeliveryBusyError(DeliveryError):
    """Another run holds the claim on this report version (it is sending it now, or recorded it meanwhile)."""


class SettingsError(Kpi6Error):
    """A setting is missing, malformed or still a placeholder."""


class InputError(Kpi6Error):
    pass


class StepOrderError(Kpi6Error):
    pass


class FieldValueError(ValueError):
    """Raised by a whole-model check to name the field at fault (e.g. `steps.4.deadline`)."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


def describe_validation_error(exc: ValidationError, *, source: str) -> str:
    """One line for a pydantic ValidationError: the source, the first bad field and what is wrong."""
    errors = exc.errors()
    err = errors[0]
    cause = err.get("ctx", {}).get("error")
    loc = tuple(err["loc"]) + tuple(getattr(cause, "loc", ()))
    field = ".".join(str(p) for p in loc) or "(top level)"
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    msg = str(err["msg"]).removeprefix("Value error, ")
    return f"{source}: field {field}: {msg}{more}"
