#!/usr/bin/env python3
"""Write the small parameters files (README section 8's portable format) used by the model.evaluate
cases (run from anywhere; deterministic: numpy's frozen RandomState, numbers written to round-trip).
Usage: make_models.py [OUTDIR]   (default: ./models beside this file)

    two_layer_net.json     6-4-3, W1 b1 W2 b2
    simple_conv_net.json   1 x 6 x 6 images, 2 filters of 3 x 3, hidden 4, 3 classes
    deep_conv_net.json     1 x 8 x 8 images, hidden 5, 3 classes (W7 is 64 x 5: the last pooling is 1 x 1)
    bad-format.json        "format": "dlscratch-weights"
    bad-shape.json         the two_layer_net file with W1 of 4 x 6
    bad-keys.json          the two_layer_net file without b2
    bad-count.json         W1's data one number short of its shape
    bad-kind.json          a network of kind multi_layer_net (not one bin/train saves)
    not-json.json          a truncated file
"""
import argparse
import copy
import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def entry(a: np.ndarray) -> dict:
    return {"shape": list(a.shape), "data": [float(v) for v in a.reshape(-1)]}


def model(network: dict, shapes: dict[str, tuple[int, ...]], seed: int) -> dict:
    r = np.random.RandomState(seed)
    params = {k: entry(r.randn(*shape) * (0.5 if k.startswith("W") else 0.1)) for k, shape in shapes.items()}
    return {"format": "dlscratch-params", "version": 1, "port": "python", "network": network, "params": params}


def deep_shapes(c: int, hidden: int, classes: int, pooled: int) -> dict[str, tuple[int, ...]]:
    shapes, channels = {}, c
    for i, filters in enumerate((16, 16, 32, 32, 64, 64), start=1):
        shapes[f"W{i}"], shapes[f"b{i}"] = (filters, channels, 3, 3), (filters,)
        channels = filters
    shapes.update(W7=(64 * pooled, hidden), b7=(hidden,), W8=(hidden, classes), b8=(classes,))
    return shapes


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("outdir", nargs="?", type=Path, default=HERE / "models")
    out = p.parse_args().outdir
    out.mkdir(parents=True, exist_ok=True)
    two = model({"kind": "two_layer_net", "input_size": 6, "hidden_size": 4, "output_size": 3},
                {"W1": (6, 4), "b1": (4,), "W2": (4, 3), "b2": (3,)}, 1)
    files = {
        "two_layer_net.json": two,
        "simple_conv_net.json": model({"kind": "simple_conv_net", "input_dim": [1, 6, 6],
                                       "conv_param": {"filter_num": 2, "filter_size": 3, "pad": 0, "stride": 1},
                                       "hidden_size": 4, "output_size": 3},
                                      {"W1": (2, 1, 3, 3), "b1": (2,), "W2": (2 * 2 * 2, 4), "b2": (4,), "W3": (4, 3), "b3": (3,)}, 2),
        "deep_conv_net.json": model({"kind": "deep_conv_net", "input_dim": [1, 8, 8], "hidden_size": 5, "output_size": 3},
                                    deep_shapes(1, 5, 3, 1), 3),
    }
    bad = {name: copy.deepcopy(two) for name in ("bad-format.json", "bad-shape.json", "bad-keys.json", "bad-count.json", "bad-kind.json")}
    bad["bad-format.json"]["format"] = "dlscratch-weights"
    bad["bad-shape.json"]["params"]["W1"]["shape"] = [4, 6]
    del bad["bad-keys.json"]["params"]["b2"]
    bad["bad-count.json"]["params"]["W1"]["data"].pop()
    bad["bad-kind.json"]["network"] = {"kind": "multi_layer_net", "input_size": 6, "hidden_size_list": [4], "output_size": 3}
    files.update(bad)
    for name, record in files.items():
        (out / name).write_text(json.dumps(record) + "\n")
    text = json.dumps(two)
    (out / "not-json.json").write_text(text[: len(text) // 2] + "\n")


if __name__ == "__main__":
    main()
