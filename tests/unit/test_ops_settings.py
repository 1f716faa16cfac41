"""[metrics] and [logging]: the keys, their defaults, one clear line per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox_worker.config import load_settings, settings_from_dict
from inbox_worker.errors import ConfigError


def test_defaults_are_no_endpoint_and_text_logs() -> None:
    settings = settings_from_dict({})
    assert settings.metrics.listen is None
    assert settings.logging.format == "text"


@pytest.mark.parametrize(("listen", "expected"), [
    ("127.0.0.1:9464", ("127.0.0.1", 9464)),
    ("localhost:1", ("localhost", 1)),
    ("[::1]:9464", ("::1", 9464)),
    ("0.0.0.0:65535", ("0.0.0.0", 65535)),
])
def test_listen_address(listen: str, expected: tuple[str, int]) -> None:
    settings = settings_from_dict({"metrics": {"listen": listen}, "logging": {"format": "json"}})
    assert settings.metrics.listen == expected
    assert settings.logging.format == "json"


@pytest.mark.parametrize("listen", ["9464", "127.0.0.1", ":9464", "host:0", "host:70000",
                                    "host:port", ""])
def test_a_bad_listen_address_is_one_clear_line(tmp_path: Path, listen: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'[metrics]\nlisten = "{listen}"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value).splitlines() == [
        f'{path}:2: [metrics] listen: {listen!r} is not an address to listen on as '
        '"host:port", e.g. "127.0.0.1:9464"']


def test_unknown_keys_and_bad_values(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[metrics]\nlisten_on = "127.0.0.1:9464"\n\n[logging]\nformat = "xml"\n'
                    'level = "debug"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value).splitlines() == [
        f"{path}:2: [metrics] listen_on: unknown key; did you mean listen?",
        f"{path}:5: [logging] format: must be one of 'text' or 'json'",
        f"{path}:6: [logging] level: unknown key; valid: format",
    ]
