"use strict";
// The ops of the book's chapters 2 and 3 (shared_tests/README.md §4, shared_tests/ops.json):
// the perceptron gates, the activation functions, the three-layer network and IDX files.
// Every argument is read in the order ops.json lists it, with the shape ops.json gives it.

const fs = require("node:fs");
const zlib = require("node:zlib");
const { NdArray, fail } = require("./protocol");

// --- chapter 2: perceptrons (book 2.3.3, 2.5.2) -------------------------------------------

/** y = 0 if w1·x1 + w2·x2 + b <= 0 else 1 (NaN gives 1: NaN <= 0 is false). */
const perceptron = (w1, w2, b) => (x1, x2) => (w1 * x1 + w2 * x2 + b <= 0 ? 0 : 1);
const AND = perceptron(0.5, 0.5, -0.7);
const NAND = perceptron(-0.5, -0.5, 0.7);
const OR = perceptron(0.5, 0.5, -0.2);
const XOR = (x1, x2) => AND(NAND(x1, x2), OR(x1, x2));

const gate = (f) => (a) => ({ y: f(a.number("x1"), a.number("x2")) });

// --- chapter 3: activation functions (book 3.2, 3.5; the gradients of 5.5) ------------------

const identity = (x) => x;
const step = (x) => (x > 0 ? 1 : 0);
const sigmoid = (x) => 1 / (1 + Math.exp(-x));   // exp(1000) = Infinity gives 0, not NaN
const sigmoidGrad = (x) => {
  const s = sigmoid(x);
  return (1 - s) * s;
};
const relu = (x) => Math.max(0, x);              // Math.max propagates NaN, as np.maximum
const reluGrad = (x) => (x >= 0 ? 1 : 0);

const elementwise = (f) => (a) => ({ y: a.array("x", "*").map(f) });

/** exp(x - max) / Σ exp(x - max): a 1-D x as a whole, a 2-D x row by row. */
function softmax(x) {
  const width = x.shape[x.ndim - 1];
  const y = new Float64Array(x.size);
  for (let start = 0; start < x.size; start += width) {
    const row = x.data.subarray(start, start + width);
    const max = row.reduce((m, v) => Math.max(m, v), -Infinity);
    let sum = 0;
    row.forEach((v, j) => {
      y[start + j] = Math.exp(v - max);
      sum += y[start + j];
    });
    for (let j = start; j < start + width; j++) y[j] /= sum;
  }
  return new NdArray(x.shape, y);
}

// --- chapter 3: the three-layer network (book 3.4.3) ---------------------------------------

const NET3 = {
  W1: [[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]], b1: [0.1, 0.2, 0.3],
  W2: [[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]], b2: [0.1, 0.2],
  W3: [[0.1, 0.3], [0.2, 0.4]], b3: [0.1, 0.2],
};

/** x·W + b for x of D or N×D and W of D×M: M or N×M. */
function affine(x, W, b) {
  const [D, M] = W.shape;
  const N = x.size / D;
  const out = new Float64Array(N * M);
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += x.data[n * D + d] * W.data[d * M + m];
      out[n * M + m] = s + b.data[m];
    }
  }
  return new NdArray(x.ndim === 1 ? [M] : [N, M], out);
}

function net3Forward(a) {
  const net = a.params("network", { W1: "D H1", b1: "H1", W2: "H1 H2", b2: "H2", W3: "H2 C", b3: "C" });
  const x = a.array("x", "D | N D");
  const output = a.choice("output", ["identity", "softmax"], "identity");
  const a1 = affine(x, net.W1, net.b1);
  const z1 = a1.map(sigmoid);
  const a2 = affine(z1, net.W2, net.b2);
  const z2 = a2.map(sigmoid);
  const a3 = affine(z2, net.W3, net.b3);
  const y = output === "softmax" ? softmax(a3) : a3.map(identity);
  return { a1, z1, a2, z2, a3, y };
}

// --- chapter 3: IDX files, the MNIST format (book 3.6.1) -----------------------------------

// type byte: [bytes per value, read one big-endian value at an offset of a DataView]
const IDX_TYPES = new Map([
  [0x08, [1, (v, o) => v.getUint8(o)]],
  [0x09, [1, (v, o) => v.getInt8(o)]],
  [0x0b, [2, (v, o) => v.getInt16(o)]],
  [0x0c, [4, (v, o) => v.getInt32(o)]],
  [0x0d, [4, (v, o) => v.getFloat32(o)]],
  [0x0e, [8, (v, o) => v.getFloat64(o)]],
]);

/** shape, sum and the first 16 values of an IDX file, gzip-compressed (magic 1f 8b) or raw. */
function readIdx(path) {
  const bad = (why) => fail("ValueError", `${path}: ${why}`);
  let bytes;
  try {
    bytes = fs.readFileSync(path);
  } catch (e) {
    bad(`cannot read it (${e.code ?? e.message})`);
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (e) {
      bad(`bad gzip data (${e.message})`);
    }
  }
  if (bytes.length < 4) bad(`${bytes.length} bytes is too short for an IDX header`);
  if (bytes[0] !== 0 || bytes[1] !== 0) bad("not an IDX file: the first two bytes are not zero");
  if (!IDX_TYPES.has(bytes[2])) bad(`unknown IDX type byte 0x${bytes[2].toString(16).padStart(2, "0")}`);
  const [width, read] = IDX_TYPES.get(bytes[2]);
  const ndim = bytes[3];
  const header = 4 + 4 * ndim;
  if (bytes.length < header) bad(`the header declares ${ndim} dimensions but the file has ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i));
  const count = shape.reduce((p, d) => p * d, 1);
  if (bytes.length < header + count * width) {
    bad(`shape ${JSON.stringify(shape)} needs ${header + count * width} bytes but the file has ${bytes.length}`);
  }
  let sum = 0;
  const head = [];
  for (let i = 0; i < count; i++) {
    const v = read(view, header + i * width);
    sum += v;
    if (i < 16) head.push(v);
  }
  return { shape, sum, head };
}

// --- the op table: every other op is UnknownOp ---------------------------------------------

const OPS = new Map([
  ["gate.and", gate(AND)],
  ["gate.nand", gate(NAND)],
  ["gate.or", gate(OR)],
  ["gate.xor", gate(XOR)],
  ["fn.identity", elementwise(identity)],
  ["fn.step", elementwise(step)],
  ["fn.sigmoid", elementwise(sigmoid)],
  ["fn.sigmoid_grad", elementwise(sigmoidGrad)],
  ["fn.relu", elementwise(relu)],
  ["fn.relu_grad", elementwise(reluGrad)],
  ["fn.tanh", elementwise(Math.tanh)],   // the fn family's chapter-6 member, the activation of figure 6-13
  ["fn.softmax", (a) => ({ y: softmax(a.array("x", "C | N C")) })],
  ["net3.init", () => NET3],
  ["net3.forward", net3Forward],
  ["data.idx", (a) => readIdx(a.string("path"))],
]);

module.exports = { OPS };
