"""What operations watch the worker by: the Prometheus endpoint ([metrics]) and the shape
of its log lines ([logging]) (PRODUCT.md section 6b)."""

from __future__ import annotations

from dataclasses import dataclass

from inbox_worker.config_schema import LoggingFile, MetricsFile, listen_address


@dataclass(frozen=True)
class MetricsSettings:
    listen: tuple[str, int] | None = None  # (host, port) of /metrics from `run`; None: off

    @property
    def address(self) -> str:
        host, port = self.listen or ("", 0)
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(frozen=True)
class LoggingSettings:
    format: str = "text"  # text | json (one JSON object per line)


def metrics_settings(file: MetricsFile) -> MetricsSettings:
    return MetricsSettings(listen=listen_address(file.listen) if file.listen else None)


def logging_settings(file: LoggingFile) -> LoggingSettings:
    return LoggingSettings(format=file.format)
