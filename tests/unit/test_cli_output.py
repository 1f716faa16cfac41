"""What commands print for people: help for every option, tables with headers that stay
aligned and safe for a terminal."""

from __future__ import annotations

import pytest


def test_every_option_says_what_it_takes() -> None:
    import argparse

    from inbox_worker.cli import build_parser

    missing = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{path} {name}")
            elif not isinstance(action, argparse._HelpAction) and not action.help:
                missing.append(f"{path} {action.option_strings or action.dest}")

    walk(build_parser(), "inbox-worker")
    assert missing == []


def test_tables_have_headers_and_stay_aligned_with_long_cells(
        capsys: pytest.CaptureFixture[str]) -> None:
    from inbox_worker.cli_output import print_table

    long = "a.very.long.customer.address@subdomain.example-company.com"
    print_table(("REF", "PLACE", "CUSTOMER", "SUBJECT"),
                [("T-1", 1, long, "Printer"), ("T-10", None, "b@x.test", "Evil \x1b[2J")],
                empty="(none)", right=("PLACE",))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["REF", "PLACE", "CUSTOMER", "SUBJECT"]
    # Every column starts where its header does, however long the address.
    start = lines[0].index("SUBJECT")
    assert all(line[start - 2:start] == "  " and line[start] != " " for line in lines)
    assert lines[2].split()[:2] == ["T-10", "-"] and "\x1b" not in lines[2]
    print_table(("A",), [], empty="(none)")
    assert capsys.readouterr().out == "(none)\n"
