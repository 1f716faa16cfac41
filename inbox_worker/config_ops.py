"""What operations watch and run the worker by: the Prometheus endpoint ([metrics]), the
shape of its log lines ([logging]) (PRODUCT.md section 6b), and the web console ([web],
section 6a)."""

from __future__ import annotations

from dataclasses import dataclass

from inbox_worker.config_schema import LoggingFile, MetricsFile, WebFile, listen_address


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


@dataclass(frozen=True)
class WebSettings:
    listen: tuple[str, int] = ("127.0.0.1", 8025)
    base_url: str = "http://127.0.0.1:8025"  # where sign-in links point, without a final /
    admins: frozenset[str] = frozenset()  # may edit templates and retry quarantine
    # Reverse proxies whose X-Forwarded-For is believed (empty: none, the peer is the client)
    trusted_proxies: tuple[str, ...] = ()

    @property
    def secure(self) -> bool:
        """Reached over HTTPS (behind a proxy that terminates TLS): cookies say Secure."""
        return self.base_url.startswith("https://")


def web_settings(file: WebFile) -> WebSettings:
    host, port = listen_address(file.listen)
    shown = f"[{host}]" if ":" in host else host
    return WebSettings(listen=(host, port), base_url=file.base_url or f"http://{shown}:{port}",
                       admins=frozenset(file.admins),
                       trusted_proxies=tuple(file.trusted_proxies))


def metrics_settings(file: MetricsFile) -> MetricsSettings:
    return MetricsSettings(listen=listen_address(file.listen) if file.listen else None)


def logging_settings(file: LoggingFile) -> LoggingSettings:
    return LoggingSettings(format=file.format)
