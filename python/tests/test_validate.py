"""The validator: every kind of ops.json, shapes and their symbols, defaults, null as absent,
the limits and the hooks, each refusal of the contract's type."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dlscratch.protocol import BadArgs, ShapeError, ValueError_
from dlscratch.validate import HOOKS, KINDS, SCHEMA, Request, fit, validate

AFFINE = {"W": [[1, 2], [3, 4], [5, 6]], "b": [0, 0], "x": [[1, 2, 3]], "dout": [[1, 1]]}
TWO_LAYER = {"W1": [[1.0, 0.0]], "b1": [0.0, 0.0], "W2": [[1.0], [1.0]], "b2": [0.0]}


def test_every_kind_and_hook_of_ops_json_is_known():
    args = [a for op in SCHEMA["ops"].values() for a in op["args"]]
    assert {a["kind"] for a in args} == set(KINDS)
    hooks = {h for op in SCHEMA["ops"].values() for h in op.get("hooks", [])}
    hooks |= {a["keys_hook"] for a in args if "keys_hook" in a}
    hooks |= {lim["hook"] for op in SCHEMA["ops"].values() for lim in op.get("limits", []) if "hook" in lim}
    hooks |= {h for a in args for h in a.get("then", [])}
    assert hooks == set(HOOKS) == set(SCHEMA["hooks"])


@pytest.mark.parametrize("op, args, name, value", [
    ("gate.and", {"x1": 1, "x2": "-Infinity"}, "x2", -np.inf),                       # number
    ("rng.uniform", {"seed": 2.0, "n": 3}, "seed", 2),                                  # seed, whole float
    ("rng.choice", {"seed": 0, "n": 5, "size": 1e1}, "size", 10),                      # integer
    ("layer.dropout", {"x": [1], "train_flg": False, "dout": [1]}, "train_flg", False),  # boolean
    ("net3.forward", {"network": {}, "x": [1]}, None, None),                             # (params checked below)
    ("grad.numerical_diff", {"f": "function_2", "x": 3}, "f", "function_2"),           # name
    ("optimizer.run", {"name": "AdaGrad", "params": {}, "grads_seq": []}, "name", "adagrad"),  # fold_case
    ("multi_layer_net.init", {"input_size": 2, "hidden_size_list": [3.0], "output_size": 1, "weight_init_std": 0.5},
     "weight_init_std", 0.5),                                                            # name_or_number, a number
    ("multi_layer_net.init", {"input_size": 2, "hidden_size_list": [], "output_size": 1, "weight_init_std": "He"},
     "weight_init_std", "he"),                                                           # name_or_number, a name
    ("multi_layer_net.init", {"input_size": 2, "hidden_size_list": [3.0, 1], "output_size": 1}, "hidden_size_list", [3, 1]),
    ("layer.mul", {"x": 2, "y": "NaN", "dout": 1}, "y", np.nan),                         # array_or_number, a number
    ("optimizer.run", {"name": "sgd", "hyper": {"lr": 1, "beta9": "NaN"}, "params": {}, "grads_seq": []}, "hyper",
     {"lr": 1.0, "beta9": np.nan}),                                                      # hyper, unused keys kept
    ("train.two_layer_net", {"x_train": [[1.0]], "output_size": 2, "t_train": [1], "hidden_size": 1, "iters": 1,
                             "optimizer": {"name": "Adam", "hyper": None}}, "optimizer", {"name": "adam", "hyper": {}}),
    ("data.idx", {"path": "/some/file"}, "path", "/some/file"),
])
def test_kinds(op, args, name, value):
    if name is None:
        with pytest.raises(ShapeError):
            validate(op, args)
        return
    got = getattr(validate(op, args), name)
    assert json.dumps(got, default=str) == json.dumps(value, default=str) and type(got) is type(value)


def test_arrays_and_targets_are_numpy():
    a = validate("loss.cross_entropy_error", {"y": [[0.1, 0.9], [0.8, 0.2]], "t": [1.0, 0]})
    assert a.y.dtype == np.float64 and a.y.shape == (2, 2)
    assert a.t.dtype == np.int64 and a.t.tolist() == [1, 0]                     # labels
    one_hot = validate("loss.cross_entropy_error", {"y": [0.1, 0.9], "t": [0, 1]}).t
    assert one_hot.dtype == np.float64 and one_hot.tolist() == [0.0, 1.0]        # one-hot of y's shape
    assert validate("loss.cross_entropy_error", {"y": [0.1, 0.9], "t": [1]}).t.shape == ()  # one label of 1-D y
    assert validate("fn.relu", {"x": 2}).x.shape == ()                         # a number is a 0-D array


@pytest.mark.parametrize("op, args, error", [
    ("gate.and", {"x1": 1}, BadArgs),                                        # missing
    ("gate.and", {"x1": True, "x2": 0}, BadArgs),                            # not a number
    ("rng.uniform", {"seed": 0.5, "n": 2}, BadArgs),                         # not whole
    ("rng.uniform", {"seed": 2**31, "n": 2}, ValueError_),                    # seed_limit
    ("rng.uniform", {"seed": 0, "n": 0}, ValueError_),                        # min
    ("rng.uniform", {"seed": 0, "n": 1e12}, ValueError_),                     # max: max_elements
    ("layer.dropout", {"x": [1], "dropout_ratio": 1, "dout": [1]}, ValueError_),    # max_exclusive
    ("layer.dropout", {"x": [1], "dropout_ratio": "NaN", "dout": [1]}, ValueError_),  # NaN is outside
    ("layer.dropout", {"x": [1], "train_flg": 1, "dout": [1]}, BadArgs),
    ("grad.numerical_diff", {"f": "Function_1", "x": 1}, BadArgs),          # names as written
    ("multi_layer_net.init", {"input_size": 1, "hidden_size_list": ["NaN"], "output_size": 1,
                              "weight_init_std": "NaN"}, BadArgs),
    ("multi_layer_net.init", {"input_size": 1, "hidden_size_list": [0, "x"], "output_size": 1}, BadArgs),  # types first
    ("multi_layer_net.init", {"input_size": 1, "hidden_size_list": [0], "output_size": 1}, ValueError_),
    ("fn.relu", {"x": [[1, 2], [3]]}, BadArgs),                               # ragged
    ("fn.relu", {"x": ["1"]}, BadArgs),                                       # not numbers
    ("fn.relu", {"x": [[]]}, ShapeError),                                     # size 0
    ("fn.softmax", {"x": 1.0}, ShapeError),                                   # ndim
    ("layer.batch_norm", {"x": [1.0, 2.0], "gamma": [1], "beta": [1], "dout": [1, 1]}, ShapeError),  # N D... needs 2-D
    ("loss.cross_entropy_error", {"y": [[0.5, 0.5]], "t": [2]}, ValueError_),
    ("loss.cross_entropy_error", {"y": [[0.5, 0.5]], "t": [0.5]}, BadArgs),
    ("loss.cross_entropy_error", {"y": [[0.5, 0.5]], "t": [0, 1]}, ShapeError),
    ("train.two_layer_net", {"x_train": [[1.0]], "output_size": 2, "t_train": [[0, 1]], "hidden_size": 1, "iters": 1},
     ShapeError),                                                             # labels only
    ("optimizer.run", {"name": "sgd", "hyper": {"lr": None}, "params": {}, "grads_seq": []}, BadArgs),
    ("optimizer.run", {"name": "sgd", "params": {"w": [1]}, "grads_seq": [{"v": [1]}]}, ShapeError),  # keys of like
    ("optimizer.run", {"name": "sgd", "params": {"w": [1]}, "grads_seq": [{"w": [1, 2]}]}, ShapeError),  # shapes of like
    ("optimizer.run", {"name": "sgd", "params": {"w": [1]}, "grads_seq": {"w": [1]}}, BadArgs),
    ("data.idx", {"path": 3}, BadArgs),
])
def test_refusals(op, args, error):
    with pytest.raises(error) as refused:
        validate(op, args)
    assert type(refused.value) is error


def test_a_symbol_binds_where_first_met_and_must_match_after():
    a = validate("layer.affine", AFFINE)
    assert (a.W.shape, a.b.shape, a.x.shape) == ((3, 2), (2,), (1, 3))
    for key, bad in (("b", [0, 0, 0]), ("x", [[1, 2]]), ("dout", [[1, 1, 1]]), ("dout", [1, 1])):
        with pytest.raises(ShapeError):
            validate("layer.affine", {**AFFINE, key: bad})


def test_trailing_dimensions_multiply_and_derived_shapes_take_the_last_bound_alternative():
    a = validate("layer.affine", {**AFFINE, "W": [[1, 2]] * 4, "x": [[[1, 2], [3, 4]]], "dout": [[1, 1]]})  # N D...: 1x2x2
    assert a.x.shape == (1, 2, 2)
    req = Request("layer.affine")
    fit(req, "W", (3, 2), "D M")
    fit(req, "x", (3,), "D | N D...")            # 1-D: N stays unbound, so out is M
    fit(req, "dout", (2,), "=out")
    with pytest.raises(ShapeError):
        fit(req, "dout", (1, 2), "=out")


def test_a_default_is_used_and_checked_like_a_value():
    a = validate("grad.gradient_descent", {"f": "function_1", "init_x": [1.0]})
    assert (a.lr, a.step_num) == (0.01, 100)
    assert validate("train.two_layer_net", {"x_train": [[1.0]], "output_size": 2, "t_train": [1], "hidden_size": 1,
                                            "iters": 1}).optimizer == {"name": "sgd", "hyper": {}}


def test_null_counts_as_absent():
    a = validate("layer.dropout", {"x": [1], "dropout_ratio": None, "seed": None, "dout": [1]})
    assert (a.dropout_ratio, a.seed, a.train_flg) == (0.5, 0, True)
    assert validate("layer.batch_norm", {"x": [[1.0], [2.0]], "gamma": [1], "beta": [0], "running_mean": None,
                                         "dout": [[1.0], [1.0]]}).running_mean is None
    with pytest.raises(BadArgs):
        validate("gate.or", {"x1": None, "x2": 1})
    with pytest.raises(ShapeError):                     # a null params entry is a missing key
        validate("two_layer_net.predict", {"params": {**TWO_LAYER, "b2": None}, "x": [1.0]})


def test_limits_sum_the_products_of_their_terms():
    with pytest.raises(ValueError_):
        validate("two_layer_net.init", {"input_size": 4000, "hidden_size": 2000, "output_size": 2000})
    with pytest.raises(ValueError_):
        validate("grad.gradient_descent", {"f": "function_1", "init_x": [1.0, 2.0], "step_num": 6_000_000})
    validate("grad.gradient_descent", {"f": "function_1", "init_x": [1.0, 2.0], "step_num": 5_000_000})


def test_hooks():
    mln = {"input_size": 1, "hidden_size_list": [2], "output_size": 1, "params": {"W1": [[1, 1]], "b1": [0, 0],
                                                                                 "W2": [[1], [1]], "b2": [0]}}
    a = validate("multi_layer_net.loss", {**mln, "x": [[3.0]], "t": [0]})            # layer_params
    assert list(a.params) == ["W1", "b1", "W2", "b2"] and a.params["W2"].shape == (2, 1)
    with pytest.raises(ShapeError):                                                  # S0 is input_size
        validate("multi_layer_net.loss", {**mln, "x": [[3.0, 1.0]], "t": [0]})
    with pytest.raises(ValueError_):                                                 # layer_sizes
        validate("multi_layer_net.init", {"input_size": 5000, "hidden_size_list": [2001], "output_size": 1})
    with pytest.raises(BadArgs):                                                     # any_keys: null is not an array
        validate("optimizer.run", {"name": "sgd", "params": {"w": None}, "grads_seq": []})
    run = {"params": {"w": [1.0]}, "grads_seq": [], "hyper": {"momentum": 1.5}}
    with pytest.raises(ValueError_):                                                 # momentum_domain
        validate("optimizer.run", {**run, "name": "Nesterov"})
    assert validate("optimizer.run", {**run, "name": "adam"}).hyper == {"momentum": 1.5}  # not adam's


def test_dlscratch_ops_json_names_another_contract(tmp_path):
    schema = json.loads(json.dumps(SCHEMA))
    schema["ops"]["gate.and"]["args"][1]["default"] = 1
    (tmp_path / "ops.json").write_text(json.dumps(schema))
    code = "from dlscratch.validate import validate; print(validate('gate.and', {'x1': 1}).x2)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "DLSCRATCH_OPS_JSON": str(tmp_path / "ops.json")})
    assert proc.stdout.strip() == "1.0", proc.stderr


MODELS = Path(__file__).resolve().parents[2] / "shared_tests" / "data" / "models"


def test_a_parameters_file_is_checked_before_it_is_used():
    from dlscratch.protocol import ShapeError, ValueError_
    from dlscratch.validate import validate
    x = [[0.1] * 6]
    loaded = validate("model.evaluate", {"path": str(MODELS / "two_layer_net.json"), "x": x, "t": [0]})
    assert loaded.path["kind"] == "two_layer_net" and loaded.path["params"]["W1"].shape == (6, 4)
    for name, words in [("bad-shape.json", "W1"), ("bad-keys.json", "b2"), ("bad-count.json", "23"),
                        ("bad-kind.json", "multi_layer_net"), ("bad-format.json", "format"), ("not-json.json", "JSON")]:
        with pytest.raises(ValueError_, match=words):
            validate("model.evaluate", {"path": str(MODELS / name), "x": x, "t": [0]})
    with pytest.raises(ShapeError):
        validate("model.evaluate", {"path": str(MODELS / "simple_conv_net.json"), "x": [[0.0] * 36], "t": [0]})
