"""A request's arguments checked against shared_tests/ops.json (or the file $DLSCRATCH_OPS_JSON): each argument
in the order listed (presence, JSON type, shape, symbols, domain), then the op's limits, then its hooks."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from .protocol import BadArgs, ProtocolError, ShapeError, ValueError_

OPS_JSON = Path(os.environ.get("DLSCRATCH_OPS_JSON") or Path(__file__).resolve().parents[2] / "shared_tests/ops.json")
SCHEMA: dict[str, Any] = json.loads(OPS_JSON.read_text(encoding="utf-8"))
LIMITS: dict[str, Any] = SCHEMA["limits"]
NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
Spec = dict[str, Any]


@dataclass
class Request:
    """The arguments of one request checked so far, and the dimensions their shapes bound."""

    op: str
    values: dict[str, Any] = field(default_factory=dict)
    symbols: dict[str, int] = field(default_factory=dict)


def expect(ok: bool, name: str, v: Any, what: str) -> Any:
    """v, or BadArgs when it is not `what`."""
    if not ok:
        raise BadArgs(f"{name} must be {what}, not {json.dumps(v)[:40]}")
    return v


def dims(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape)) or "a scalar"


def number(v: Any, name: str) -> float:
    """A JSON number or one of the strings "NaN", "Infinity", "-Infinity"."""
    if isinstance(v, str) and v in NON_FINITE:
        return NON_FINITE[v]
    return float(expect(isinstance(v, (int, float)) and not isinstance(v, bool), name, v, "a number"))


def whole(v: Any, name: str) -> int:
    """An integer; a whole-number float is the integer."""
    whole_number = isinstance(v, int) or (isinstance(v, float) and v.is_integer())
    return int(expect(whole_number and not isinstance(v, bool), name, v, "an integer"))


def in_domain(arg: Spec, x: Any) -> Any:
    """x within the argument's min, max and max_exclusive (NaN is outside every range)."""
    lo, hi, below = (LIMITS.get(b, b) for b in (arg.get("min"), arg.get("max"), arg.get("max_exclusive")))
    if (lo is not None and not x >= lo) or (hi is not None and not x <= hi) or (below is not None and not x < below):
        raise ValueError_(f"{arg['name']} = {x} is outside {lo} .. {hi if below is None else f'below {below}'}")
    return x


def obj(v: Any, name: str) -> dict[str, Any]:
    return expect(isinstance(v, dict), name, v, "an object")


def shape_of(v: Any, name: str) -> tuple[int, ...]:
    """The shape of a nested list (BadArgs when ragged)."""
    if not isinstance(v, list):
        return ()
    if len(shapes := {shape_of(e, name) for e in v}) > 1:
        raise BadArgs(f"{name} is ragged: its rows differ in length or depth")
    return (len(v), *(shapes.pop() if shapes else ()))


def parse_array(v: Any, name: str) -> np.ndarray:
    """A float64 array (a number is 0-D): not ragged, at most max_ndim dimensions, numbers, none of its dimensions 0."""
    if isinstance(v, list) and v and (fast := plain_numbers(v)) is not None:
        return fast
    if len(shape := shape_of(v, name)) > LIMITS["max_ndim"]:
        raise ShapeError(f"{name} has {len(shape)} dimensions, more than {LIMITS['max_ndim']}")
    flat = [number(x, f"every element of {name}") for x in np.array(v, dtype=object).reshape(-1)]
    if 0 in shape:
        raise ShapeError(f"{name} is empty ({dims(shape)})")
    return np.array(flat, dtype=np.float64).reshape(shape)


def plain_numbers(v: list) -> np.ndarray | None:
    """A rectangular nested list of int and float (no bool, no string, no empty or too deep list) as
    float64 without a walk in Python; None when it is anything else (parse_array then looks closer)."""
    try:
        objects = np.array(v, dtype=object)
    except ValueError:
        return None
    if objects.ndim > LIMITS["max_ndim"] or 0 in objects.shape or not {type(x) for x in objects.flat} <= {int, float}:
        return None
    return objects.astype(np.float64)


def dim(req: Request, token: str) -> int | None:
    """A dimension of a shape: a literal, an integer argument, a symbol bound before, a product a*b of
    those, or None."""
    if "*" in token:
        factors = [dim(req, f) for f in token.split("*")]
        return None if None in factors else math.prod(factors)
    return int(token) if token.isdigit() else req.values[token] if token in req.values else req.symbols.get(token)


def resolve(req: Request, ref: str) -> tuple[int, ...]:
    """The shape of an argument, an output ("=out") or a spec (its last alternative whose dimensions are all known)."""
    if ref.lstrip("=") in req.values:
        return np.shape(req.values[ref.lstrip("=")])
    if ref.startswith("="):
        return resolve(req, SCHEMA["ops"][req.op]["ok"][ref[1:]]["shape"])
    return tuple([d for d in ([dim(req, t) for t in alt.split()] for alt in ref.split("|")) if None not in d][-1])


def fit(req: Request, name: str, shape: tuple[int, ...], spec: str) -> None:
    """Checks a shape against a spec ("*", "=x", "C | N C", "N D..."), binding its symbols."""
    if spec.startswith("=") and shape != (want := resolve(req, spec)):
        raise ShapeError(f"{name} is {dims(shape)} but must be {dims(want)}, the shape of {spec[1:]}")
    if spec == "*" or spec.startswith("="):
        return
    for tokens in (alt.split() for alt in spec.split("|")):
        rest = bool(tokens) and tokens[-1].endswith("...")  # D...: the product of the trailing dimensions
        if len(shape) == len(tokens) or (rest and len(shape) > len(tokens)):
            break
    else:
        raise ShapeError(f"{name} is {dims(shape)}, not of the shape {spec}")
    for token, n in zip(tokens, (*shape[: len(tokens) - 1], math.prod(shape[len(tokens) - 1 :])) if rest else shape):
        if (want := dim(req, token.rstrip("."))) is None:
            req.symbols[token.rstrip(".")] = n
        elif want != n:
            raise ShapeError(f"{name} is {dims(shape)}: {n} where {token} is {want} ({spec})")


def array(req: Request, arg: Spec, v: Any) -> np.ndarray | float:
    """An array of the argument's shape; array_or_number: a number stays a number."""
    x = number(v, arg["name"]) if arg["kind"] == "array_or_number" and not isinstance(v, list) else parse_array(v, arg["name"])
    fit(req, arg["name"], np.shape(x), arg["shape"])
    return x


def choice(req: Request, arg: Spec, v: Any) -> str:
    """One of the choices as written; fold_case lower-cases it first, as the book does."""
    key = v.lower() if arg.get("fold_case") and isinstance(v, str) else v
    expect(isinstance(v, str) and key in arg["choices"], arg["name"], v, f"one of {', '.join(arg['choices'])}")
    return key


def target(req: Request, arg: Spec, v: Any) -> np.ndarray:
    """One-hot of the scores' shape (1-D: one sample, 2-D: N rows of C) or labels in 0 .. C-1 (int64, one per row)."""
    label, scores = arg["name"], resolve(req, arg["scores"])
    t = parse_array(v, label) if isinstance(v, list) else np.array(number(v, label))
    (n, c), size = (scores if len(scores) == 2 else (1, scores[0])), math.prod(scores)
    if t.shape == scores and arg["kind"] == "target":
        return t
    one_hot_of_another_shape = t.size == size and t.ndim >= 1 and (t.ndim != 1 or len(scores) != 2 or n != size)
    if one_hot_of_another_shape or ((t.size != 1 or t.ndim > 1) if len(scores) == 1 else (t.ndim != 1 or t.shape[0] != n)):
        raise ShapeError(f"{label} is {dims(t.shape)}: not labels{' or one-hot' * (arg['kind'] == 'target')} for scores {dims(scores)}")
    for i, x in enumerate(t.reshape(-1)):
        if not math.isfinite(x) or not x.is_integer():
            raise BadArgs(f"{label}[{i}] = {x} is not an integer label")
        if not 0 <= x < c:
            raise ValueError_(f"{label}[{i}] = {int(x)} is outside 0..{c - 1}")
    return t.astype(np.int64).reshape(-1 if len(scores) == 2 else ())


def int_list(req: Request, arg: Spec, v: Any) -> list[int]:
    ints = [whole(x, f"{arg['name']}[{i}]") for i, x in enumerate(expect(isinstance(v, list), arg["name"], v, "a list"))]
    return [in_domain({**arg, "name": f"{arg['name']}[{i}]"}, n) for i, n in enumerate(ints)]


def params(req: Request, arg: Spec, v: Any) -> dict[str, np.ndarray]:
    """Named arrays of the shapes `keys` (or the keys hook) gives; a missing or null key is a ShapeError."""
    raw, out = obj(v, arg["name"]), {}
    for key, shape in (arg["keys"] if "keys" in arg else HOOKS[arg["keys_hook"]](req, raw)).items():
        if raw.get(key) is None:
            raise ShapeError(f"{arg['name']} has no {key}")
        out[key] = array(req, {"name": f"{arg['name']}.{key}", "kind": "array", "shape": shape}, raw[key])
    return out


def dims_list(req: Request, arg: Spec, v: Any) -> list[int]:
    """As many integers as the argument's symbols, each in 1 .. max_elements, bound to them in order."""
    ints = [whole(x, f"{arg['name']}[{i}]") for i, x in enumerate(expect(isinstance(v, list), arg["name"], v, "a list"))]
    if len(ints) != len(arg["symbols"]):
        raise ShapeError(f"{arg['name']} has {len(ints)} entries, not {len(arg['symbols'])} ({' '.join(arg['symbols'])})")
    for i, (symbol, n) in enumerate(zip(arg["symbols"], ints)):
        in_domain({"name": f"{arg['name']}[{i}]", "min": 1, "max": "max_elements"}, n)
        bind(req, arg["name"], symbol, n)
    return ints


def bind(req: Request, name: str, symbol: str, n: int) -> None:
    """Binds a symbol, or checks it against the value it was bound to."""
    if req.symbols.setdefault(symbol, n) != n:
        raise ShapeError(f"{name}: {symbol} is {n} here but {req.symbols[symbol]} before")


def record(req: Request, arg: Spec, v: Any) -> dict[str, int]:
    """An object of the argument's integer fields (null or missing: the field's default), each bound as a symbol."""
    raw, fields = obj(v, arg["name"]), {f["name"]: f for f in arg["fields"]}
    if unknown := sorted(set(raw) - set(fields)):
        raise BadArgs(f"{arg['name']} has no field {unknown[0]!r} (fields: {', '.join(fields)})")
    out = {}
    for key, f in fields.items():
        out[key] = KINDS[f["kind"]](req, {**f, "name": f"{arg['name']}.{key}"}, f["default"] if raw.get(key) is None else raw[key])
        bind(req, arg["name"], key, out[key])
    return out


def grads_seq(req: Request, arg: Spec, v: Any) -> list[dict[str, np.ndarray]]:
    """Objects with exactly the keys of `like`, each array of its shape."""
    label, like, seq = arg["name"], req.values[arg["like"]], []
    for i, raw in enumerate(expect(isinstance(v, list), label, v, "a list of objects")):
        if set(obj(raw, f"{label}[{i}]")) != set(like):
            raise ShapeError(f"{label}[{i}] has the keys {sorted(raw)} but {arg['like']} has {sorted(like)}")
        seq.append({key: parse_array(g, f"{label}[{i}].{key}") for key, g in raw.items()})
        if wrong := [k for k, g in seq[-1].items() if g.shape != like[k].shape]:
            raise ShapeError(f"{label}[{i}].{wrong[0]} is {dims(seq[-1][wrong[0]].shape)}, not {dims(like[wrong[0]].shape)}")
    return seq


def optimizer(req: Request, arg: Spec, v: Any) -> dict[str, Any]:
    """{"name": a name of optimizer.run, "hyper": hyper}; an entry missing or null takes the default's."""
    given = {**arg["default"], **{k: x for k, x in obj(v, arg["name"]).items() if x is not None}}
    run = {a["name"]: {**a, "name": f"{arg['name']}.{a['name']}"} for a in SCHEMA["ops"]["optimizer.run"]["args"]}
    return {k: KINDS[run[k]["kind"]](req, run[k], given.get(k, run[k].get("default"))) for k in ("name", "hyper")}


def network(req: Request, arg: Spec, v: Any) -> dict[str, Any]:
    """{"kind": one of the argument's kinds, ...}: the other keys checked as the arguments of <kind>.init but
    seed; S0 and SL bound to its input_size and output_size."""
    raw = obj(v, arg["name"])
    kind = expect(isinstance(raw.get("kind"), str) and raw["kind"] in arg["kinds"], f"{arg['name']}.kind", raw.get("kind"),
                  f"one of {', '.join(arg['kinds'])}")
    try:
        net = vars(validate(f"{kind}.init", {k: x for k, x in raw.items() if k not in ("kind", "seed")}))
    except ProtocolError as e:
        raise type(e)(f"{arg['name']}: {e.message}") from None
    bind_network(req, kind, net)
    return {"kind": kind, **{k: x for k, x in net.items() if k != "seed"}}


CONVOLUTIONAL = ("simple_conv_net", "deep_conv_net")


def bind_network(req: Request, kind: str, net: dict[str, Any]) -> None:
    """S0 (a dense network's input_size) or C, IH, IW (a convolutional one's input_dim), and SL."""
    if kind in CONVOLUTIONAL:
        req.symbols.update(zip(("C", "IH", "IW"), net["input_dim"]), SL=net["output_size"])
    else:
        req.symbols.update(S0=net["input_size"], SL=net["output_size"])


KINDS: dict[str, Callable[[Request, Spec, Any], Any]] = {
    "number": lambda req, arg, v: in_domain(arg, number(v, arg["name"])),
    "integer": lambda req, arg, v: in_domain(arg, whole(v, arg["name"])),
    "seed": lambda req, arg, v: in_domain({**arg, "min": 0, "max_exclusive": LIMITS["seed_limit"]}, whole(v, arg["name"])),
    "name_or_number": lambda req, arg, v: choice(req, arg, v) if isinstance(v, str) else number(v, arg["name"]),
    "hyper": lambda req, arg, v: {k: number(x, f"{arg['name']}.{k}") for k, x in obj(v, arg["name"]).items()},
    "boolean": lambda req, arg, v: expect(isinstance(v, bool), arg["name"], v, "true or false"),
    "path": lambda req, arg, v: expect(isinstance(v, str), arg["name"], v, "the path of a file"),
    "name": choice, "array": array, "array_or_number": array, "target": target, "labels": target,
    "int_list": int_list, "dims": dims_list, "record": record, "params": params, "grads_seq": grads_seq, "optimizer": optimizer, "network": network,
}


# --- the hooks of ops.json --------------------------------------------------------------------


def sizes(req: Request) -> list[int]:
    return [req.values["input_size"], *req.values["hidden_size_list"], req.values["output_size"]]


def layer_params(req: Request, raw: dict[str, Any]) -> dict[str, str]:
    """W{i}: S_{i-1} x S_i and b{i}: S_i; S0 and SL stand for input_size and output_size."""
    s = sizes(req)
    req.symbols.update(S0=s[0], SL=s[-1])
    return {k: v for i in range(1, len(s)) for k, v in ((f"W{i}", f"{s[i - 1]} {s[i]}"), (f"b{i}", f"{s[i]}"))}


def extend_params(req: Request, raw: dict[str, Any]) -> dict[str, str]:
    """layer_params, and with batch norm gamma{i}, beta{i}: S_i for every hidden layer."""
    keys, s = layer_params(req, raw), sizes(req)
    for i in range(1, len(s) - 1) if req.values["use_batchnorm"] else ():
        keys.update({f"gamma{i}": f"{s[i]}", f"beta{i}": f"{s[i]}"})
    return keys


def running_stats(req: Request, raw: dict[str, Any]) -> dict[str, str]:
    """With batch norm running_mean{i}, running_var{i}: S_i for every hidden layer; none without."""
    s = sizes(req) if req.values["use_batchnorm"] else []
    return {k: f"{s[i]}" for i in range(1, len(s) - 1) for k in (f"running_mean{i}", f"running_var{i}")}


def trainer_steps(req: Request) -> int:
    """int(epochs·iter_per_epoch)·mini_batch_size, iter_per_epoch = max(N / mini_batch_size, 1) as the book's."""
    batch = req.values["mini_batch_size"]
    return int(req.values["epochs"] * max(len(req.values["x_train"]) / batch, 1)) * batch


def any_keys(req: Request, raw: dict[str, Any]) -> dict[str, str]:
    """Every key, an array of any shape (a null entry is not an array)."""
    for key, v in raw.items():
        expect(v is not None, f"params.{key}", v, "an array")
    return dict.fromkeys(raw, "*")


def momentum_domain(req: Request) -> None:
    m = req.values["hyper"].get("momentum")
    if req.values["name"] in ("momentum", "nesterov") and m is not None and not 0 <= m <= 1:
        raise ValueError_(f"momentum = {m} is outside [0, 1]")


def window(req: Request, arg: Spec) -> None:
    """The op's window FH x FW fits the padded image; binds OH and OW, im2col's output size."""
    (fh, fw), stride, pad = (dim(req, t) for t in SCHEMA["ops"][req.op]["window"]), dim(req, "stride"), dim(req, "pad")
    for side, size, f, out in (("height", req.symbols["IH"], fh, "OH"), ("width", req.symbols["IW"], fw, "OW")):
        if f > size + 2 * pad:
            raise ShapeError(f"the window's {side} {f} is larger than the padded input's {size} + 2·{pad}")
        req.symbols[out] = (size + 2 * pad - f) // stride + 1


def pool_window(req: Request, arg: Spec) -> None:
    """The 2x2 pooling of stride 2 after the convolution: binds PH = OH // 2, PW = OW // 2."""
    if min(req.symbols["OH"], req.symbols["OW"]) < 2:
        raise ShapeError(f"the convolution's output {req.symbols['OH']}x{req.symbols['OW']} is smaller than the 2x2 pooling")
    req.symbols.update(PH=req.symbols["OH"] // 2, PW=req.symbols["OW"] // 2)


def im2col_size(req: Request) -> int:
    """The padded image plus col."""
    s, (fh, fw), pad = req.symbols, (dim(req, t) for t in SCHEMA["ops"][req.op]["window"]), dim(req, "pad")
    return s["N"] * s["C"] * (s["IH"] + 2 * pad) * (s["IW"] + 2 * pad) + s["N"] * s["OH"] * s["OW"] * s["C"] * fh * fw


def conv_net_size(req: Request) -> int:
    """SimpleConvNet's weights, plus the col of the convolution of x when the op has x."""
    s, v = req.symbols, req.values
    filters, hidden = s["filter_num"], v["hidden_size"]
    k = s["C"] * s["filter_size"] ** 2
    col = s["N"] * s["OH"] * s["OW"] * k if "x" in v else 0
    return filters * k + filters * s["PH"] * s["PW"] * hidden + hidden * v["output_size"] + col


def network_input(req: Request, arg: Spec, source: str = "network") -> None:
    """The trainer's images: N x S0 for a dense network, N x C x IH x IW for a convolutional one."""
    kind, ndim = req.values[source]["kind"], np.ndim(req.values[arg["name"]])
    if ndim != (want := 4 if kind in CONVOLUTIONAL else 2):
        raise ShapeError(f"{arg['name']} is {ndim}-D, but a {kind} takes {want}-D input")


def deep_geometry(req: Request, arg: Spec) -> None:
    """DeepConvNet's image through its convolutions (s + 2·pad − 2) and poolings (s // 2, at least 1);
    binds PH, PW, the last pooling's output."""
    from .networks import deep_conv_sizes
    sizes = deep_conv_sizes(req.symbols["IH"], req.symbols["IW"])
    if min(min(h, w) for h, w in sizes) < 1:
        raise ShapeError(f"a {req.symbols['IH']}x{req.symbols['IW']} image is too small for DeepConvNet's three poolings "
                         "(at least 4x4)")
    req.symbols["PH"], req.symbols["PW"] = sizes[-1]


def deep_conv_net_size(req: Request) -> int:
    """DeepConvNet's weights, plus the largest convolution's col when the op has x."""
    from .networks import DEEP_CONVS, deep_conv_sizes
    s, v = req.symbols, req.values
    sizes = deep_conv_sizes(s["IH"], s["IW"])
    channels = [s["C"], *(f for f, _ in DEEP_CONVS[:-1])]
    inputs = [(s["IH"], s["IW"]), *(sizes[i] for i in (0, 2, 3, 5, 6))]          # each convolution's input image
    weights = sum(f * c * 9 + f for (f, _), c in zip(DEEP_CONVS, channels))
    weights += 64 * s["PH"] * s["PW"] * v["hidden_size"] + v["hidden_size"] * (1 + v["output_size"]) + v["output_size"]
    cols = [c * 9 * (h + 2 * pad - 2) * (w + 2 * pad - 2) for c, (h, w), (_, pad) in zip(channels, inputs, DEEP_CONVS)]
    return weights + (len(v["x"]) * max(cols) if "x" in v else 0)


#: The kinds of network a parameters file may hold (those bin/train saves).
MODEL_KINDS = ("two_layer_net", "simple_conv_net", "deep_conv_net")


def model_file(req: Request, arg: Spec) -> None:
    """The parameters file at `path` (README section 8) as {"kind", the network's arguments, "params"}: its
    network checked as the network kind checks one, its params exactly the keys and shapes that
    <kind>.init draws for that network."""
    path = req.values[arg["name"]]
    try:
        with open(path, encoding="utf-8") as fh:
            record = json.load(fh)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError_(f"cannot read {path} as JSON: {e}") from None
    try:
        if not isinstance(record, dict) or record.get("format") != "dlscratch-params" or record.get("version") != 1:
            raise BadArgs('it has no "format": "dlscratch-params", "version": 1')
        net = network(req, {"name": "network", "kinds": MODEL_KINDS}, record.get("network"))
        init = checked(f"{net['kind']}.init", {k: v for k, v in record["network"].items() if k != "kind"})
        like = {key: tuple(dim(init, t) for t in ok["shape"].split()) for key, ok in SCHEMA["ops"][f"{net['kind']}.init"]["ok"].items()}
        arrays = obj(record.get("params"), "params")
        if list(arrays) != list(like):
            raise BadArgs(f"its params are {', '.join(arrays)}, not {', '.join(like)}")
        params = {}
        for key, want_shape in like.items():
            entry = obj(arrays[key], f"params.{key}")
            shape = tuple(int_list(req, {"name": f"params.{key}.shape", "min": 0, "max": "max_elements"}, entry.get("shape")))
            raw = expect(isinstance(entry.get("data"), list), f"params.{key}.data", entry.get("data"), "a list")
            data = plain_numbers(raw) if raw else None
            data = data if data is not None and data.ndim == 1 else np.array([number(x, f"params.{key}.data") for x in raw])
            if shape != want_shape or len(data) != math.prod(shape):
                raise BadArgs(f"params.{key} is {dims(shape)} with {len(data)} numbers, not {dims(want_shape)}")
            params[key] = data.astype(np.float64).reshape(shape)
    except ProtocolError as e:
        raise ValueError_(f"{path} is not a parameters file of section 8: {e.message}") from None
    req.values[arg["name"]] = {**net, "params": params}


HOOKS: dict[str, Callable[..., Any]] = {"layer_params": layer_params, "any_keys": any_keys, "momentum_domain": momentum_domain,
                                        "extend_params": extend_params, "running_stats": running_stats,
                                        "trainer_steps": trainer_steps, "window": window, "pool_window": pool_window,
                                        "im2col_size": im2col_size, "conv_net_size": conv_net_size,
                                        "network_input": network_input, "deep_geometry": deep_geometry,
                                        "deep_conv_net_size": deep_conv_net_size, "model_file": model_file,
                                        "model_input": lambda req, arg: network_input(req, arg, "path"),
                                        "layer_sizes": lambda req: sum(a * b for a, b in zip(sizes(req), sizes(req)[1:]))}  # Σ S_{i-1}·S_i


def factor(req: Request, ref: str) -> int:
    """An integer argument, or an array argument's size or columns (its last dimension)."""
    name, _, attr = ref.partition(".")
    return {"": lambda v: v, "size": np.size, "columns": lambda v: v.shape[-1]}[attr](req.values[name])


def validate(op: str, raw: dict[str, Any]) -> SimpleNamespace:
    """The op's arguments as typed values (null counts as absent), or the contract's error."""
    return SimpleNamespace(**checked(op, raw).values)


def checked(op: str, raw: dict[str, Any]) -> Request:
    """The checked request: its typed values and the dimensions its shapes bound."""
    spec, req = SCHEMA["ops"][op], Request(op)
    for arg in spec["args"]:
        if raw.get(arg["name"]) is None and "default" not in arg:
            raise BadArgs(f'missing argument "{arg["name"]}"')
        v = arg.get("default") if raw.get(arg["name"]) is None else raw[arg["name"]]
        req.values[arg["name"]] = None if v is None else KINDS[arg["kind"]](req, arg, v)
        for hook in arg.get("then", []):
            HOOKS[hook](req, arg)
    for limit in spec.get("limits", []):
        count = HOOKS[limit["hook"]](req) if "hook" in limit else sum(math.prod(factor(req, f) for f in p) for p in limit["sum_of_products"])
        if count > LIMITS["max_elements"]:
            raise ValueError_(f"{limit['what']} would hold {count} elements, above the limit of {LIMITS['max_elements']}")
    for hook in spec.get("hooks", []):
        HOOKS[hook](req)
    return req
