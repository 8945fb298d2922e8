"use strict";
// The runner protocol of shared_tests/README.md, independent of any op: a request line in, an
// answer line out (§1), arrays and numbers (§2), the five error types (§3), and typed access to
// the arguments in the order shared_tests/ops.json checks them.

const MAX_NDIM = 32;        // ops.json limits.max_ndim
const MAX_NESTING = 1000;   // ops.json limits.max_nesting

/** An error answered as {"type": type, "message": message}; `id` when known before the args. */
class ProtocolError extends Error {
  constructor(type, message, id = null) {
    super(message);
    this.type = type;
    this.id = id;
  }
}

function fail(type, message, id = null) {
  throw new ProtocolError(type, message, id);
}

// --- values (README §2) --------------------------------------------------------------------

const NON_FINITE = new Map([["NaN", NaN], ["Infinity", Infinity], ["-Infinity", -Infinity]]);

function describe(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

function toNumber(v, where) {
  if (typeof v === "number") return v;
  if (typeof v === "string" && NON_FINITE.has(v)) return NON_FINITE.get(v);
  return fail("BadArgs", `${where} must be a number, not ${describe(v)}`);
}

const showShape = (shape) => (shape.length ? shape.join("x") : "a scalar");

/** A float64 array: its shape and its elements in row-major order (a number is 0-D). */
class NdArray {
  constructor(shape, data) {
    this.shape = shape;
    this.data = data;
  }

  get ndim() {
    return this.shape.length;
  }

  get size() {
    return this.data.length;
  }

  map(f) {
    return new NdArray(this.shape, this.data.map(f));
  }

  /** Nested lists for JSON.stringify (a 0-D array is a number). */
  toJSON() {
    let i = 0;
    const nest = (dim) =>
      dim === this.shape.length
        ? this.data[i++]
        : Array.from({ length: this.shape[dim] }, () => nest(dim + 1));
    return nest(0);
  }

  /** A nested JSON list (or a number) as an array: BadArgs when ragged or not numbers. */
  static fromJSON(value, name) {
    const element = `every element of ${name}`;
    const shapeOf = (v, where) => {
      if (!Array.isArray(v)) {
        toNumber(v, where);
        return [];
      }
      if (v.length === 0) return [0];
      const first = shapeOf(v[0], element);
      for (const item of v.slice(1)) {
        if (showShape(shapeOf(item, element)) !== showShape(first)) {
          fail("BadArgs", `${name} is ragged: its rows differ in length or depth`);
        }
      }
      return [v.length, ...first];
    };
    const shape = shapeOf(value, name);
    if (shape.length > MAX_NDIM) {
      fail("ShapeError", `${name} has ${shape.length} dimensions; at most ${MAX_NDIM} are supported`);
    }
    if (shape.includes(0)) fail("ShapeError", `${name} is empty (${showShape(shape)})`);
    const data = new Float64Array(shape.reduce((p, d) => p * d, 1));
    let i = 0;
    const fill = (v) => (Array.isArray(v) ? v.forEach(fill) : (data[i++] = toNumber(v, name)));
    fill(value);
    return new NdArray(shape, data);
  }
}

/**
 * Checks an array against a shape of ops.json ("*", "D | N D", "H1 H2", ...): the alternative
 * with the array's number of dimensions, each symbol bound in `dims` the first time it is met
 * and compared afterwards (ShapeError).
 */
function matchShape(arr, spec, dims, name) {
  if (spec === "*") return;
  const alternatives = spec.split("|").map((alt) => alt.trim().split(/\s+/));
  const symbols = alternatives.find((alt) => alt.length === arr.ndim);
  if (!symbols) {
    const want = alternatives.map((alt) => `${alt.length}-D`).join(" or ");
    fail("ShapeError", `${name} must be ${want}, but it is ${arr.ndim}-D (${showShape(arr.shape)})`);
  }
  symbols.forEach((sym, i) => {
    const d = arr.shape[i];
    if (dims.has(sym) && dims.get(sym) !== d) {
      fail("ShapeError", `${name} has ${d} where ${dims.get(sym)} (${sym}) is needed (it is ${showShape(arr.shape)})`);
    }
    dims.set(sym, d);
  });
}

// --- arguments (README §3, ops.json check_order) -----------------------------------------

/** The arguments of one request; each reader raises the protocol's error for a bad value. */
class Args {
  constructor(raw) {
    this.raw = raw;
    this.dims = new Map();   // the shape symbols bound so far (D, N, C, ...)
  }

  /** The raw JSON value, undefined when absent or null (null counts as absent). */
  get(name) {
    return Object.hasOwn(this.raw, name) && this.raw[name] !== null ? this.raw[name] : undefined;
  }

  required(name) {
    const v = this.get(name);
    return v === undefined ? fail("BadArgs", `missing argument "${name}"`) : v;
  }

  number(name) {
    return toNumber(this.required(name), name);
  }

  string(name) {
    const v = this.required(name);
    return typeof v === "string" ? v : fail("BadArgs", `${name} must be a string, not ${describe(v)}`);
  }

  /** One of `choices`, as written. */
  choice(name, choices, fallback) {
    const v = this.get(name) ?? fallback;
    if (v === undefined) fail("BadArgs", `missing argument "${name}"`);
    if (typeof v !== "string" || !choices.includes(v)) {
      fail("BadArgs", `${name} must be one of ${choices.join(", ")}, not ${describe(v)}`);
    }
    return v;
  }

  /** An array of the ops.json shape `spec`. */
  array(name, spec = "*") {
    return this.arrayOf(this.required(name), name, spec);
  }

  arrayOf(value, name, spec) {
    const arr = NdArray.fromJSON(value, name);
    matchShape(arr, spec, this.dims, name);
    return arr;
  }

  /** An object of named arrays, `keys` mapping each key to its shape; a missing key is ShapeError. */
  params(name, keys) {
    const obj = this.required(name);
    if (typeof obj !== "object" || Array.isArray(obj)) {
      fail("BadArgs", `${name} must be an object of arrays, not ${describe(obj)}`);
    }
    const out = {};
    for (const [key, spec] of Object.entries(keys)) {
      if (!Object.hasOwn(obj, key) || obj[key] === null) fail("ShapeError", `${name} has no ${key}`);
      out[key] = this.arrayOf(obj[key], `${name}.${key}`, spec);
    }
    return out;
  }
}

// --- one request line, one answer line (README §1) --------------------------------------

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const BLANK = /^[ \t\v\f\r]*$/;   // ASCII white space only: U+00A0 or U+3000 make a request

/** Levels of arrays and objects (the request object is level 1), without recursion. */
function nestingDepth(value) {
  if (value === null || typeof value !== "object") return 0;
  let depth = 0;
  const stack = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop();
    depth = Math.max(depth, d);
    for (const e of Array.isArray(v) ? v : Object.values(v)) {
      if (e !== null && typeof e === "object") stack.push([e, d + 1]);
    }
  }
  return depth;
}

/** Whether no string (key or value) holds a lone surrogate, which JSON.parse lets through. */
function wellFormed(v) {
  if (typeof v === "string") return v.isWellFormed();
  if (v === null || typeof v !== "object") return true;
  return Object.entries(v).every(([k, e]) => k.isWellFormed() && wellFormed(e));
}

/** The request of a line: {id, op, args}; a ProtocolError when it is not one. */
function decodeRequest(text) {
  let obj;
  try {
    obj = JSON.parse(text);   // RFC 8259: no NaN, no 1., no 01, no raw control characters
  } catch (e) {
    fail("BadRequest", `the line is not valid JSON: ${e.message}`);
  }
  if (/\\u[dD]/.test(text) && !wellFormed(obj)) {
    fail("BadRequest", "the line holds an unpaired surrogate escape (\\ud800-\\udfff): not Unicode text");
  }
  if (nestingDepth(obj) > MAX_NESTING) {   // id null, as the harness expects for such a line
    fail("BadRequest", `the line nests arrays and objects more than ${MAX_NESTING} levels deep`);
  }
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    fail("BadRequest", `a request must be a JSON object, not ${describe(obj)}`);
  }
  const { id, op } = obj;
  if (typeof id !== "string") fail("BadRequest", 'a request needs a string "id"');
  if (typeof op !== "string") fail("BadRequest", 'a request needs a string "op"', id);
  const args = Object.hasOwn(obj, "args") ? obj.args : {};   // absent is {}, null is BadArgs
  if (args === null || typeof args !== "object" || Array.isArray(args)) {
    fail("BadArgs", `"args" must be an object, not ${describe(args)}`, id);
  }
  return { id, op, args };
}

/** JSON with non-finite numbers as the strings "NaN", "Infinity", "-Infinity". */
const encode = (answer) =>
  JSON.stringify(answer, (_, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v));

/**
 * The answer line to one request line (bytes without the newline), null for a blank line.
 * `ops` maps an op name to a function of Args returning the ok-object.
 */
function answerLine(bytes, ops) {
  let text;
  try {
    text = utf8.decode(bytes);
  } catch {
    return encode({ id: null, error: { type: "BadRequest", message: "the line is not UTF-8" } });
  }
  if (BLANK.test(text)) return null;
  let id = null;
  try {
    const req = decodeRequest(text);
    id = req.id;
    const op = ops.get(req.op);   // checked before any argument
    if (!op) fail("UnknownOp", `unknown op ${JSON.stringify(req.op)}`);
    return encode({ id, ok: op(new Args(req.args)) });
  } catch (e) {
    if (e instanceof ProtocolError) {
      return encode({ id: e.id ?? id, error: { type: e.type, message: e.message } });
    }
    // a bug of this runner: still an answer, never a dead runner
    process.stderr.write(`${e.stack}\n`);
    return encode({ id, error: { type: "InternalError", message: String(e) } });
  }
}

module.exports = { Args, NdArray, ProtocolError, answerLine, fail };
