// Runs a WASI command module under node's built-in WASI (preview1):
//   node --experimental-wasi-unstable-preview1 node_wasi.mjs FILE.wasm [ARGS...]
// Same contract as `weft run FILE.wasm`: argv[0] is the file, no environment,
// no preopened directories, the program's exit code becomes node's.
import { readFile } from "node:fs/promises";
import process from "node:process";
import { WASI } from "node:wasi";

const file = process.argv[2];
const wasi = new WASI({
  version: "preview1",
  args: [file, ...process.argv.slice(3)],
  env: {},
  returnOnExit: true,
});
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
