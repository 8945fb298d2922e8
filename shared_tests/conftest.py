"""pytest setup of the conformance harness.

Ports come from ports.json, narrowed by `--port NAME` (repeatable) or DLSCRATCH_PORTS="a,b".
Each port's runner is started once per session; on first use every case is streamed through
every selected port (ports in parallel) and the answers are cached, so that one test per
(port, case) costs nothing. Per-answer timeout: DLSCRATCH_TIMEOUT (default 30 s).
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import pytest

from harness import PORTS_FILE
from harness.cases import Case, CaseFormatError, load_cases
from harness.client import Answer, RunnerClient
from harness.ports import Port, load_ports, names_from_env, select_ports

REFERENCE_PORT = "python"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--port", action="append", default=None, metavar="NAME",
                     help="run the harness for this port only (repeatable; also DLSCRATCH_PORTS)")


def _load() -> tuple[list[Case], str | None]:
    try:
        return load_cases(), None
    except (CaseFormatError, OSError) as exc:
        return [], str(exc)


CASES, CASES_ERROR = _load()
# DLSCRATCH_PORTS_FILE: another ports description (e.g. to check a port kept outside the repo).
ALL_PORTS = load_ports(os.environ.get("DLSCRATCH_PORTS_FILE") or PORTS_FILE)


def selected_ports(config: pytest.Config) -> list[Port]:
    names = config.getoption("--port") or names_from_env()
    try:
        return select_ports(ALL_PORTS, names)
    except KeyError as exc:
        raise pytest.UsageError(str(exc.args[0])) from None


def pytest_configure(config: pytest.Config) -> None:
    selected_ports(config)   # an unknown --port / DLSCRATCH_PORTS name is a usage error


class Session:
    """Answers and long-lived runner clients per port, shared by every test of the session."""

    def __init__(self, ports: list[Port]) -> None:
        self.ports = {p.name: p for p in ports}
        self._answers: dict[str, dict[str, Answer]] = {}
        self._clients: dict[str, RunnerClient] = {}
        self._lock = threading.Lock()

    def _stream(self, port: Port) -> dict[str, Answer]:
        client = self.client(port.name)
        return {c.id: client.request(c.request_line(), c.answer_id()) for c in CASES}

    def answers(self, name: str) -> dict[str, Answer]:
        """Every case's answer from the port (streams every present port on first call)."""
        with self._lock:
            if name not in self._answers:
                todo = [p for p in self.ports.values()
                        if p.present and p.name not in self._answers]
                if name not in self.ports and name in ALL_PORTS and ALL_PORTS[name].present:
                    todo.append(ALL_PORTS[name])    # the reference, even if not selected
                with ThreadPoolExecutor(max_workers=max(1, len(todo))) as pool:
                    for p, ans in zip(todo, pool.map(self._stream, todo)):
                        self._answers[p.name] = ans
        return self._answers[name]

    def client(self, name: str) -> RunnerClient:
        if name not in self._clients:
            self._clients[name] = ALL_PORTS[name].client()
        return self._clients[name]

    def close(self) -> None:
        for c in self._clients.values():
            c.close()


@pytest.fixture(scope="session")
def session(request: pytest.FixtureRequest) -> Iterator[Session]:
    s = Session(selected_ports(request.config))
    yield s
    s.close()


def require_present(port: Port) -> None:
    reason = port.absent_reason()
    if reason:
        pytest.skip(reason)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    ports = selected_ports(metafunc.config)
    if "port_case" in metafunc.fixturenames:
        params = [(p, c) for p in ports for c in CASES]
        metafunc.parametrize("port_case", params, ids=[f"{p.name}-{c.id}" for p, c in params])
    if "crossport_case" in metafunc.fixturenames:
        params = [(p, c) for p in ports if p.name != REFERENCE_PORT
                  for c in CASES if c.source == "reference"]
        metafunc.parametrize("crossport_case", params, ids=[f"{p.name}-{c.id}" for p, c in params])
    if "port" in metafunc.fixturenames:
        metafunc.parametrize("port", ports, ids=[p.name for p in ports])


def pytest_report_header(config: pytest.Config) -> list[str]:
    ports = selected_ports(config)
    lines = [f"dlscratch harness: {len(CASES)} cases, ports: "
             + ", ".join(p.name + ("" if p.present else " (not present)") for p in ports)]
    if CASES_ERROR:
        lines.append(f"dlscratch harness: case files unreadable: {CASES_ERROR}")
    return lines



FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
IDX_STEMS = {"train-images-idx3-ubyte": 1000, "train-labels-idx1-ubyte": 1000,
             "t10k-images-idx3-ubyte": 500, "t10k-labels-idx1-ubyte": 500}


@pytest.fixture(scope="session")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 1000 training and 500 test images of Fashion-MNIST (and their labels) as plain
    IDX files: the trainers' runs on a subset see the same first images, loaded in milliseconds."""
    import gzip

    if not FASHION_MNIST.is_dir():
        pytest.skip(f"{FASHION_MNIST} is not installed (Debian package dataset-fashion-mnist)")
    d = tmp_path_factory.mktemp("small-data")
    for stem, count in IDX_STEMS.items():
        raw = gzip.decompress((FASHION_MNIST / f"{stem}.gz").read_bytes())
        ndim = raw[3]
        dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
        item = 1
        for size in dims[1:]:
            item *= size
        header = raw[:4] + count.to_bytes(4, "big") + raw[8:4 + 4 * ndim]
        (d / stem).write_bytes(header + raw[4 + 4 * ndim:4 + 4 * ndim + count * item])
    return d
