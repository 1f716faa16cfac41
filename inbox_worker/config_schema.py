"""What the configuration file may say: every section and key, its type, range and default.

pydantic checks a whole file at once, so an admin sees every mistake in one run, and refuses
keys it does not know (a mistyped key would otherwise leave its default in force without a
word). `config_errors` turns its findings into one line per mistake. `config` builds the
program's `Settings` from a file that passed.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from inbox_worker.config_mailboxes import mailbox_place, mailboxes_problem
from inbox_worker.domain.tags import CATEGORY_MAX
from inbox_worker.domain.targets import (
    DEFAULT_FIRST_RESPONSE_HOURS,
    DEFAULT_RESOLUTION_HOURS,
    BusinessHours,
)

# The embedded default's places: created on first use. A place named in a file must already
# have its parent folder, so that a typo does not look like an empty inbox.
DEFAULT_MAILDIR = "var/mail"
DEFAULT_SENT_MAILDIR = "var/sent"
DEFAULT_DATABASE_URL = "sqlite:///var/inbox-worker.db"
DEFAULT_TEMPLATES_DIR = "templates"


def _address(value: str) -> str:
    address = value.strip().lower()
    local, at, domain = address.partition("@")
    if not at or not local or not domain or any(c.isspace() for c in address):
        raise ValueError(f"{value!r} is not an email address")
    return address


def _addresses(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a known time zone (e.g. Europe/Berlin)") from None
    return value


def _clock_time_or_off(value: str) -> str:
    hours, colon, minutes = value.strip().partition(":")
    if not value.strip():
        return ""
    if not (colon and hours.isdigit() and minutes.isdigit() and len(minutes) == 2
            and int(hours) < 24 and int(minutes) < 60):
        raise ValueError(f'{value!r} is not a time of day as HH:MM (or "" for none)')
    return f"{int(hours):02d}:{minutes}"


def _one_line(value: str | None) -> str | None:
    if value is not None and (not value.strip() or "\n" in value or "\r" in value):
        raise ValueError("must be one non-empty line")
    return value


def _token_prefix(value: str) -> str:
    if not (value.isascii() and value.isalnum() and 1 <= len(value) <= 10):
        raise ValueError("must be 1-10 letters or digits")
    return value.upper()


Address = Annotated[str, AfterValidator(_address)]
AddressList = Annotated[list[Address], AfterValidator(_addresses)]
Zone = Annotated[str, AfterValidator(_zone)]
Security = Literal["none", "starttls", "tls"]
WholeNumber = Annotated[int, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
Hours = Annotated[float, Field(ge=0)]


class Section(BaseModel):
    """A table of the file: known keys only, TOML's own types (no "30" for 30)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class SupportFile(Section):
    address: Address = "support@example.com"
    name: str = "Example Support"
    token_prefix: Annotated[str, AfterValidator(_token_prefix)] = "IW"
    message_id_domain: str = ""  # "": the domain of the address


class DatabaseFile(Section):
    url: str = DEFAULT_DATABASE_URL


def _mailbox_url(url: str) -> str:
    mailbox_place(url)
    return url


class MailboxFile(Section):
    url: Annotated[str, AfterValidator(_mailbox_url)] = f"maildir:{DEFAULT_MAILDIR}"
    username: str = ""
    password_env: str = "INBOX_WORKER_IMAP_PASSWORD"
    password_command: str = ""
    auth: Literal["password", "xoauth2"] = "password"
    oauth2_token_env: str = ""
    oauth2_token_command: str = ""
    security: Security | None = None  # None: by the URL's scheme
    tls_verify: bool = True
    ca_file: str = ""
    processed_folder: str = "Processed"
    quarantine_folder: str = "Quarantine"
    batch_size: Annotated[int, Field(ge=1)] = 50
    timeout: Positive = 30.0
    max_message_bytes: Annotated[int, Field(ge=1)] = 25 * 1024 * 1024

    @model_validator(mode="after")
    def _usable(self) -> MailboxFile:
        if self.auth == "xoauth2" and not (self.oauth2_token_env or self.oauth2_token_command):
            raise ValueError("auth = xoauth2 needs oauth2_token_command or oauth2_token_env")
        return self


def _category(value: str | None) -> str | None:
    # As `#category` spells it: runs of whitespace are one space.
    name = " ".join(value.split()) if value is not None else None
    if name is not None and not 1 <= len(name) <= CATEGORY_MAX:
        raise ValueError(f"must be 1 to {CATEGORY_MAX} characters")
    return name


def _mailbox_address(value: str) -> str:
    address = _address(value)
    if ":" in address:  # it begins the mailbox's source keys, "ADDRESS:imap:..."
        raise ValueError(f"{value!r}: an address with ':' cannot name a mailbox")
    return address


class MailboxesEntry(MailboxFile):
    """One table of `[[mailboxes]]`: a mailbox as in [mailbox], and who it is to customers."""

    url: Annotated[str, AfterValidator(_mailbox_url)]  # no default: each names its own
    address: Annotated[str, AfterValidator(_mailbox_address)]
    name: Annotated[str | None, AfterValidator(_one_line)] = None  # None: [support] name
    category: Annotated[str | None, AfterValidator(_category)] = None


class SmtpFile(Section):
    kind: Literal["smtp", "maildir"] = "smtp"  # maildir: notices written to sent_path
    sent_path: str = DEFAULT_SENT_MAILDIR
    host: str = "localhost"
    port: Annotated[int, Field(ge=1, le=65535)] = 25
    security: Security = "none"
    username: str = ""
    password_env: str = "INBOX_WORKER_SMTP_PASSWORD"
    password_command: str = ""
    tls_verify: bool = True
    ca_file: str = ""
    timeout: Positive = 30.0


class TechniciansFile(Section):
    addresses: AddressList = []
    trusted_authserv_ids: list[str] = []
    trust_delivery_path: bool = False
    time_zone: Zone = "UTC"
    signature_marker: Annotated[str | None, AfterValidator(_one_line)] = None


class PolicyFile(Section):
    auto_close_days: WholeNumber = 30
    reopen_days: WholeNumber = 30
    require_resolution: bool = False  # true: no closing without a #resolution


class FollowupFile(Section):
    after_days: WholeNumber = 3  # 0: no satisfaction survey
    per_customer_days: WholeNumber = 30


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _weekly_time_or_off(value: str) -> str:
    """ "monday 08:00" (any case, a weekday's first three letters will do), or "" for none."""
    if not value.strip():
        return ""
    day, _, clock = value.strip().lower().partition(" ")
    weekday = next((d for d in WEEKDAYS if len(day) >= 3 and d.startswith(day)), None)
    if weekday is None or not clock.strip():
        raise ValueError(f'{value!r} is not a weekday and time, e.g. "monday 08:00" '
                         '(or "" for none)')
    return f"{weekday} {_clock_time_or_off(clock.strip())}"


class ReportFile(Section):
    recipients: AddressList = []
    weekly_at: Annotated[str, AfterValidator(_weekly_time_or_off)] = "monday 08:00"


class TemplatesFile(Section):
    dir: str = DEFAULT_TEMPLATES_DIR


class WorkerFile(Section):
    poll_interval: Positive = 30.0
    parse_processes: WholeNumber = 1


class NoticesFile(Section):
    rate_limit_per_hour: WholeNumber = 10
    acknowledgements_per_hour: WholeNumber = 2


class AlertsFile(Section):
    recipients: AddressList = []
    escalation: AddressList = []
    attach_max_bytes: WholeNumber = 10 * 1024 * 1024
    digest_recipients: AddressList = []
    digest_at: Annotated[str, AfterValidator(_clock_time_or_off)] = "08:00"
    timezone: Zone = "UTC"
    conversation_messages: WholeNumber = 5


class FirstResponseHours(Section):
    """Hours per priority; 0: no target. Its unknown keys are unknown priorities."""

    urgent: Hours = DEFAULT_FIRST_RESPONSE_HOURS["urgent"]
    high: Hours = DEFAULT_FIRST_RESPONSE_HOURS["high"]
    normal: Hours = DEFAULT_FIRST_RESPONSE_HOURS["normal"]
    low: Hours = DEFAULT_FIRST_RESPONSE_HOURS["low"]


class ResolutionHours(Section):
    urgent: Hours = DEFAULT_RESOLUTION_HOURS["urgent"]
    high: Hours = DEFAULT_RESOLUTION_HOURS["high"]
    normal: Hours = DEFAULT_RESOLUTION_HOURS["normal"]
    low: Hours = DEFAULT_RESOLUTION_HOURS["low"]


class BusinessHoursFile(Section):
    days: str = "mon-fri"
    start: str = "09:00"
    end: str = "17:00"
    timezone: Zone | None = None  # None: [alerts] timezone

    @model_validator(mode="after")
    def _parses(self) -> BusinessHoursFile:
        self.parse("UTC")
        return self

    def parse(self, default_zone: str) -> BusinessHours:
        return BusinessHours.parse(self.days, self.start, self.end,
                                   self.timezone or default_zone)


class TargetsFile(Section):
    first_response: FirstResponseHours = FirstResponseHours()
    resolution: ResolutionHours = ResolutionHours()
    business_hours: BusinessHoursFile | None = None  # None: around the clock


def listen_address(value: str) -> tuple[str, int]:
    """ "host:port" ("[::1]:port" for IPv6) as (host, port)."""
    host, colon, port = value.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not (colon and host and port.isdigit() and 1 <= int(port) <= 65535):
        raise ValueError(f'{value!r} is not an address to listen on as "host:port", '
                         'e.g. "127.0.0.1:9464"')
    return host, int(port)


def _listen(value: str | None) -> str | None:
    if value is not None:
        listen_address(value)
    return value


class MetricsFile(Section):
    listen: Annotated[str | None, AfterValidator(_listen)] = None  # None: no /metrics


class LoggingFile(Section):
    format: Literal["text", "json"] = "text"


def _base_url(value: str | None) -> str | None:
    if value is None:
        return None
    scheme, sep, rest = value.partition("://")
    if scheme not in ("http", "https") or not sep or not rest or any(c.isspace() for c in value):
        raise ValueError(f"{value!r} is not an http:// or https:// address")
    return value.rstrip("/")


def _ip_address(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address") from None


class WebFile(Section):
    listen: Annotated[str, AfterValidator(_listen)] = "127.0.0.1:8025"
    # How sign-in links reach the console; None: http:// and `listen`.
    base_url: Annotated[str | None, AfterValidator(_base_url)] = None
    admins: AddressList = []  # may edit templates and retry quarantine
    # Proxies whose X-Forwarded-For names the client (rate limits count clients).
    trusted_proxies: list[Annotated[str, AfterValidator(_ip_address)]] = []


class ConfigFile(Section):
    """The whole file. Every section may be left out."""

    support: SupportFile = SupportFile()
    database: DatabaseFile = DatabaseFile()
    mailbox: MailboxFile = MailboxFile()
    # Several mailboxes; None: the one [mailbox] (whose address is [support] address).
    mailboxes: list[MailboxesEntry] | None = None
    smtp: SmtpFile | None = None  # None: notices written to the Maildir var/sent/
    technicians: TechniciansFile = TechniciansFile()
    policy: PolicyFile = PolicyFile()
    templates: TemplatesFile = TemplatesFile()
    worker: WorkerFile = WorkerFile()
    notices: NoticesFile = NoticesFile()
    alerts: AlertsFile = AlertsFile()
    targets: TargetsFile = TargetsFile()
    followup: FollowupFile = FollowupFile()
    report: ReportFile = ReportFile()
    metrics: MetricsFile = MetricsFile()
    logging: LoggingFile = LoggingFile()
    web: WebFile = WebFile()

    @model_validator(mode="after")
    def _support_is_no_technician(self) -> ConfigFile:
        if self.support.address in self.technicians.addresses:
            raise ValueError("[technicians] addresses must not contain the support address")
        return self

    @model_validator(mode="after")
    def _mailboxes_apart(self) -> ConfigFile:
        if self.mailboxes is None:
            return self
        problem = mailboxes_problem(
            [(m.address, m.url, m.username) for m in self.mailboxes],
            single_given="mailbox" in self.model_fields_set,
            technicians=self.technicians.addresses,
        )
        if problem:
            raise ValueError(problem)
        return self


def file_keys(model: type[BaseModel] = ConfigFile, prefix: str = "") -> list[str]:
    """Every key the file may hold, as "section.key" (nested tables: "a.b.c")."""
    keys: list[str] = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        if prefix:  # a top-level name is a section, not a key
            keys.append(path)
        nested = section_type(field.annotation)
        if nested is not None:
            keys.extend(file_keys(nested, f"{path}."))
    return keys


def section_type(annotation: object) -> type[Section] | None:
    """The table type of a field: `X`, `X | None` or (an array of tables) `list[X] | None`."""
    if (isinstance(annotation, type) and not get_args(annotation)
            and issubclass(annotation, Section)):
        return annotation
    for candidate in getattr(annotation, "__args__", ()):
        found = section_type(candidate)
        if found is not None:
            return found
    return None
