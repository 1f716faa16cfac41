"""Reading one configuration value: its type, its range, and one clear error naming the
section and key (`ConfigError`). Used by `config` and `config_alerts`."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from inbox_worker.errors import ConfigError


def table(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table")
    return value


def read_str(section: dict[str, Any], key: str, default: str, where: str) -> str:
    value = section.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"[{where}] {key} must be a string")
    return value


def read_bool(section: dict[str, Any], key: str, default: bool, where: str) -> bool:
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"[{where}] {key} must be true or false")
    return value


def read_number(section: dict[str, Any], key: str, default: float, where: str) -> float:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"[{where}] {key} must be a positive number")
    return float(value)


def read_int(section: dict[str, Any], key: str, default: int, where: str) -> int:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"[{where}] {key} must be a whole number >= 0")
    return value


def read_address(value: str, what: str) -> str:
    address = value.strip().lower()
    local, at, domain = address.partition("@")
    if not at or not local or not domain or any(c.isspace() for c in address):
        raise ConfigError(f"{what}: {value!r} is not an email address")
    return address


def read_addresses(section: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    raw = section.get(key, [])
    if not isinstance(raw, list) or not all(isinstance(a, str) for a in raw):
        raise ConfigError(f"[{where}] {key} must be a list of addresses")
    return tuple(dict.fromkeys(read_address(a, f"[{where}] {key}") for a in raw))


def read_zone(name: str, what: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{what} {name!r} is not a known time zone") from exc
    return name


def read_clock_time(value: str, what: str) -> str:
    hours, colon, minutes = value.strip().partition(":")
    if not (colon and hours.isdigit() and minutes.isdigit() and len(minutes) == 2
            and int(hours) < 24 and int(minutes) < 60):
        raise ConfigError(f"{what} must be a time of day as HH:MM (or \"\" for none)")
    return f"{int(hours):02d}:{minutes}"
