"""Errors a user can fix: each carries one line saying what is wrong and how to fix it."""


class Kpi6Error(Exception):
    """A problem with the user's input or configuration; the CLI prints it and exits with code 2."""


class UnknownProvinceError(Kpi6Error):
    pass


class UnknownRoundError(Kpi6Error):
    pass


class RoundConfigError(Kpi6Error):
    pass


class InputError(Kpi6Error):
    pass


class StepOrderError(Kpi6Error):
    pass


def describe_validation_error(exc: Exception, *, source: str) -> str:
    """One line for a pydantic ValidationError: the source, the first bad field and what is wrong."""
    errors = exc.errors()  # type: ignore[attr-defined]
    err = errors[0]
    field = ".".join(str(p) for p in err["loc"]) or "(top level)"
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    msg = str(err["msg"]).removeprefix("Value error, ")
    return f"{source}: field {field}: {msg}{more}"
