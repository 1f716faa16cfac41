"""Configuration: one TOML file plus the environment -> one frozen `Settings` object.

All validation lives here, so the rest of the program can trust what it is given. Secrets are
never read from the file: only the *name* of an environment variable, or a command that
prints the secret, is configured.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from inbox_worker.config_alerts import AlertSettings, read_alerts, read_targets
from inbox_worker.config_values import (
    read_address,
    read_bool,
    read_int,
    read_number,
    read_str,
    table,
)
from inbox_worker.domain.targets import TargetHours
from inbox_worker.errors import ConfigError

DEFAULT_CONFIG_PATH = Path("config/inbox-worker.toml")
CONFIG_ENV = "INBOX_WORKER_CONFIG"

SECURITY_MODES = ("none", "starttls", "tls")


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
    """The mailbox to read. ``kind`` is ``maildir`` or ``imap``."""

    kind: str = "maildir"
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


@dataclass(frozen=True)
class Settings:
    support: SupportSettings = field(default_factory=SupportSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    mailbox: MailboxSettings = field(default_factory=MailboxSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    technicians: TechnicianSettings = field(default_factory=TechnicianSettings)
    policy: PolicySettings = field(default_factory=PolicySettings)
    notices: NoticeSettings = field(default_factory=NoticeSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    targets: TargetHours = field(default_factory=TargetHours)
    templates_dir: Path = Path("templates")
    poll_interval: float = 30.0
    # Child processes that parse the next batch of a backlog while this one is stored
    # (0: parse in the worker itself).
    parse_processes: int = 1
    source: Path | None = None  # the file these settings came from, if any


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
        data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read configuration {config_path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: invalid TOML: {exc}") from exc
    try:
        return settings_from_dict(data, source=config_path)
    except ConfigError as exc:
        raise ConfigError(f"{config_path}: {exc}") from exc


KNOWN_SECTIONS = {
    "support",
    "database",
    "mailbox",
    "smtp",
    "technicians",
    "policy",
    "templates",
    "worker",
    "notices",
    "alerts",
    "targets",
}


def settings_from_dict(data: dict[str, Any], *, source: Path | None = None) -> Settings:
    unknown = set(data) - KNOWN_SECTIONS
    if unknown:
        raise ConfigError(f"unknown section(s): {', '.join(sorted(unknown))}")
    support = _support(table(data, "support"))
    alerts = read_alerts(table(data, "alerts"))
    return Settings(
        support=support,
        database=DatabaseSettings(
            url=read_str(table(data, "database"), "url", DatabaseSettings.url, "database")
        ),
        mailbox=_mailbox(table(data, "mailbox")),
        smtp=_smtp(table(data, "smtp")),
        technicians=_technicians(table(data, "technicians"), support.address),
        policy=_policy(table(data, "policy")),
        notices=NoticeSettings(
            rate_limit_per_hour=read_int(table(data, "notices"), "rate_limit_per_hour", 10,
                                     "notices"),
            acknowledgements_per_hour=read_int(table(data, "notices"),
                                           "acknowledgements_per_hour", 2, "notices"),
        ),
        alerts=alerts,
        targets=read_targets(table(data, "targets"), alerts.timezone),
        templates_dir=Path(read_str(table(data, "templates"), "dir", "templates", "templates")),
        poll_interval=read_number(table(data, "worker"), "poll_interval", 30.0, "worker"),
        parse_processes=read_int(table(data, "worker"), "parse_processes", 1, "worker"),
        source=source,
    )


def _secret(section: dict[str, Any], prefix: str, where: str, default_env: str = "") -> Secret:
    return Secret(
        env=read_str(section, f"{prefix}_env", default_env, where),
        command=read_str(section, f"{prefix}_command", "", where),
    )


def _refuse_inline_secrets(section: dict[str, Any], where: str) -> None:
    for key in ("password", "token", "oauth2_token"):
        if key in section:
            raise ConfigError(
                f"[{where}] {key}: secrets are not read from the file; "
                f"use {key}_env (an environment variable) or {key}_command"
            )


def _support(section: dict[str, Any]) -> SupportSettings:
    address = read_address(
        read_str(section, "address", SupportSettings.address, "support"), "[support] address"
    )
    prefix = read_str(section, "token_prefix", SupportSettings.token_prefix, "support")
    if not (prefix.isascii() and prefix.isalnum() and 1 <= len(prefix) <= 10):
        raise ConfigError("[support] token_prefix must be 1-10 letters or digits")
    return SupportSettings(
        address=address,
        name=read_str(section, "name", SupportSettings.name, "support"),
        token_prefix=prefix.upper(),
        message_id_domain=read_str(
            section, "message_id_domain", address.partition("@")[2], "support"
        ).lower(),
    )


def _security(section: dict[str, Any], default: str, where: str) -> str:
    security = read_str(section, "security", default, where)
    if security not in SECURITY_MODES:
        raise ConfigError(f"[{where}] security must be one of {', '.join(SECURITY_MODES)}")
    return security


def _mailbox(section: dict[str, Any]) -> MailboxSettings:
    _refuse_inline_secrets(section, "mailbox")
    url = read_str(section, "url", "maildir:var/mail", "mailbox")
    oauth2_token = _secret(section, "oauth2_token", "mailbox")
    common: dict[str, Any] = dict(
        username=read_str(section, "username", "", "mailbox"),
        password=_secret(section, "password", "mailbox", "INBOX_WORKER_IMAP_PASSWORD"),
        oauth2_token=oauth2_token,
        tls_verify=read_bool(section, "tls_verify", True, "mailbox"),
        ca_file=read_str(section, "ca_file", "", "mailbox"),
        processed_folder=read_str(section, "processed_folder", "Processed", "mailbox"),
        quarantine_folder=read_str(section, "quarantine_folder", "Quarantine", "mailbox"),
        batch_size=read_int(section, "batch_size", 50, "mailbox") or 50,
        timeout=read_number(section, "timeout", 30.0, "mailbox"),
        max_message_bytes=read_int(section, "max_message_bytes", 25 * 1024 * 1024, "mailbox"),
    )
    auth = read_str(section, "auth", "password", "mailbox")
    if auth not in ("password", "xoauth2"):
        raise ConfigError("[mailbox] auth must be password or xoauth2")
    if url.startswith("maildir:"):
        path = url[len("maildir:") :]
        if path.startswith("//"):
            path = path[2:]
        if not path:
            raise ConfigError("[mailbox] url maildir: needs a path")
        return MailboxSettings(kind="maildir", path=Path(path), **common)
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        raise ConfigError(
            f"[mailbox] url {url!r}: expected maildir:PATH, imap://host[:port]/FOLDER "
            "or imaps://host[:port]/FOLDER"
        )
    default_security = "tls" if parts.scheme == "imaps" else "starttls"
    security = _security(section, default_security, "mailbox")
    try:
        port = parts.port or (993 if security == "tls" else 143)
    except ValueError as exc:
        raise ConfigError(f"[mailbox] url {url!r}: bad port") from exc
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    if auth == "xoauth2" and not oauth2_token.configured:
        raise ConfigError("[mailbox] auth = xoauth2 needs oauth2_token_command or oauth2_token_env")
    return MailboxSettings(
        kind="imap",
        host=parts.hostname,
        port=port,
        folder=folder,
        security=security,
        auth=auth,
        **common,
    )


def _smtp(section: dict[str, Any]) -> SmtpSettings:
    _refuse_inline_secrets(section, "smtp")
    if not section or section.get("kind") == "maildir":
        # No [smtp] section: the embedded default writes notices to a Maildir to read.
        return SmtpSettings(
            kind="maildir", sent_path=Path(read_str(section, "sent_path", "var/sent", "smtp"))
        )
    port = read_int(section, "port", 25, "smtp")
    if not 0 < port < 65536:
        raise ConfigError("[smtp] port must be between 1 and 65535")
    return SmtpSettings(
        kind="smtp",
        host=read_str(section, "host", "localhost", "smtp"),
        port=port,
        security=_security(section, "none", "smtp"),
        username=read_str(section, "username", "", "smtp"),
        password=_secret(section, "password", "smtp", "INBOX_WORKER_SMTP_PASSWORD"),
        tls_verify=read_bool(section, "tls_verify", True, "smtp"),
        ca_file=read_str(section, "ca_file", "", "smtp"),
        timeout=read_number(section, "timeout", 30.0, "smtp"),
    )


def _technicians(section: dict[str, Any], support_address: str) -> TechnicianSettings:
    raw = section.get("addresses", [])
    if not isinstance(raw, list) or not all(isinstance(a, str) for a in raw):
        raise ConfigError("[technicians] addresses must be a list of strings")
    addresses = frozenset(read_address(a, "[technicians] addresses") for a in raw)
    if support_address in addresses:
        raise ConfigError("[technicians] addresses must not contain the support address")
    ids = section.get("trusted_authserv_ids", [])
    if not isinstance(ids, list) or not all(isinstance(a, str) for a in ids):
        raise ConfigError("[technicians] trusted_authserv_ids must be a list of strings")
    time_zone = read_str(section, "time_zone", "UTC", "technicians")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"[technicians] time_zone {time_zone!r} is not a known zone") from exc
    marker = section.get("signature_marker")
    if marker is not None and (not isinstance(marker, str) or not marker.strip()
                               or "\n" in marker or "\r" in marker):
        raise ConfigError("[technicians] signature_marker must be one non-empty line")
    return TechnicianSettings(
        addresses=addresses,
        trusted_authserv_ids=tuple(i.strip().lower() for i in ids),
        trust_delivery_path=read_bool(section, "trust_delivery_path", False, "technicians"),
        time_zone=time_zone,
        signature_marker=marker,
    )


def _policy(section: dict[str, Any]) -> PolicySettings:
    return PolicySettings(
        auto_close_days=read_int(section, "auto_close_days", 30, "policy"),
        reopen_days=read_int(section, "reopen_days", 30, "policy"),
    )
