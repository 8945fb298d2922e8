"""ports.json and which ports are present in this checkout (for the scripts/ tools)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PORTS_FILE = ROOT / "shared_tests" / "ports.json"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"


@dataclass(frozen=True)
class Port:
    name: str
    argv: list[str]
    train: list[str]
    cwd: Path

    def script(self, argv: list[str]) -> Path:
        """The repository file an argv runs (the first argument that is a path in cwd)."""
        for arg in argv:
            if (self.cwd / arg).is_file():
                return self.cwd / arg
        return self.cwd / argv[0]

    @property
    def present(self) -> bool:
        return self.script(self.argv).is_file()

    @property
    def can_train(self) -> bool:
        return bool(self.train) and self.script(self.train).is_file()

    def command(self, argv: list[str]) -> list[str]:
        """argv with its repository script made absolute."""
        out = []
        for arg in argv:
            out.append(str(self.cwd / arg) if (self.cwd / arg).is_file() else arg)
        return out


def load_ports() -> dict[str, Port]:
    raw = json.loads(PORTS_FILE.read_text())
    return {
        name: Port(name, list(spec["argv"]), list(spec.get("train", [])), ROOT / spec.get("cwd", "."))
        for name, spec in raw.items()
    }


def select(ports: dict[str, Port], names: list[str] | None) -> list[Port]:
    if not names:
        return list(ports.values())
    unknown = [n for n in names if n not in ports]
    if unknown:
        raise SystemExit(f"unknown port(s) {', '.join(unknown)}; ports.json has {', '.join(ports)}")
    return [ports[n] for n in names]
