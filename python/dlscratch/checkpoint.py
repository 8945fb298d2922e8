"""The checkpoint of an interrupted bin/train run (shared_tests/README.md section 8): the
parameters, the optimizer's state, the generator's six words, the iteration and the history so
far, in the portable notation of the parameters file, so that any port resumes any port's run."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .rng import M1, M2, MRG32k3a

__all__ = ["Checkpoint", "CheckpointError", "decode_arrays", "encode_arrays", "read_checkpoint", "write_checkpoint"]

FORMAT, VERSION = "dlscratch-checkpoint", 1
#: The optimizer state's keys by name (README section 8); each holds arrays of the params' shapes but Adam's "iter".
STATE_KEYS: dict[str, tuple[str, ...]] = {"sgd": (), "momentum": ("v",), "nesterov": ("v",), "adagrad": ("h",),
                                          "rmsprop": ("h",), "adam": ("iter", "m", "v")}
HISTORY_LISTS = ("loss_history", "acc_iters", "train_acc", "test_acc")


class CheckpointError(ValueError):
    """A checkpoint file that cannot be resumed; the message names what is wrong."""


def number(v: float) -> float | str:
    """A double as JSON: itself, or the strings of README section 2 when it is not finite."""
    return v if math.isfinite(v) else ("NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity"))


def encode_arrays(arrays: dict[str, np.ndarray]) -> dict[str, dict[str, Any]]:
    """{key: {"shape": [...], "data": [row-major numbers]}} in the arrays' order."""
    return {k: {"shape": list(v.shape), "data": [number(float(x)) for x in np.asarray(v).reshape(-1)]}
            for k, v in arrays.items()}


@dataclass
class Checkpoint:
    network: dict[str, Any]
    options: dict[str, Any]
    iteration: int
    rng: MRG32k3a
    optimizer_state: dict[str, Any]
    params: dict[str, np.ndarray]
    history: dict[str, Any]


# region: checkpoint
# part: save
def write_checkpoint(path: Path, ck: Checkpoint) -> None:
    """The checkpoint as one JSON object; arrays in the notation of the parameters file."""
    state = {k: (v if k == "iter" else encode_arrays(v)) for k, v in ck.optimizer_state.items()}
    record = {"format": FORMAT, "version": VERSION, "port": "python", "network": ck.network, "options": ck.options,
              "iteration": ck.iteration, "rng": ck.rng.state(),
              "optimizer": {"name": ck.options["optimizer"], "state": state},
              "params": encode_arrays(ck.params),
              "history": {**{k: ck.history[k] for k in HISTORY_LISTS}, "seconds": ck.history["seconds"]}}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record) + "\n")
    tmp.replace(path)
# endregion


def to_float(v: Any, where: str) -> float:
    """A JSON number, or one of README section 2's strings, as a double."""
    if isinstance(v, str) and v in ("NaN", "Infinity", "-Infinity"):
        return float(v.lower().replace("infinity", "inf"))
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise CheckpointError(f"{where} is {json.dumps(v)[:40]}, not a number")
    return float(v)


def need(obj: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise CheckpointError(f"{where} has no \"{key}\"")
    v = obj[key]
    if isinstance(v, bool) and kind is not bool or not isinstance(v, kind):
        raise CheckpointError(f"{where}.{key} is {json.dumps(v)[:40]}, not {'an integer' if kind is int else 'an object' if kind is dict else 'a list'}")
    return v


def decode_arrays(obj: Any, shapes: dict[str, tuple[int, ...]], where: str) -> dict[str, np.ndarray]:
    """Arrays of exactly the keys, in order, and shapes of `shapes`."""
    if not isinstance(obj, dict):
        raise CheckpointError(f"{where} is not an object")
    if list(obj) != list(shapes):
        raise CheckpointError(f"{where} has the keys {', '.join(obj) or 'none'}, not {', '.join(shapes)}")
    out = {}
    for key, shape in shapes.items():
        entry = obj[key]
        got = need(entry, "shape", list, f"{where}.{key}")
        if got != list(shape):
            raise CheckpointError(f"{where}.{key} has the shape {got}, not {list(shape)}")
        data = need(entry, "data", list, f"{where}.{key}")
        if len(data) != math.prod(shape):
            raise CheckpointError(f"{where}.{key} has {len(data)} numbers for the shape {list(shape)}")
        out[key] = np.array([to_float(v, f"{where}.{key}.data") for v in data], dtype=np.float64).reshape(shape)
    return out


def check_words(words: Any, modulus: int, where: str) -> list[int]:
    if not isinstance(words, list) or len(words) != 3 or \
            not all(isinstance(w, int) and not isinstance(w, bool) and 0 <= w < modulus for w in words):
        raise CheckpointError(f"{where} must be three integers in 0 .. {modulus - 1}")
    if not any(words):
        raise CheckpointError(f"{where} is all zeros, which the generator never reaches")
    return words


def read_checkpoint(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The parsed file and its options, after the checks that need nothing but the file."""
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise CheckpointError(f"cannot read it: {e.strerror or e}") from None
    except (UnicodeDecodeError, ValueError) as e:
        raise CheckpointError(f"not JSON ({e})") from None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise CheckpointError(f"not a dlscratch checkpoint (its \"format\" is not \"{FORMAT}\")")
    if obj.get("version") != VERSION:
        raise CheckpointError(f"a checkpoint of version {obj.get('version')!r}; this trainer reads version {VERSION}")
    return obj, need(obj, "options", dict, "the checkpoint")


def restore(obj: dict[str, Any], network: dict[str, Any], shapes: dict[str, tuple[int, ...]], steps: int,
            epoch_end: Callable[[int], bool]) -> Checkpoint:
    """The whole checkpoint, checked against the network its options build: the network description,
    the params' and the optimizer state's keys and shapes, the generator's words, 0 < iteration < steps,
    and a history of that many losses with the evaluations after the epochs' ends before it."""
    options = obj["options"]
    if obj.get("network") != network:
        raise CheckpointError(f"the checkpoint's network {json.dumps(obj.get('network'))[:80]} is not its options' "
                              f"{json.dumps(network)}")
    iteration = need(obj, "iteration", int, "the checkpoint")
    if not 0 < iteration < steps:
        raise CheckpointError(f"the checkpoint's iteration {iteration} is not in 1 .. {steps - 1} (the run has {steps})")
    epoch_iters = [i for i in range(iteration) if epoch_end(i)]
    rng_obj = need(obj, "rng", dict, "the checkpoint")
    rng = MRG32k3a.from_state({"s1": check_words(rng_obj.get("s1"), M1, "rng.s1"),
                               "s2": check_words(rng_obj.get("s2"), M2, "rng.s2")})
    params = decode_arrays(obj.get("params"), shapes, "params")
    opt = need(obj, "optimizer", dict, "the checkpoint")
    if opt.get("name") != options["optimizer"]:
        raise CheckpointError(f"optimizer.name is {opt.get('name')!r}, not the options' {options['optimizer']!r}")
    state_obj = need(opt, "state", dict, "optimizer")
    keys = STATE_KEYS[options["optimizer"]]
    if sorted(state_obj) != sorted(keys):
        raise CheckpointError(f"optimizer.state has the keys {', '.join(state_obj) or 'none'}, not {', '.join(keys) or 'none'}")
    state: dict[str, Any] = {}
    for key in keys:
        if key == "iter":
            state[key] = need(state_obj, "iter", int, "optimizer.state")
            if state[key] < 1:
                raise CheckpointError(f"optimizer.state.iter is {state[key]}, not a count of updates >= 1")
        else:
            state[key] = decode_arrays(state_obj[key], shapes, f"optimizer.state.{key}")
    hist = need(obj, "history", dict, "the checkpoint")
    history: dict[str, Any] = {}
    for key in HISTORY_LISTS:
        values = need(hist, key, list, "history")
        history[key] = values if key == "acc_iters" else [to_float(v, f"history.{key}") for v in values]
    if len(history["loss_history"]) != iteration:
        raise CheckpointError(f"history.loss_history has {len(history['loss_history'])} losses for iteration {iteration}")
    if history["acc_iters"] != epoch_iters:
        raise CheckpointError(f"history.acc_iters is {history['acc_iters'][:8]}, not the epochs' ends before iteration "
                              f"{iteration}: {epoch_iters[:8]}")
    for key in ("train_acc", "test_acc"):
        if len(history[key]) != len(epoch_iters):
            raise CheckpointError(f"history.{key} has {len(history[key])} accuracies for {len(epoch_iters)} evaluations")
    history["seconds"] = to_float(hist.get("seconds"), "history.seconds")
    return Checkpoint(network, options, iteration, rng, state, params, history)
