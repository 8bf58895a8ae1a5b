// A weft function in Rust: a WAGI program (CGI for WebAssembly). The request
// arrives as environment variables (and the body on stdin); the response is
// CGI headers, a blank line and the body on stdout. Build it with Debian's
// rustc and its wasm32-wasi standard library (no crates needed):
//   /usr/bin/rustc --target wasm32-wasi -O -C strip=symbols main.rs -o hello-rust.wasm
use std::env;
use std::io::{self, Read, Write};

// The value of `key` in a query string like "name=Ada&lang=en" (no
// percent-decoding: enough for a greeting).
fn query_param<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query.split('&').find_map(|pair| {
        let mut kv = pair.splitn(2, '=');
        match (kv.next(), kv.next()) {
            (Some(k), Some(v)) if k == key && !v.is_empty() => Some(v),
            _ => None,
        }
    })
}

fn main() {
    let method = env::var("REQUEST_METHOD").unwrap_or_default();
    let query = env::var("QUERY_STRING").unwrap_or_default();
    let greeting = env::var("GREETING").unwrap_or_else(|_| "hello".to_string());
    let name = query_param(&query, "name").unwrap_or("world").to_string();

    let mut body = String::new();
    if method == "POST" {
        let _ = io::stdin().read_to_string(&mut body);
    }

    let mut out = io::stdout().lock();
    let _ = write!(out, "Content-Type: text/plain\n\n{}, {}! (from Rust)\n", greeting, name);
    if !body.is_empty() {
        let _ = write!(out, "you sent {} bytes\n", body.len());
    }
}
