"""Self-checks of the case files: well formed, unique ids, every op covered, every error
type refused at least once, the rng expectations equal to an independent MRG32k3a, the
generated files up to date."""
from __future__ import annotations

import collections
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ALL_PORTS, CASES, CASES_ERROR, REFERENCE_PORT
from harness import CASES_DIR, ERROR_TYPES, OPS, SHARED_TESTS
from harness.cases import case_files, load_file
from harness.mrg32k3a import MRG32k3a
from harness.schema import README, arg_names, generated_blocks, load_schema, ok_keys, render_readme

# The SIMD targets numpy dispatches to on x86-64 above its baseline: numpy 2.4 names them
# X86_V3 and X86_V4 (plus AVX512_ICL, AVX512_SPR), older builds by extension; names a build does
# not know are ignored.
NUMPY_SIMD_FEATURES = ("X86_V4", "X86_V3", "AVX512_SPR", "AVX512_ICL", "AVX512_CNL", "AVX512_CLX",
                       "AVX512_SKX", "AVX512CD", "AVX512F", "AVX2", "FMA3", "F16C", "AVX")

FAMILY_FILES = ("gates", "functions", "losses", "gradient", "simple_net", "graph", "layers",
                "dropout", "batch_norm", "net3", "two_layer_net", "multi_layer_net", "optimizers",
                "rng", "train", "data", "errors")


def test_case_files_are_well_formed() -> None:
    assert CASES_ERROR is None, CASES_ERROR
    for f in case_files():
        for lineno, text in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            assert text.strip(), f"{f.name}:{lineno}: blank line"
            assert isinstance(json.loads(text), dict), f"{f.name}:{lineno}"
        load_file(f)   # raises CaseFormatError with the place


def test_ids_are_unique() -> None:
    counts = collections.Counter(c.id for f in case_files() for c in load_file(f))
    dups = [i for i, n in counts.items() if n > 1]
    assert not dups, f"duplicate ids: {dups}"


def test_enough_cases() -> None:
    assert len(CASES) >= 250, f"only {len(CASES)} cases"


def test_one_file_per_family() -> None:
    names = {f.name for f in case_files()}
    missing = [fam for fam in FAMILY_FILES
               if f"{fam}.jsonl" not in names and f"{fam}_hand.jsonl" not in names]
    assert not missing, f"no case file for {missing}"


def test_every_op_has_ok_cases() -> None:
    covered = {c.op for c in CASES if c.expected_error is None}
    assert not [op for op in OPS if op not in covered], \
        f"ops without an ok-case: {[op for op in OPS if op not in covered]}"


def test_every_op_in_cases_is_known_or_refused() -> None:
    strange = {c.op for c in CASES if c.op is not None and c.op not in OPS
               and c.expected_error != "UnknownOp"}
    assert not strange, f"ops outside the table: {strange}"


def test_every_error_type_is_refused() -> None:
    by_type = collections.Counter(c.expected_error for c in CASES if c.expected_error)
    assert all(by_type[t] >= 1 for t in ERROR_TYPES), dict(by_type)
    raws = [c for c in CASES if c.raw is not None]
    kinds = set()
    for c in raws:
        try:
            obj = json.loads(c.raw)
        except (ValueError, RecursionError):   # too deep to parse is malformed too
            kinds.add("malformed")
            continue
        if not isinstance(obj, dict):
            kinds.add("non-object")
        elif not isinstance(obj.get("id"), str):
            kinds.add("missing id")
        elif not isinstance(obj.get("op"), str):
            kinds.add("missing op")
    assert kinds >= {"malformed", "non-object", "missing id", "missing op"}, kinds


def test_sources_and_book_values_present() -> None:
    sources = collections.Counter(c.source for c in CASES)
    assert sources["book"] >= 20 and sources["derived"] >= 50 and sources["reference"] >= 100, sources
    ids = {c.id for c in CASES}
    for must in ("graph/buy_apple/book", "graph/buy_apple_orange/book", "net3/forward/book",
                 "fn/softmax/book", "loss/cee/book/1", "loss/cee/book/2", "loss/sse/book/1",
                 "loss/sse/book/2", "grad/numerical_diff/book/5", "grad/numerical_diff/book/10",
                 "grad/gradient_descent/book/lr0.1", "gate/xor/book/11"):
        assert must in ids, must


def test_reference_cases_only_in_generated_files() -> None:
    for c in CASES:
        hand = c.file.endswith("_hand.jsonl")
        assert hand == (c.source != "reference"), f"{c.id} ({c.source}) in {c.file}"


def test_rng_cases_match_an_independent_generator() -> None:
    checked = 0
    for c in CASES:
        if c.op in ("rng.uniform", "rng.permutation", "rng.choice") and c.expected_error is None:
            # integer arguments may be written as whole-number floats (README section 3)
            a = {k: int(v) for k, v in c.args.items()}
            g = MRG32k3a(a["seed"])
            want = (g.uniform(a["n"]) if c.op == "rng.uniform" else
                    g.permutation(a["n"]) if c.op == "rng.permutation" else
                    g.choice(a["n"], a["size"]))
            got = next(iter(c.expect.values()))
            assert got == want, f"{c.id}: expectation differs from exact MRG32k3a"
            checked += 1
        elif c.op == "rng.normal" and c.expected_error is None:
            want = MRG32k3a(c.args["seed"]).normal(c.args["n"])
            got = c.expect["x"]
            assert len(got) == len(want) and all(abs(a - b) <= 1e-15 * abs(b) + 1e-16
                                                 for a, b in zip(got, want)), c.id
            checked += 1
    assert checked >= 10


def test_idx_files_up_to_date(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(SHARED_TESTS / "data" / "make_idx.py"), str(tmp_path)],
                   check=True)
    for f in tmp_path.iterdir():
        assert f.read_bytes() == (SHARED_TESTS / "data" / f.name).read_bytes(), f.name


def cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    return {f for line in text.splitlines() if line.startswith("flags") for f in line.split(":", 1)[1].split()}


def blas_kernels() -> list[str | None]:
    """The machine's own OpenBLAS kernel, then forced ones every x86-64 CPU of today can run
    (Haswell only where the CPU has AVX2: a kernel the CPU lacks dies of an illegal instruction)."""
    import platform

    if platform.machine() not in ("x86_64", "AMD64"):
        return [None]
    return [None, "Prescott", "Sandybridge"] + (["Haswell"] if "avx2" in cpu_flags() else [])


#: The regenerations: each OpenBLAS kernel, then the native kernel with numpy's SIMD loops off.
VARIANTS: list[tuple[str, dict[str, str | None]]] = [
    (k or "native", {"OPENBLAS_CORETYPE": k}) for k in blas_kernels()] + [
    ("without_numpy_simd", {"NPY_DISABLE_CPU_FEATURES": " ".join(NUMPY_SIMD_FEATURES)})]


@pytest.fixture(scope="module")
def regenerations() -> dict[str, subprocess.CompletedProcess]:
    """`generate_cases.py --check` under every variant, two at a time (each is one busy process)."""
    from concurrent.futures import ThreadPoolExecutor

    if REFERENCE_PORT not in ALL_PORTS:
        pytest.skip(f"no {REFERENCE_PORT!r} port in the ports description")
    reason = ALL_PORTS[REFERENCE_PORT].absent_reason()
    if reason:
        pytest.skip(f"the Python reference is needed to regenerate ({reason})")

    def regenerate(variant: dict[str, str | None]) -> subprocess.CompletedProcess:
        env = dict(os.environ)
        env.pop("OPENBLAS_L2_SIZE", None)
        env.pop("OPENBLAS_CORETYPE", None)
        env.update({k: v for k, v in variant.items() if v is not None})
        return subprocess.run([sys.executable, str(SHARED_TESTS / "generate_cases.py"), "--check", "--verbose"],
                              capture_output=True, text=True, timeout=300, env=env)

    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = pool.map(regenerate, [v for _, v in VARIANTS])
        return dict(zip([name for name, _ in VARIANTS], runs))


@pytest.mark.parametrize("variant", [name for name, _ in VARIANTS])
def test_generated_cases_up_to_date(variant: str, regenerations: dict[str, subprocess.CompletedProcess]) -> None:
    """The committed reference cases agree with a regeneration on this CPU and under other
    OpenBLAS kernels, and with numpy's SIMD loops (exp, log, sums), which dispatch on the CPU
    too, disabled: bit for bit, or within each case's tolerance for the ops whose results go
    through BLAS or libm (the ops whose `machine_rounded` is true in ops.json)."""
    run = regenerations[variant]
    assert run.returncode == 0, run.stdout + run.stderr
    assert CASES_DIR.is_dir()


def test_a_moved_exact_value_is_noticed(tmp_path: Path) -> None:
    """The check is not blind: one ulp in an op that is not machine_rounded (ops.json) is a difference,
    and a BLAS result moved beyond its tolerance is one too."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate_cases", SHARED_TESTS / "generate_cases.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    exact = {"id": "x", "op": "fn.relu", "args": {"x": [0.5]}, "expect": {"y": [0.5]}, "source": "reference"}
    assert gen.agreement(exact, exact) == (True, 0.0)
    assert not gen.agreement(exact, {**exact, "expect": {"y": [math.nextafter(0.5, 1)]}})[0]
    blas = {"id": "y", "op": "layer.affine", "args": {}, "expect": {"out": [0.1]}, "source": "reference"}
    assert gen.agreement(blas, {**blas, "expect": {"out": [math.nextafter(0.1, 1)]}})[0]
    assert not gen.agreement(blas, {**blas, "expect": {"out": [0.1 * (1 + 1e-8)]}})[0]
    assert not gen.agreement(blas, {**blas, "args": {"x": 1}})[0]


def test_readme_tables_are_generated_from_ops_json() -> None:
    text = README.read_text(encoding="utf-8")
    assert generated_blocks(text) == ["op table", "defaults table", "concept table"]
    assert render_readme(text) == text, "README tables differ from ops.json: python -m harness.tables --write-readme"


KINDS_WITH_SHAPE = {"array", "array_or_number"}


def test_ops_json_is_consistent() -> None:
    """Every op's family is its prefix, every kind and hook it names is described, every
    `=name` shape names an argument or output, every concept is one of scripts/compare's."""
    schema = load_schema()
    kinds, hooks = set(schema["kinds"]), set(schema["hooks"])
    problems = []
    for name, spec in schema["ops"].items():
        if spec["family"] != name.rsplit(".", 1)[0]:
            problems.append(f"{name}: family {spec['family']}")
        names = [a["name"] for a in spec["args"]]
        if len(set(names)) != len(names):
            problems.append(f"{name}: an argument twice")
        for a in spec["args"]:
            if a["kind"] not in kinds:
                problems.append(f"{name}.{a['name']}: kind {a['kind']} is not described")
            shape = a.get("shape", "")
            if shape.startswith("=") and shape[1:] not in names + list(spec["ok"]):
                problems.append(f"{name}.{a['name']}: {shape} names nothing")
            if a.get("keys_hook") and a["keys_hook"] not in hooks:
                problems.append(f"{name}.{a['name']}: hook {a['keys_hook']} is not described")
        for h in spec.get("hooks", []) + [lim["hook"] for lim in spec.get("limits", []) if "hook" in lim]:
            if h not in hooks:
                problems.append(f"{name}: hook {h} is not described")
    assert not problems, "\n".join(problems)


def test_cases_use_the_args_and_keys_of_ops_json() -> None:
    import re
    problems = []
    for c in CASES:
        if c.op not in OPS or c.expected_error is not None:
            continue
        ok, _ = ok_keys(c.op)
        patterns = [re.escape(k).replace(r"\{i\}", "[1-9][0-9]*") for k in load_schema()["ops"][c.op]["ok"] if "{" in k]
        extra_args = set(c.args or {}) - set(arg_names(c.op)) - set(load_schema()["ops"][c.op].get("ignored_args", []))
        extra_keys = {k for k in c.expect if k not in ok and not any(re.fullmatch(p, k) for p in patterns)}
        if extra_args or extra_keys:
            problems.append(f"{c.id}: args {sorted(extra_args)} / keys {sorted(extra_keys)} not in ops.json")
    assert not problems, "\n".join(problems)


# The book modules of every port (the mathematics): they trust their inputs and raise no error of
# the protocol, which the runner and the validator (validate.*) alone produce.
BOOK_MODULES = ("functions", "layers", "networks", "optimizers", "gradient", "graph")
BOOK_FILES = {
    "python": ("python/dlscratch/{}.py", r"\bprotocol\b|ValueError_"),
    "ruby": ("ruby/lib/dlscratch/{}.rb", r"require_relative ['\"](?:\./)?errors['\"]|DLScratch::Error\b"),
    "lua": ("lua/dlscratch/{}.lua", r"require\s*\(?\s*['\"]dlscratch\.errors['\"]"),
    "haskell": ("haskell/src/DLScratch/{}.hs", r"^import\s+(?:qualified\s+)?DLScratch\.Error\b"),
}
PROTOCOL_ERRORS = r"\b(?:BadRequest|UnknownOp|BadArgs|ShapeError|ProtocolError)\b"


@pytest.mark.parametrize("lang", sorted(BOOK_FILES))
def test_book_modules_raise_no_protocol_error(lang: str) -> None:
    import re

    pattern, imports = BOOK_FILES[lang]
    problems = []
    for module in BOOK_MODULES:
        name = module.capitalize() if lang == "haskell" else module
        path = SHARED_TESTS.parent / pattern.format(name)
        if not path.exists():
            continue
        for k, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = re.split(r"\s(?:#|--)\s|^\s*(?:#|--)", line)[0]
            if re.search(PROTOCOL_ERRORS, code) or re.search(imports, code):
                problems.append(f"{path.relative_to(SHARED_TESTS.parent)}:{k}: {line.strip()}")
    assert not problems, "book modules that refer to the protocol's errors:\n" + "\n".join(problems)
