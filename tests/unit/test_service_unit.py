"""config/inbox-worker.service (and -web.service) start a command the CLI has, stop it with
a signal the worker handles, and keep the settings README.md promises (restart, secrets,
hardening).
`systemd-analyze verify` checks it too where the machine has it (not required)."""

from __future__ import annotations

import configparser
import shutil
import signal
import subprocess
import sys
import tomllib
import types
from pathlib import Path

import pytest

from inbox_worker import worker
from inbox_worker.cli import build_parser
from inbox_worker.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "config" / "inbox-worker.service"
WEB_UNIT = ROOT / "config" / "inbox-worker-web.service"
UNITS = pytest.mark.parametrize("path", [UNIT, WEB_UNIT], ids=["run", "web"])


def unit(path: Path = UNIT) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign] # keys keep their case
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser


def command_names() -> set[str]:
    subparsers = next(a for a in build_parser()._actions
                      if a.dest == "command")
    return set(subparsers.choices)  # type: ignore[arg-type]


@pytest.mark.parametrize(("path", "command"), [(UNIT, "run"), (WEB_UNIT, "web")])
def test_exec_start_runs_the_command_through_the_console_script(path: Path,
                                                                command: str) -> None:
    executable, *arguments = unit(path)["Service"]["ExecStart"].split()
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert Path(executable).name in scripts["project"]["scripts"]
    assert arguments == [command]
    assert arguments[0] in command_names()


def test_the_stop_signal_is_one_the_worker_finishes_its_mail_on(monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    handled: set[int] = set()
    monkeypatch.setattr(worker.signal, "signal", lambda number, _handler: handled.add(number))
    worker.Worker.install_signal_handlers(types.SimpleNamespace(_on_signal=None))  # type: ignore[arg-type]
    service = unit()["Service"]
    assert getattr(signal, service["KillSignal"]) in handled
    # Only the worker gets it (it stops its parse process itself), with time to finish.
    assert service["KillMode"] == "mixed"
    assert int(service["TimeoutStopSec"]) >= 30


@UNITS
def test_restart_secrets_and_hardening(path: Path) -> None:
    service = unit(path)["Service"]
    assert service["Type"] == "simple"  # no sd_notify in the worker
    assert service["Restart"] == "on-failure" and int(service["RestartSec"]) > 0
    # A configuration mistake exits 2: restarting cannot fix it.
    assert service["RestartPreventExitStatus"] == str(ConfigError.exit_code)
    assert service["User"] and service["Group"] and service["WorkingDirectory"]
    assert service["EnvironmentFile"]
    assert "INBOX_WORKER_CONFIG=" in service["Environment"]
    assert service["NoNewPrivileges"] == "true"
    assert service["ProtectSystem"] == "strict" and service["ReadWritePaths"]
    assert service["PrivateTmp"] == "true"
    assert unit(path)["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
@UNITS
def test_systemd_analyze_verify_accepts_it(tmp_path: Path, path: Path) -> None:
    # The unit names where an install puts the script; verify checks that it exists, so
    # the copy points at this environment's.
    script = Path(sys.executable).parent / "inbox-worker"
    copy = tmp_path / path.name
    copy.write_text(path.read_text(encoding="utf-8").replace(
        "/opt/inbox-worker/.venv/bin/inbox-worker", str(script)), encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
