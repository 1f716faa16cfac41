"""The console script's entry module imports nothing of the worker until it runs.

The parse process is spawned, and spawn re-runs the parent's main script in the child: were
the script to import `inbox_worker.cli` (and with it SQLAlchemy, Jinja2, aiosmtplib...),
every parse process would import the whole worker before parsing its first mail.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("sqlalchemy", "jinja2", "aiosmtplib", "imapclient", "mailparser", "alembic")


def test_the_console_script_runs_the_light_entry_module() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["inbox-worker"] == "inbox_worker.__main__:run"


def test_importing_the_entry_module_imports_nothing_heavy() -> None:
    probe = (
        "import sys, inbox_worker.__main__; "
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{HEAVY!r} or m.startswith('inbox_worker'))))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=REPO, check=True)
    assert done.stdout.split() == ["inbox_worker", "inbox_worker.__main__"]


def test_python_dash_m_runs_the_cli() -> None:
    done = subprocess.run([sys.executable, "-m", "inbox_worker", "--version"],
                          capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0
    assert done.stdout.startswith("inbox-worker ")
