"""The technicians' alerts, response targets, the satisfaction follow-up and the report mail
in the settings ([alerts], [targets]: PRODUCT.md section 4a; [followup], [report]: 5a)."""

from __future__ import annotations

from dataclasses import dataclass

from inbox_worker.config_schema import AlertsFile, FollowupFile, ReportFile, TargetsFile
from inbox_worker.domain.targets import TargetHours


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


def alert_settings(file: AlertsFile) -> AlertSettings:
    return AlertSettings(
        recipients=tuple(file.recipients),
        escalation=tuple(file.escalation),
        attach_max_bytes=file.attach_max_bytes,
        digest_recipients=tuple(file.digest_recipients),
        digest_at=file.digest_at,
        timezone=file.timezone,
        conversation_messages=file.conversation_messages,
    )


def target_hours(file: TargetsFile, timezone: str) -> TargetHours:
    """Business hours are read in the alerts' time zone ([alerts] timezone), unless they
    name their own."""
    return TargetHours(
        first_response=dict(file.first_response.model_dump()),
        resolution=dict(file.resolution.model_dump()),
        business_hours=file.business_hours.parse(timezone) if file.business_hours else None,
    )


@dataclass(frozen=True)
class FollowupSettings:
    """The satisfaction survey after a closing (PRODUCT.md section 5a)."""

    after_days: int = 3  # 0: no survey
    per_customer_days: int = 30  # at most one survey per customer in this many days


@dataclass(frozen=True)
class ReportSettings:
    """Who gets the report by mail, and when the weekly one goes ("" : never; read in
    [alerts] timezone)."""

    recipients: tuple[str, ...] = ()
    weekly_at: str = "monday 08:00"


def followup_settings(file: FollowupFile) -> FollowupSettings:
    return FollowupSettings(after_days=file.after_days,
                            per_customer_days=file.per_customer_days)


def report_settings(file: ReportFile) -> ReportSettings:
    return ReportSettings(recipients=tuple(file.recipients), weekly_at=file.weekly_at)
