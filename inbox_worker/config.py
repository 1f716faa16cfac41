"""Configuration: one TOML file plus the environment -> one frozen `Settings` object.

`config_schema` says what the file may hold and checks it; this module reads the file, turns
it into `Settings` and checks the places it names, so the rest of the program can trust what
it is given. Secrets are never read from the file: only the *name* of an environment
variable, or a command that prints the secret, is configured.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from inbox_worker.config_alerts import (
    AlertSettings,
    FollowupSettings,
    ReportSettings,
    alert_settings,
    followup_settings,
    report_settings,
    target_hours,
)
from inbox_worker.config_errors import describe_errors, find_line
from inbox_worker.config_mailboxes import mailbox_place
from inbox_worker.config_ops import (
    LoggingSettings,
    MetricsSettings,
    WebSettings,
    logging_settings,
    metrics_settings,
    web_settings,
)
from inbox_worker.config_schema import (
    DEFAULT_DATABASE_URL,
    DEFAULT_MAILDIR,
    DEFAULT_SENT_MAILDIR,
    ConfigFile,
    MailboxesEntry,
    MailboxFile,
    SmtpFile,
)
from inbox_worker.domain.targets import TargetHours
from inbox_worker.errors import ConfigError

DEFAULT_CONFIG_PATH = Path("config/inbox-worker.toml")
CONFIG_ENV = "INBOX_WORKER_CONFIG"


@dataclass(frozen=True)
class Secret:
    """Where a secret comes from: an environment variable or a command's first output line."""

    env: str = ""
    command: str = ""

    def resolve(self, what: str) -> str:
        if self.command:
            try:
                done = subprocess.run(
                    shlex.split(self.command), capture_output=True, text=True, timeout=60
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise ConfigError(f"{what}: command {self.command!r} failed: {exc}") from exc
            if done.returncode != 0:
                raise ConfigError(
                    f"{what}: command {self.command!r} exited with {done.returncode}"
                )
            return done.stdout.strip()
        if self.env:
            value = os.environ.get(self.env)
            if value is None:
                raise ConfigError(f"{what}: environment variable {self.env} is not set")
            return value
        return ""

    @property
    def configured(self) -> bool:
        return bool(self.env or self.command)


@dataclass(frozen=True)
class SupportSettings:
    address: str = "support@example.com"
    name: str = "Example Support"
    token_prefix: str = "IW"
    # Domain of the Message-IDs we generate; mail carrying it is our own and never a ticket.
    message_id_domain: str = "example.com"


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite:///var/inbox-worker.db"


@dataclass(frozen=True)
class MailboxSettings:
    """A mailbox to read. ``kind`` is ``maildir`` or ``imap``."""

    kind: str = "maildir"
    # Who the mailbox is to customers ([[mailboxes]]); "": [mailbox], the [support] address.
    address: str = ""
    name: str = ""  # "": the [support] name
    category: str | None = None  # of the tickets it opens
    path: Path = Path("var/mail")  # maildir only
    host: str = ""
    port: int = 0
    folder: str = "INBOX"
    security: str = "starttls"  # imap only: none | starttls | tls
    username: str = ""
    password: Secret = field(default_factory=Secret)
    auth: str = "password"  # password | xoauth2
    oauth2_token: Secret = field(default_factory=Secret)
    tls_verify: bool = True
    ca_file: str = ""
    processed_folder: str = "Processed"
    quarantine_folder: str = "Quarantine"
    batch_size: int = 50
    timeout: float = 30.0
    max_message_bytes: int = 25 * 1024 * 1024


@dataclass(frozen=True)
class SmtpSettings:
    """Where notices go. ``kind`` is ``smtp`` or ``maildir`` (the embedded default)."""

    kind: str = "maildir"
    sent_path: Path = Path("var/sent")
    host: str = "localhost"
    port: int = 25
    security: str = "none"
    username: str = ""
    password: Secret = field(default_factory=Secret)
    tls_verify: bool = True
    ca_file: str = ""
    timeout: float = 30.0


@dataclass(frozen=True)
class TechnicianSettings:
    addresses: frozenset[str] = frozenset()
    trusted_authserv_ids: tuple[str, ...] = ()
    trust_delivery_path: bool = False
    # Dates in `#status scheduled` tags are read in this zone.
    time_zone: str = "UTC"
    # A line that starts the technicians' private signature block, cut before relaying
    # (None: the standard "-- " separator).
    signature_marker: str | None = None


@dataclass(frozen=True)
class NoticeSettings:
    # At most this many notices to one address per hour (0: no limit); stops two automatic
    # systems from answering each other for ever.
    rate_limit_per_hour: int = 10
    # Acknowledgements (new tickets) to one address per hour: a robot answering each of our
    # notices with a fresh mail is cut off after this many rounds.
    acknowledgements_per_hour: int = 2


@dataclass(frozen=True)
class PolicySettings:
    auto_close_days: int = 30
    reopen_days: int = 30
    require_resolution: bool = False  # a closing without a #resolution is refused


@dataclass(frozen=True)
class Settings:
    support: SupportSettings = field(default_factory=SupportSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    # [mailbox], or the first of [[mailboxes]] (the defaults the others' keys share)
    mailbox: MailboxSettings = field(default_factory=MailboxSettings)
    # [[mailboxes]], each with its address; empty: the one [mailbox] above is read.
    mailboxes: tuple[MailboxSettings, ...] = ()
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    technicians: TechnicianSettings = field(default_factory=TechnicianSettings)
    policy: PolicySettings = field(default_factory=PolicySettings)
    notices: NoticeSettings = field(default_factory=NoticeSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    targets: TargetHours = field(default_factory=TargetHours)
    followup: FollowupSettings = field(default_factory=FollowupSettings)
    report: ReportSettings = field(default_factory=ReportSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    web: WebSettings = field(default_factory=WebSettings)
    templates_dir: Path = Path("templates")
    poll_interval: float = 30.0
    # Child processes that parse the next batch of a backlog while this one is stored
    # (0: parse in the worker itself).
    parse_processes: int = 1
    source: Path | None = None  # the file these settings came from, if any

    @property
    def read_mailboxes(self) -> tuple[MailboxSettings, ...]:
        """The mailboxes a poll reads: [[mailboxes]], or else [mailbox]."""
        return self.mailboxes or (self.mailbox,)

    @property
    def own_addresses(self) -> frozenset[str]:
        """Every address of ours: never a notice's recipient nor a customer, and mail from
        one of them is our own come back (loop protection)."""
        return frozenset({self.support.address, *(m.address for m in self.mailboxes)})

    @property
    def max_message_bytes(self) -> int:
        """The largest mail any mailbox takes (each refuses bigger ones as it fetches)."""
        return max(m.max_message_bytes for m in self.read_mailboxes)

    def sender(self, mailbox: str | None) -> tuple[str, str]:
        """(address, display name) that mails of a ticket that came in at ``mailbox`` go out
        from: that mailbox's, or the [support] ones (None, or a mailbox since removed from
        the file keeps its address under the support name)."""
        box = self._mailbox_at(mailbox)
        return mailbox or self.support.address, (box and box.name) or self.support.name

    def default_category(self, mailbox: str | None) -> str | None:
        """The category of a new ticket that came in at ``mailbox``."""
        box = self._mailbox_at(mailbox)
        return box.category if box else None

    def _mailbox_at(self, address: str | None) -> MailboxSettings | None:
        return next((box for box in self.mailboxes if address and box.address == address),
                    None)


def load_settings(path: Path | None = None, *, env: dict[str, str] | None = None) -> Settings:
    """Load settings from ``path``, ``$INBOX_WORKER_CONFIG`` or the default path.

    A missing default file means the embedded default; a missing file that the user named is
    an error. Relative paths in the file are resolved against the current directory, as the
    README's commands are run from the repository root.
    """
    environ = os.environ if env is None else env
    named = path is not None or bool(environ.get(CONFIG_ENV))
    config_path = path or Path(environ.get(CONFIG_ENV) or DEFAULT_CONFIG_PATH)
    if not config_path.exists():
        if named:
            raise ConfigError(f"configuration file {config_path} does not exist")
        return Settings()
    try:
        text = config_path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read configuration {config_path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: invalid TOML: {exc}") from exc
    settings = settings_from_dict(data, source=config_path, text=text)
    problems = missing_places(settings, data)
    if problems:
        located = sorted((find_line(text, [section, key]) or 0, f"[{section}] {key}: {why}")
                         for section, key, why in problems)
        raise ConfigError("\n".join(f"{config_path}:{line or '?'}: {problem}"
                                     for line, problem in located))
    return settings


def settings_from_dict(data: dict[str, Any], *, source: Path | None = None,
                       text: str = "") -> Settings:
    """Settings from a parsed TOML file; every mistake in it is one line of the ConfigError."""
    try:
        file = ConfigFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("\n".join(describe_errors(exc, source=source, text=text))) from None
    support = file.support
    return Settings(
        support=SupportSettings(
            address=support.address,
            name=support.name,
            token_prefix=support.token_prefix,
            message_id_domain=(support.message_id_domain
                               or support.address.partition("@")[2]).lower(),
        ),
        database=DatabaseSettings(url=file.database.url),
        mailbox=_mailbox(file.mailboxes[0] if file.mailboxes else file.mailbox),
        mailboxes=tuple(_mailbox(entry) for entry in file.mailboxes or ()),
        smtp=_smtp(file.smtp),
        technicians=TechnicianSettings(
            addresses=frozenset(file.technicians.addresses),
            trusted_authserv_ids=tuple(i.strip().lower()
                                       for i in file.technicians.trusted_authserv_ids),
            trust_delivery_path=file.technicians.trust_delivery_path,
            time_zone=file.technicians.time_zone,
            signature_marker=file.technicians.signature_marker,
        ),
        policy=PolicySettings(auto_close_days=file.policy.auto_close_days,
                              reopen_days=file.policy.reopen_days,
                              require_resolution=file.policy.require_resolution),
        notices=NoticeSettings(
            rate_limit_per_hour=file.notices.rate_limit_per_hour,
            acknowledgements_per_hour=file.notices.acknowledgements_per_hour,
        ),
        alerts=alert_settings(file.alerts),
        targets=target_hours(file.targets, file.alerts.timezone),
        followup=followup_settings(file.followup),
        report=report_settings(file.report),
        metrics=metrics_settings(file.metrics),
        logging=logging_settings(file.logging),
        web=web_settings(file.web),
        templates_dir=Path(file.templates.dir),
        poll_interval=file.worker.poll_interval,
        parse_processes=file.worker.parse_processes,
        source=source,
    )


def missing_places(settings: Settings, data: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Places named in the file that do not exist, as (section, key, why): a mistyped
    folder would otherwise be created and look like an empty inbox. The embedded default's
    places under var/ are created on first use, as without a file."""
    problems = []
    section = "mailboxes" if settings.mailboxes else "mailbox"
    for box in settings.read_mailboxes:
        if box.kind == "maildir" and str(box.path) != DEFAULT_MAILDIR:
            problems += _parent_missing(box.path, section, "url")
    if settings.smtp.kind == "maildir" and str(settings.smtp.sent_path) != DEFAULT_SENT_MAILDIR:
        problems += _parent_missing(settings.smtp.sent_path, "smtp", "sent_path")
    database = sqlite_file(settings.database.url)
    if database is not None and settings.database.url != DEFAULT_DATABASE_URL:
        problems += _parent_missing(database, "database", "url")
    if "dir" in data.get("templates", {}) and not settings.templates_dir.is_dir():
        problems.append(("templates", "dir", f"{settings.templates_dir} is not a folder "
                         "(create it, or leave the key out for the built-in templates)"))
    return problems


def _parent_missing(path: Path, section: str, key: str) -> list[tuple[str, str, str]]:
    if path.parent.is_dir():
        return []
    return [(section, key, f"the folder {path.parent} does not exist (create it first; "
             f"{path} is made inside it)")]


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory SQLite)."""
    if not url.startswith("sqlite"):
        return None
    database = url.partition(":///")[2].split("?", 1)[0]
    return Path(database) if database and database != ":memory:" else None


def _mailbox(file: MailboxFile) -> MailboxSettings:
    common: dict[str, Any] = dict(
        username=file.username,
        password=Secret(file.password_env, file.password_command),
        oauth2_token=Secret(file.oauth2_token_env, file.oauth2_token_command),
        auth=file.auth,
        tls_verify=file.tls_verify,
        ca_file=file.ca_file,
        processed_folder=file.processed_folder,
        quarantine_folder=file.quarantine_folder,
        batch_size=file.batch_size,
        timeout=file.timeout,
        max_message_bytes=file.max_message_bytes,
    )
    if isinstance(file, MailboxesEntry):
        common.update(address=file.address, name=file.name or "", category=file.category)
    place = mailbox_place(file.url)
    if place.kind == "maildir":
        return MailboxSettings(kind="maildir", path=Path(place.path), **common)
    security = file.security or ("tls" if place.implicit_tls else "starttls")
    return MailboxSettings(
        kind="imap",
        host=place.host,
        port=place.port or (993 if security == "tls" else 143),
        folder=place.folder,
        security=security,
        **common,
    )


def _smtp(file: SmtpFile | None) -> SmtpSettings:
    if file is None or not file.model_fields_set or file.kind == "maildir":
        # No [smtp] section (or an empty one): the embedded default writes notices to a
        # Maildir to read.
        return SmtpSettings(kind="maildir",
                            sent_path=Path(file.sent_path if file else DEFAULT_SENT_MAILDIR))
    return SmtpSettings(
        kind="smtp",
        host=file.host,
        port=file.port,
        security=file.security,
        username=file.username,
        password=Secret(file.password_env, file.password_command),
        tls_verify=file.tls_verify,
        ca_file=file.ca_file,
        timeout=file.timeout,
    )
