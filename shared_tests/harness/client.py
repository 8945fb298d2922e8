"""RunnerClient: one port's runner process, one request line at a time.

Each answer is awaited for at most `timeout` seconds. What can go wrong is reported as the
answer's `kind` and the process is replaced, so the remaining cases go on:

    crash     the runner closed stdout / exited (exit status and the last stderr lines)
    hang      no answer within the timeout (the process group is killed); after three hangs
              in a row the remaining requests are not sent and reported as hangs too
    garbage   a line that is not a JSON object with "ok" or "error"
    wrong_id  an answer whose id is not the request's
"""
from __future__ import annotations

import collections
import os
import queue
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from . import DEFAULT_TIMEOUT
from .jsonio import decode_numbers, loads_strict

FAILURE_KINDS = ("crash", "hang", "garbage", "wrong_id")


def default_timeout() -> float:
    """The per-case timeout: DLSCRATCH_TIMEOUT seconds, else 30."""
    try:
        return float(os.environ.get("DLSCRATCH_TIMEOUT", DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT


@dataclass(frozen=True)
class Answer:
    kind: str                 # "ok", "error", or one of FAILURE_KINDS
    body: Any = None          # the decoded ok-object, or the error object
    line: str | None = None   # the answer line as received
    detail: str = ""          # what went wrong (for FAILURE_KINDS), with stderr
    seconds: float = 0.0

    @property
    def error_type(self) -> str | None:
        return self.body.get("type") if self.kind == "error" else None

    def describe(self) -> str:
        if self.kind == "ok":
            return "ok"
        if self.kind == "error":
            return f"error {self.body.get('type')}: {self.body.get('message', '')}"
        return f"{self.kind}: {self.detail}"


class _Process:
    """A started runner with its reader threads (one per process, so a killed process's
    late output never reaches its successor)."""

    def __init__(self, argv: Sequence[str], cwd: Path, env: dict[str, str] | None,
                 stderr_keep: int) -> None:
        self.popen = subprocess.Popen(
            list(argv), cwd=str(cwd), env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True, bufsize=0)
        self.lines: queue.Queue[bytes | None] = queue.Queue()
        self.stderr: collections.deque[str] = collections.deque(maxlen=stderr_keep)
        self.writes: queue.Queue[bytes | None] = queue.Queue()
        self._threads = [threading.Thread(target=f, daemon=True)
                         for f in (self._read_stdout, self._read_stderr, self._write_stdin)]
        for t in self._threads:
            t.start()

    def _read_stdout(self) -> None:
        assert self.popen.stdout is not None
        try:
            for raw in iter(self.popen.stdout.readline, b""):
                self.lines.put(raw)
        except (OSError, ValueError):
            pass
        self.lines.put(None)

    def _read_stderr(self) -> None:
        assert self.popen.stderr is not None
        try:
            for raw in iter(self.popen.stderr.readline, b""):
                self.stderr.append(raw.decode("utf-8", "replace").rstrip("\n"))
        except (OSError, ValueError):
            pass

    def _write_stdin(self) -> None:
        # A separate writer: a runner that stops reading cannot block the caller.
        assert self.popen.stdin is not None
        while True:
            data = self.writes.get()
            if data is None:
                break
            try:
                self.popen.stdin.write(data)
                self.popen.stdin.flush()
            except (OSError, ValueError):
                break
        try:
            self.popen.stdin.close()
        except (OSError, ValueError):
            pass

    def stderr_tail(self, n: int) -> str:
        self._threads[1].join(timeout=0.5)
        tail = list(self.stderr)[-n:]
        return "\n".join(tail)

    def kill(self) -> int | None:
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            return self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return None
        finally:
            self.writes.put(None)

    def finish(self, wait: float) -> int | None:
        """Close stdin and wait for the exit status (kill after `wait` seconds)."""
        self.writes.put(None)
        try:
            return self.popen.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            self.kill()
            return None


class RunnerClient:
    """Runs one port's runner (argv in cwd) and exchanges request/answer lines with it."""

    def __init__(self, name: str, argv: Sequence[str], cwd: Path | str,
                 timeout: float | None = None, env: dict[str, str] | None = None,
                 stderr_lines: int = 20) -> None:
        self.name = name
        self.cwd = Path(cwd)
        self.argv = [self._resolve(a, i) for i, a in enumerate(argv)]
        self.timeout = default_timeout() if timeout is None else timeout
        self.env = env
        self.stderr_lines = stderr_lines
        self.starts = 0           # processes started so far (restarts = starts - 1)
        self.max_consecutive_hangs = 3   # then stop sending: a runner that never answers
        self._hangs_in_a_row = 0         # must not cost timeout x every remaining case
        self.failures: list[tuple[str, Answer]] = []   # (request id, failed answer)
        self._proc: _Process | None = None

    def _resolve(self, arg: str, i: int) -> str:
        # A relative program path (bin/runner) is relative to cwd.
        if i == 0 and "/" in arg and not os.path.isabs(arg):
            return str(self.cwd / arg)
        return arg

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        self._proc = _Process(self.argv, self.cwd, self.env, max(self.stderr_lines, 50))
        self.starts += 1

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.popen.poll() is None

    def close(self, wait: float = 10.0) -> int | None:
        """End the input and return the runner's exit status (None if it had to be killed)."""
        if self._proc is None:
            return None
        status = self._proc.finish(wait)
        self._proc = None
        return status

    def kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc = None

    def __enter__(self) -> "RunnerClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests ----------------------------------------------------------------------------
    def request(self, line: str, expect_id: str | None, timeout: float | None = None) -> Answer:
        """Send one request line and wait for its answer (see the module doc for the kinds)."""
        if self._hangs_in_a_row >= self.max_consecutive_hangs:
            answer = Answer("hang", detail=f"not sent: the runner gave no answer to the last "
                            f"{self._hangs_in_a_row} requests in a row")
        else:
            answer = self._request(line, expect_id, self.timeout if timeout is None else timeout)
            self._hangs_in_a_row = self._hangs_in_a_row + 1 if answer.kind == "hang" else 0
        if answer.kind in FAILURE_KINDS:
            self.failures.append((str(expect_id), answer))
        return answer

    def _request(self, line: str, expect_id: str | None, timeout: float) -> Answer:
        t0 = time.monotonic()
        if self._proc is None or self._proc.popen.poll() is not None:
            if self._proc is not None:
                self._proc.kill()
            try:
                self.start()
            except OSError as exc:
                self._proc = None
                return Answer("crash", detail=f"cannot start {self.argv}: {exc}")
        proc = self._proc
        assert proc is not None
        proc.writes.put(line.encode("utf-8") + b"\n")
        try:
            raw = proc.lines.get(timeout=timeout)
        except queue.Empty:
            proc.kill()
            self._proc = None
            return Answer("hang", detail=self._with_stderr(
                f"no answer within {timeout:g} s; runner killed and restarted", proc),
                seconds=time.monotonic() - t0)
        elapsed = time.monotonic() - t0
        if raw is None:
            try:
                status: int | None = proc.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                status = None
            proc.kill()
            self._proc = None
            what = (f"runner closed its output (exit status {status})" if status is not None
                    else "runner closed its output")
            return Answer("crash", detail=self._with_stderr(what, proc), seconds=elapsed)
        if not raw.endswith(b"\n"):
            # output ended in the middle of a line: the runner died while answering
            try:
                status = proc.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                status = None
            proc.kill()
            self._proc = None
            partial = raw[:200].decode("utf-8", "replace")
            return Answer("crash", line=partial, seconds=elapsed, detail=self._with_stderr(
                f"runner closed its output in the middle of a line {partial!r} "
                f"(exit status {status})", proc))
        text = raw.decode("utf-8", "replace").rstrip("\r\n")
        try:
            obj = loads_strict(text)
        except ValueError as exc:
            return self._garbage(proc, text, f"not JSON ({exc})", elapsed)
        if not isinstance(obj, dict):
            return self._garbage(proc, text, "not a JSON object", elapsed)
        if "id" not in obj or obj["id"] != expect_id:
            proc.kill()
            self._proc = None
            return Answer("wrong_id", line=text, seconds=elapsed, detail=self._with_stderr(
                f"answer id {obj.get('id')!r} but the request id was {expect_id!r}; "
                "runner restarted", proc))
        has_ok, has_err = "ok" in obj, "error" in obj
        if has_ok and not has_err and isinstance(obj["ok"], dict):
            return Answer("ok", decode_numbers(obj["ok"]), text, seconds=elapsed)
        if has_err and not has_ok and isinstance(obj["error"], dict) \
                and isinstance(obj["error"].get("type"), str):
            return Answer("error", obj["error"], text, seconds=elapsed)
        return self._garbage(proc, text, 'not {"id", "ok": {...}} or {"id", "error": {"type"}}',
                             elapsed)

    def _garbage(self, proc: _Process, text: str, why: str, elapsed: float) -> Answer:
        proc.kill()
        self._proc = None
        shown = text if len(text) <= 200 else text[:200] + "..."
        return Answer("garbage", line=text, seconds=elapsed, detail=self._with_stderr(
            f"answer line {shown!r} is {why}; runner restarted", proc))

    def _with_stderr(self, what: str, proc: _Process) -> str:
        tail = proc.stderr_tail(self.stderr_lines)
        return f"{what}\n--- last stderr lines ---\n{tail}" if tail else f"{what} (stderr empty)"
