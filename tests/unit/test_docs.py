"""The user documentation in docs/ names every configuration key and every tag the code
accepts, and nothing the code does not accept."""

from __future__ import annotations

import re
from pathlib import Path

from inbox_worker.config_schema import ConfigFile, file_keys
from inbox_worker.domain.tags import TAG_NAMES

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def documented_keys() -> set[str]:
    """`section.key` for every table row of docs/admins.md under a `## [section]` heading."""
    keys: set[str] = set()
    section = None
    for line in (DOCS / "admins.md").read_text(encoding="utf-8").splitlines():
        heading = re.match(r"## \[(\w+)\]", line)
        if heading:
            section = heading.group(1)
        elif line.startswith("## "):
            section = None
        row = re.match(r"\| `([\w.]+)` \|", line)
        if row and section:
            keys.add(f"{section}.{row.group(1)}")
    return keys


def test_every_configuration_key_is_documented_and_every_documented_one_exists() -> None:
    accepted = set(file_keys())
    documented = documented_keys()
    assert sorted(accepted - documented) == [], "keys the code accepts but docs/admins.md omits"
    assert sorted(documented - accepted) == [], "keys docs/admins.md names but the code refuses"


def test_every_section_has_its_heading() -> None:
    text = (DOCS / "admins.md").read_text(encoding="utf-8")
    for section in ConfigFile.model_fields:
        assert f"## [{section}]" in text, section


def test_every_tag_is_documented_and_every_documented_one_exists() -> None:
    text = (DOCS / "technicians.md").read_text(encoding="utf-8")
    table = text[text.index("## Every tag and command"):]
    documented = set(re.findall(r"\| `#(\w+)", table))
    assert documented == set(TAG_NAMES)


def test_the_docs_stand_in_the_repository() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "PRODUCT.md" not in readme  # outside the repository: a clone has no such file
    for page in re.findall(r"\]\((docs/[\w./-]+)\)", readme):
        assert (ROOT / page).exists(), page
    for page in DOCS.glob("*.md"):
        for link in re.findall(r"\]\(([\w./-]+\.md)\)", page.read_text(encoding="utf-8")):
            assert (page.parent / link).exists(), (page.name, link)
