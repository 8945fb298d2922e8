"""Put shared_tests/ on sys.path so the scripts/ tools use the harness's own modules."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "shared_tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "shared_tests"))
