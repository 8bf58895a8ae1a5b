// node harness: node run.mjs KERNEL.wasm N
// Compiles and instantiates the module, then times only the run(n) call.
// stdout: the checksum as an unsigned 64-bit decimal.
// stderr: "run_seconds=<s>" (time of the run() call alone, for reference).
import { readFileSync } from "node:fs";

const [file, nArg] = process.argv.slice(2);
if (!file || nArg === undefined) {
  console.error("usage: node run.mjs KERNEL.wasm N");
  process.exit(2);
}
const module = new WebAssembly.Module(readFileSync(file));
const instance = new WebAssembly.Instance(module, {});
const n = Number.parseInt(nArg, 10);
const t0 = process.hrtime.bigint();
const result = instance.exports.run(n);
const t1 = process.hrtime.bigint();
console.log(BigInt.asUintN(64, BigInt(result)).toString());
console.error(`run_seconds=${Number(t1 - t0) / 1e9}`);
