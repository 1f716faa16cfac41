"""The technicians' alerts and response targets in the configuration ([alerts], [targets];
PRODUCT.md section 4a)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inbox_worker.config_values import (
    read_addresses,
    read_clock_time,
    read_int,
    read_str,
    read_zone,
)
from inbox_worker.domain.targets import (
    DEFAULT_FIRST_RESPONSE_HOURS,
    DEFAULT_RESOLUTION_HOURS,
    BusinessHours,
    TargetHours,
)
from inbox_worker.errors import ConfigError


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


def read_alerts(section: dict[str, Any]) -> AlertSettings:
    digest_at = read_str(section, "digest_at", AlertSettings.digest_at, "alerts").strip()
    return AlertSettings(
        recipients=read_addresses(section, "recipients", "alerts"),
        escalation=read_addresses(section, "escalation", "alerts"),
        attach_max_bytes=read_int(section, "attach_max_bytes", AlertSettings.attach_max_bytes,
                              "alerts"),
        digest_recipients=read_addresses(section, "digest_recipients", "alerts"),
        digest_at=read_clock_time(digest_at, "[alerts] digest_at") if digest_at else "",
        timezone=read_zone(read_str(section, "timezone", "UTC", "alerts"), "[alerts] timezone"),
        conversation_messages=read_int(section, "conversation_messages",
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


def read_targets(section: dict[str, Any], timezone: str) -> TargetHours:
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
