"""Stored HTML is sanitised with nh3 (the Rust ammonia sanitiser): no scripts, no event
handlers, no javascript: links, whatever a hostile sender wrote."""

from __future__ import annotations

import nh3


def sanitize_html(html: str | None) -> str | None:
    if html is None:
        return None
    return nh3.clean(html)
