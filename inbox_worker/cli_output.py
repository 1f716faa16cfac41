"""What every command prints its `--json` with."""

from __future__ import annotations

import json
import sys
from typing import Any


def emit(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
