"""Whether the receiving server vouched for a sender: RFC 8601 Authentication-Results.

The header is parsed with `authres`, a maintained RFC 8601 parser. Anyone can write an
Authentication-Results header into a mail, so only the topmost one is read, and only when it
was added by a trusted ``authserv-id``: the delivering host prepends its own header above
everything the sender wrote, so a forged one always sits below it.
"""

from __future__ import annotations

import authres


def sender_domain_passed(
    results_headers: tuple[str, ...], *, from_domain: str, trusted_authserv_ids: tuple[str, ...]
) -> bool:
    """True when the topmost Authentication-Results, from a trusted host, shows the From
    domain passed DKIM (aligned ``header.d``) or DMARC (``header.from``)."""
    if not results_headers or not trusted_authserv_ids or not from_domain:
        return False
    try:
        parsed = authres.AuthenticationResultsHeader.parse_value(results_headers[0])
    except Exception:  # authres raises several unrelated types on malformed input
        return False
    if (parsed.authserv_id or "").lower() not in trusted_authserv_ids:
        return False
    domain = from_domain.lower()
    for result in parsed.results:
        if (result.result or "").lower() != "pass":
            continue
        method = (result.method or "").lower()
        props = {
            f"{p.type}.{p.name}".lower(): (p.value or "").lower().lstrip("@")
            for p in result.properties
        }
        if method == "dkim" and _aligned(props.get("header.d", ""), domain):
            return True
        if method == "dmarc" and props.get("header.from", "") == domain:
            return True
    return False


def _aligned(signing_domain: str, from_domain: str) -> bool:
    # Relaxed alignment: a signature by the organisational parent domain counts too.
    return bool(signing_domain) and (
        from_domain == signing_domain or from_domain.endswith("." + signing_domain)
    )
