"""ports.json: {"name": {"argv": [...], "cwd": "dir", "train": [...], "bench": [...], "experiment": [...]}}
(paths from the repo root; "train", "bench" and "experiment" optional)."""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from . import PORTS_FILE, REPO_ROOT
from .client import RunnerClient


@dataclass(frozen=True)
class Port:
    name: str
    argv: tuple[str, ...]
    cwd: Path                        # absolute
    train: tuple[str, ...] | None    # the trainer's argv, relative to cwd like argv
    bench: tuple[str, ...] | None = None   # the benchmark's argv, likewise
    experiment: tuple[str, ...] | None = None   # bin/experiment's argv, likewise

    def _program_file(self, argv: tuple[str, ...]) -> Path | None:
        # The first argument that is a path (bin/runner in ["lua5.4", "bin/runner"]).
        for a in argv:
            if "/" in a:
                return Path(a) if os.path.isabs(a) else self.cwd / a
        found = shutil.which(argv[0]) if argv else None
        return Path(found) if found else None

    @property
    def runner_file(self) -> Path | None:
        return self._program_file(self.argv)

    @property
    def train_file(self) -> Path | None:
        return self._program_file(self.train) if self.train else None

    @property
    def bench_file(self) -> Path | None:
        return self._program_file(self.bench) if self.bench else None

    def absent_reason(self) -> str | None:
        """None if the port's runner exists, else why it counts as not present."""
        f = self.runner_file
        if f is None or not f.is_file():
            shown = f.relative_to(REPO_ROOT) if f and f.is_relative_to(REPO_ROOT) else f
            return f"port not present: {shown or self.argv[0]} does not exist"
        return None

    @property
    def present(self) -> bool:
        return self.absent_reason() is None

    def client(self, timeout: float | None = None) -> RunnerClient:
        return RunnerClient(self.name, self.argv, self.cwd, timeout=timeout)

    def train_argv(self) -> list[str]:
        assert self.train
        return self._absolute(self.train)

    def bench_argv(self) -> list[str]:
        assert self.bench
        return self._absolute(self.bench)

    def experiment_argv(self) -> list[str]:
        assert self.experiment
        return self._absolute(self.experiment)

    def _absolute(self, argv: tuple[str, ...]) -> list[str]:
        first = argv[0]
        head = str(self.cwd / first) if "/" in first and not os.path.isabs(first) else first
        return [head, *argv[1:]]


def load_ports(path: Path | str = PORTS_FILE, root: Path = REPO_ROOT) -> dict[str, Port]:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    ports: dict[str, Port] = {}
    for name, spec in data.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("argv"), list) or not spec["argv"]:
            raise ValueError(f"{path}: port {name!r} needs a non-empty argv list")
        train, bench, experiment = spec.get("train"), spec.get("bench"), spec.get("experiment")
        ports[name] = Port(name=name, argv=tuple(spec["argv"]),
                           cwd=(root / spec.get("cwd", ".")).resolve(),
                           train=tuple(train) if train else None,
                           bench=tuple(bench) if bench else None,
                           experiment=tuple(experiment) if experiment else None)
    return ports


def select_ports(ports: dict[str, Port], names: list[str] | None) -> list[Port]:
    """The named ports in the given order (all of them for None/empty); KeyError on a typo."""
    if not names:
        return list(ports.values())
    unknown = [n for n in names if n not in ports]
    if unknown:
        raise KeyError(f"unknown port(s) {', '.join(unknown)}; ports.json has {', '.join(ports)}")
    return [ports[n] for n in dict.fromkeys(names)]


def names_from_env() -> list[str]:
    """DLSCRATCH_PORTS="ruby,lua" (comma or space separated)."""
    raw = os.environ.get("DLSCRATCH_PORTS", "")
    return [n for n in raw.replace(",", " ").split() if n]
