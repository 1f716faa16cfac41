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

from inbox_worker.domain.targets import (
    DEFAULT_FIRST_RESPONSE_HOURS,
    DEFAULT_RESOLUTION_HOURS,
    BusinessHours,
    TargetHours,
)
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
class AlertSettings:
    """Who hears of what (PRODUCT.md section 4a). Empty recipient lists mean: every
    technician."""

    recipients: tuple[str, ...] = ()
    escalation: tuple[str, ...] = ()
    attach_max_bytes: int = 10 * 1024 * 1024
    digest_recipients: tuple[str, ...] = ()
    digest_at: str = "08:00"  # local time of the daily digest; "" turns it off
    timezone: str = "UTC"
    # Messages of the conversation an alert shows before the new one.
    conversation_messages: int = 5


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
    support = _support(_section(data, "support"))
    alerts = _alerts(_section(data, "alerts"))
    return Settings(
        support=support,
        database=DatabaseSettings(
            url=_str(_section(data, "database"), "url", DatabaseSettings.url, "database")
        ),
        mailbox=_mailbox(_section(data, "mailbox")),
        smtp=_smtp(_section(data, "smtp")),
        technicians=_technicians(_section(data, "technicians"), support.address),
        policy=_policy(_section(data, "policy")),
        notices=NoticeSettings(
            rate_limit_per_hour=_int(_section(data, "notices"), "rate_limit_per_hour", 10,
                                     "notices"),
            acknowledgements_per_hour=_int(_section(data, "notices"),
                                           "acknowledgements_per_hour", 2, "notices"),
        ),
        alerts=alerts,
        targets=_targets(_section(data, "targets"), alerts.timezone),
        templates_dir=Path(_str(_section(data, "templates"), "dir", "templates", "templates")),
        poll_interval=_number(_section(data, "worker"), "poll_interval", 30.0, "worker"),
        parse_processes=_int(_section(data, "worker"), "parse_processes", 1, "worker"),
        source=source,
    )


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table")
    return value


def _str(section: dict[str, Any], key: str, default: str, where: str) -> str:
    value = section.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"[{where}] {key} must be a string")
    return value


def _bool(section: dict[str, Any], key: str, default: bool, where: str) -> bool:
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"[{where}] {key} must be true or false")
    return value


def _number(section: dict[str, Any], key: str, default: float, where: str) -> float:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"[{where}] {key} must be a positive number")
    return float(value)


def _int(section: dict[str, Any], key: str, default: int, where: str) -> int:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"[{where}] {key} must be a whole number >= 0")
    return value


def _address(value: str, what: str) -> str:
    address = value.strip().lower()
    local, at, domain = address.partition("@")
    if not at or not local or not domain or any(c.isspace() for c in address):
        raise ConfigError(f"{what}: {value!r} is not an email address")
    return address


def _secret(section: dict[str, Any], prefix: str, where: str, default_env: str = "") -> Secret:
    return Secret(
        env=_str(section, f"{prefix}_env", default_env, where),
        command=_str(section, f"{prefix}_command", "", where),
    )


def _refuse_inline_secrets(section: dict[str, Any], where: str) -> None:
    for key in ("password", "token", "oauth2_token"):
        if key in section:
            raise ConfigError(
                f"[{where}] {key}: secrets are not read from the file; "
                f"use {key}_env (an environment variable) or {key}_command"
            )


def _support(section: dict[str, Any]) -> SupportSettings:
    address = _address(
        _str(section, "address", SupportSettings.address, "support"), "[support] address"
    )
    prefix = _str(section, "token_prefix", SupportSettings.token_prefix, "support")
    if not (prefix.isascii() and prefix.isalnum() and 1 <= len(prefix) <= 10):
        raise ConfigError("[support] token_prefix must be 1-10 letters or digits")
    return SupportSettings(
        address=address,
        name=_str(section, "name", SupportSettings.name, "support"),
        token_prefix=prefix.upper(),
        message_id_domain=_str(
            section, "message_id_domain", address.partition("@")[2], "support"
        ).lower(),
    )


def _security(section: dict[str, Any], default: str, where: str) -> str:
    security = _str(section, "security", default, where)
    if security not in SECURITY_MODES:
        raise ConfigError(f"[{where}] security must be one of {', '.join(SECURITY_MODES)}")
    return security


def _mailbox(section: dict[str, Any]) -> MailboxSettings:
    _refuse_inline_secrets(section, "mailbox")
    url = _str(section, "url", "maildir:var/mail", "mailbox")
    oauth2_token = _secret(section, "oauth2_token", "mailbox")
    common: dict[str, Any] = dict(
        username=_str(section, "username", "", "mailbox"),
        password=_secret(section, "password", "mailbox", "INBOX_WORKER_IMAP_PASSWORD"),
        oauth2_token=oauth2_token,
        tls_verify=_bool(section, "tls_verify", True, "mailbox"),
        ca_file=_str(section, "ca_file", "", "mailbox"),
        processed_folder=_str(section, "processed_folder", "Processed", "mailbox"),
        quarantine_folder=_str(section, "quarantine_folder", "Quarantine", "mailbox"),
        batch_size=_int(section, "batch_size", 50, "mailbox") or 50,
        timeout=_number(section, "timeout", 30.0, "mailbox"),
        max_message_bytes=_int(section, "max_message_bytes", 25 * 1024 * 1024, "mailbox"),
    )
    auth = _str(section, "auth", "password", "mailbox")
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
            kind="maildir", sent_path=Path(_str(section, "sent_path", "var/sent", "smtp"))
        )
    port = _int(section, "port", 25, "smtp")
    if not 0 < port < 65536:
        raise ConfigError("[smtp] port must be between 1 and 65535")
    return SmtpSettings(
        kind="smtp",
        host=_str(section, "host", "localhost", "smtp"),
        port=port,
        security=_security(section, "none", "smtp"),
        username=_str(section, "username", "", "smtp"),
        password=_secret(section, "password", "smtp", "INBOX_WORKER_SMTP_PASSWORD"),
        tls_verify=_bool(section, "tls_verify", True, "smtp"),
        ca_file=_str(section, "ca_file", "", "smtp"),
        timeout=_number(section, "timeout", 30.0, "smtp"),
    )


def _technicians(section: dict[str, Any], support_address: str) -> TechnicianSettings:
    raw = section.get("addresses", [])
    if not isinstance(raw, list) or not all(isinstance(a, str) for a in raw):
        raise ConfigError("[technicians] addresses must be a list of strings")
    addresses = frozenset(_address(a, "[technicians] addresses") for a in raw)
    if support_address in addresses:
        raise ConfigError("[technicians] addresses must not contain the support address")
    ids = section.get("trusted_authserv_ids", [])
    if not isinstance(ids, list) or not all(isinstance(a, str) for a in ids):
        raise ConfigError("[technicians] trusted_authserv_ids must be a list of strings")
    time_zone = _str(section, "time_zone", "UTC", "technicians")
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
        trust_delivery_path=_bool(section, "trust_delivery_path", False, "technicians"),
        time_zone=time_zone,
        signature_marker=marker,
    )


def _policy(section: dict[str, Any]) -> PolicySettings:
    return PolicySettings(
        auto_close_days=_int(section, "auto_close_days", 30, "policy"),
        reopen_days=_int(section, "reopen_days", 30, "policy"),
    )


def _addresses(section: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    raw = section.get(key, [])
    if not isinstance(raw, list) or not all(isinstance(a, str) for a in raw):
        raise ConfigError(f"[{where}] {key} must be a list of addresses")
    return tuple(dict.fromkeys(_address(a, f"[{where}] {key}") for a in raw))


def _zone(name: str, what: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{what} {name!r} is not a known time zone") from exc
    return name


def _clock_time(value: str, what: str) -> str:
    hours, colon, minutes = value.strip().partition(":")
    if not (colon and hours.isdigit() and minutes.isdigit() and len(minutes) == 2
            and int(hours) < 24 and int(minutes) < 60):
        raise ConfigError(f"{what} must be a time of day as HH:MM (or \"\" for none)")
    return f"{int(hours):02d}:{minutes}"


def _alerts(section: dict[str, Any]) -> AlertSettings:
    digest_at = _str(section, "digest_at", AlertSettings.digest_at, "alerts").strip()
    return AlertSettings(
        recipients=_addresses(section, "recipients", "alerts"),
        escalation=_addresses(section, "escalation", "alerts"),
        attach_max_bytes=_int(section, "attach_max_bytes", AlertSettings.attach_max_bytes,
                              "alerts"),
        digest_recipients=_addresses(section, "digest_recipients", "alerts"),
        digest_at=_clock_time(digest_at, "[alerts] digest_at") if digest_at else "",
        timezone=_zone(_str(section, "timezone", "UTC", "alerts"), "[alerts] timezone"),
        conversation_messages=_int(section, "conversation_messages",
                                   AlertSettings.conversation_messages, "alerts"),
    )


def _hours_per_priority(section: dict[str, Any], key: str, default: dict[str, float]
                        ) -> dict[str, float]:
    value = section.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[targets] {key} must be a table of priority = hours")
    unknown = set(value) - set(default)
    if unknown:
        raise ConfigError(f"[targets] {key}: unknown priority {sorted(unknown)[0]!r} "
                          f"(use {', '.join(default)})")
    hours = dict(default)
    for priority, amount in value.items():
        if isinstance(amount, bool) or not isinstance(amount, int | float) or amount < 0:
            raise ConfigError(f"[targets] {key}.{priority} must be a number of hours >= 0 "
                              "(0: no target)")
        hours[priority] = float(amount)
    return hours


def _targets(section: dict[str, Any], timezone: str) -> TargetHours:
    """Business hours are read in the alerts' time zone ([alerts] timezone), unless they
    name their own."""
    business = section.get("business_hours")
    hours: BusinessHours | None = None
    if business is not None:
        if not isinstance(business, dict):
            raise ConfigError("[targets] business_hours must be a table: "
                              '{ days = "mon-fri", start = "09:00", end = "17:00" }')
        zone = business.get("timezone", timezone)
        try:
            hours = BusinessHours.parse(
                str(business.get("days", "mon-fri")), str(business.get("start", "09:00")),
                str(business.get("end", "17:00")), str(zone),
            )
        except ValueError as exc:
            raise ConfigError(f"[targets] business_hours: {exc}") from exc
    return TargetHours(
        first_response=_hours_per_priority(section, "first_response",
                                           dict(DEFAULT_FIRST_RESPONSE_HOURS)),
        resolution=_hours_per_priority(section, "resolution", dict(DEFAULT_RESOLUTION_HOURS)),
        business_hours=hours,
    )
