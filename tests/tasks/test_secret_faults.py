"""Settings errors are one line that never quotes a secret; placeholder passwords are caught after decoding."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kpi6.cli import app
from kpi6.models.errors import SettingsError
from kpi6.settings import get_settings
from kpi6.tasks.adapters.mail import SmtpTransport


@pytest.mark.parametrize(
    "url",
    [
        "smtp://clerk@mail.example:Hunter2Secret",  # the password where the port should be
        "smtp://clerk:Hunter2Secret@mail.example:notaport",
        "smtp://clerk:Hunter2Secret@[mail.example:587",
    ],
)
def test_a_malformed_smtp_url_is_one_line_that_never_quotes_the_password(url, monkeypatch):
    monkeypatch.setenv("KPI6_SMTP_URL", url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["status", "--round", "2567-1"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2, result.output
    assert "Hunter2Secret" not in result.output + result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "KPI6_SMTP_URL" in result.stderr


@pytest.mark.parametrize(
    "password",
    [
        "change%20me",
        "********",
        "Change-Me",
        "%3Cpassword%3E",
        "xxxxxxxx",
        "your_password",
        "YOUR-SMTP-PASSWORD",
        "${SMTP_PASSWORD}",
        "$SMTP_PASSWORD",
        "%SMTP_PASSWORD%",
    ],
)
def test_placeholder_passwords_are_refused_after_decoding(password):
    with pytest.raises(SettingsError, match="placeholder password") as err:
        SmtpTransport(f"smtp://clerk:{password}@mail.example:587")
    assert password not in str(err.value)


def test_a_real_password_with_encoded_characters_is_accepted():
    assert SmtpTransport("smtps://clerk:p%40ss%20w0rd-2567@mail.example").port == 465
