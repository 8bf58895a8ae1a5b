// A weft function in TypeScript, compiled to WebAssembly by AssemblyScript
// with its WASI shim: a WAGI program (CGI for WebAssembly). The request
// arrives as environment variables (and the body on stdin); the response is
// CGI headers, a blank line and the body on stdout.
//   npm ci && npx asc index.ts --config ./node_modules/@assemblyscript/wasi-shim/asconfig.json -O3 --outFile hello-ts.wasm

// The value of `key` in a query string like "name=Ada&lang=en".
function queryParam(query: string, key: string): string {
  const pairs = query.split("&");
  for (let i = 0; i < pairs.length; i++) {
    const eq = pairs[i].indexOf("=");
    if (eq > 0 && pairs[i].substring(0, eq) == key && eq + 1 < pairs[i].length)
      return pairs[i].substring(eq + 1);
  }
  return "";
}

function envOr(name: string, fallback: string): string {
  return process.env.has(name) ? process.env.get(name) : fallback;
}

const method = envOr("REQUEST_METHOD", "GET");
const greeting = envOr("GREETING", "hello");
let name = queryParam(envOr("QUERY_STRING", ""), "name");
if (name.length == 0) name = "world";

let out = "Content-Type: text/plain\n\n" + greeting + ", " + name + "! (from TypeScript)\n";
if (method == "POST") {
  // The body on stdin, read to its end.
  const chunk = new ArrayBuffer(4096);
  let total = 0;
  for (;;) {
    const n = process.stdin.read(chunk);
    if (n <= 0) break;
    total += n;
  }
  out += "you sent " + total.toString() + " bytes\n";
}
process.stdout.write(out);
