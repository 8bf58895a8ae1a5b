// Instantiation benchmark for node: node instantiate.mjs MODULE.wasm [ITERS]
// Compiles the module once, then times ITERS rounds of
// `new WebAssembly.Instance(module)` + a call of the empty export `f`.
// Prints "us_per_instance=<µs>" and exits non-zero if the last instance's
// memory does not hold the data segment (see gen_module.py).
import { readFileSync } from "node:fs";

const [file, itersArg = "2000"] = process.argv.slice(2);
if (!file) {
  console.error("usage: node instantiate.mjs MODULE.wasm [ITERS]");
  process.exit(2);
}
const iters = Number.parseInt(itersArg, 10);
const module = new WebAssembly.Module(readFileSync(file));

function once() {
  const instance = new WebAssembly.Instance(module, {});
  instance.exports.f();
  return instance;
}

for (let i = 0; i < Math.min(100, iters); i++) once(); // warm-up
let last;
const t0 = process.hrtime.bigint();
for (let i = 0; i < iters; i++) last = once();
const t1 = process.hrtime.bigint();

const words = new Uint32Array(last.exports.memory.buffer, 0, (1 << 20) / 4);
let x = 0x2545f491;
for (let i = 0; i < words.length; i++) {
  x ^= x << 13; x >>>= 0;
  x ^= x >>> 17;
  x ^= x << 5; x >>>= 0;
  if (words[i] !== x) {
    console.error(`data segment mismatch at word ${i}`);
    process.exit(1);
  }
}
console.log(`us_per_instance=${(Number(t1 - t0) / 1e3 / iters).toFixed(2)}`);
