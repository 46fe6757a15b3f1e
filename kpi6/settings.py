"""The one settings class: every knob comes from the environment with prefix KPI6_."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "kpi6"


class Settings(BaseSettings):
    """kpi6's settings; embedded defaults need no server (SQLite file, local folders)."""

    model_config = SettingsConfigDict(env_prefix="KPI6_", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir, description="Where the SQLite file and outputs go")
    database_url: str | None = Field(default=None, description="Any SQLAlchemy URL; default SQLite in data_dir")
    rounds_dir: Path | None = Field(default=None, description="Extra folder of round files (<id>.yaml)")
    actor: str | None = Field(default=None, description="Name recorded in the audit log; default the OS user")
    output_dir: Path | None = Field(default=None, description="Where forms and media go; default data_dir")
    evidence_dir: Path | None = Field(default=None, description="The local evidence store; default <output>/evidence")
    evidence_base_url: str | None = Field(
        default=None, description="URL the evidence folder is served at; links (and QR codes) use it"
    )
    evidence_backend: Literal["local", "gdrive"] = Field(default="local", description="Where evidence goes")
    evidence_max_mb: float = Field(default=500, gt=0, description="Largest evidence file accepted, in MB")
    google_credentials: Path | None = Field(
        default=None, description="Service-account JSON or OAuth user token file for Google Drive"
    )
    drive_root_folder_id: str | None = Field(default=None, description="Drive folder (or shared drive) to work in")
    drive_public_links: bool = Field(default=True, description="Anyone with the link can view each step folder")
    drive_retries: int = Field(default=6, ge=1, description="Tries per Drive call on 429, 5xx or a dropped line")
    drive_api_root: str | None = Field(default=None, description="Drive API root URL (tests: a fake server)")
    smtp_url: SecretStr | None = Field(
        default=None, description="smtp://user:pass@host:587 (STARTTLS) or smtps://...:465; default: the outbox"
    )
    smtp_attempts: int = Field(default=3, ge=1, description="Tries per message when the server is unreachable")
    smtp_timeout: float = Field(default=30, gt=0, le=600, description="Seconds to wait for each answer of the server")
    smtp_from: str | None = Field(default=None, description="Sender address of the reports")
    dla_mailbox: str = Field(default="dla0810.7@dla.go.th", description="Where reports go (the letter's address)")
    office_email: str | None = Field(default=None, description="The office's own address, copied on each report")
    notify_urls: str = Field(default="", description="Apprise URLs for reminders and alerts, comma-separated")
    alert_emails: str = Field(default="", description="DLA addresses told when a province run fails, comma-separated")
    contacts_file: Path | None = Field(default=None, description="YAML: province code -> e-mail addresses")
    demo_parallel: int = Field(default=2, ge=1, le=32, description="Province runs the national demo runs at once")
    render_processes: int | None = Field(
        default=None, ge=0, le=64, description="Processes the national demo draws documents in; default: one per core"
    )
    topics_file: Path | None = Field(default=None, description="YAML: DLA's topics, added to the catalogue")
    outbox_dir: Path | None = Field(default=None, description="Where .eml files go without SMTP; default data/outbox")
    portal_url: str = Field(
        default="http://127.0.0.1:8000", description="Where the offices reach the portal; https makes cookies Secure"
    )
    portal_round: str | None = Field(default=None, description="The round the portal shows; default the current")
    portal_session_hours: float = Field(default=12, gt=0, le=24 * 30, description="A sign-in lasts this long")
    portal_link_hours: float = Field(default=72, gt=0, le=24 * 30, description="A one-time sign-in link lasts this")
    portal_max_failures: int = Field(default=5, ge=1, description="Failed sign-ins before an account or address waits")
    portal_lock_minutes: float = Field(default=15, gt=0, description="How long it waits, from the last failure")
    portal_threads: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Requests the portal works on at once; more wait their turn (a page's work holds Python's lock)",
    )
    portal_upload_mb: float = Field(
        default=200, gt=0, description="Largest upload the portal reads at once (a form's files together), in MB"
    )

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'kpi6.db'}"


@lru_cache
def get_settings() -> Settings:
    """Built lazily and once per process; tests clear the cache after changing the environment."""
    return Settings()
