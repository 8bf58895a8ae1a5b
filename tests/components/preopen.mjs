// Loaded with `node --import` before jco's CLI: jco runs its wasm tools
// under its own WASI shim, which starts with no preopened directories, so
// a WIT folder given to `jco embed --wit DIR` is invisible to it
// (COMPONENT-TOOLCHAIN.md, pitfall 1). Give every copy of the shim `/`.
// $WEFT_JCO_NODE_MODULES is the toolchain's node_modules folder.
import { pathToFileURL } from 'node:url';

const nm = process.env.WEFT_JCO_NODE_MODULES;
const shims = [
  '@bytecodealliance/preview2-shim',
  '@bytecodealliance/jco/node_modules/@bytecodealliance/preview2-shim',
  '@bytecodealliance/jco-transpile/node_modules/@bytecodealliance/preview2-shim',
  '@bytecodealliance/preview3-shim/node_modules/@bytecodealliance/preview2-shim',
];
for (const shim of shims) {
  const file = `${nm}/${shim}/dist/nodejs/filesystem.js`;
  try {
    (await import(pathToFileURL(file).href))._setPreopens({ '/': '/' });
  } catch (e) {
    // That copy is not installed.
  }
}
