// Test helpers for the component binary tests: real components made by the
// pinned jco at run time (component WAT text -> binary with `jco parse`, a C
// command -> component with clang-19 and `jco new`), and hand-made bytes.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace weft::component::testing {

inline std::vector<uint8_t> ReadBytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in),
                              std::istreambuf_iterator<char>());
}

// A scratch directory for one process, removed at exit.
inline const std::filesystem::path& ScratchDir() {
  static const std::filesystem::path dir = [] {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "weft-component-XXXXXX")
            .string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    const char* made = mkdtemp(buf.data());
    std::filesystem::path p = made ? made : tmpl;
    static struct Cleanup {
      std::filesystem::path p;
      ~Cleanup() {
        std::error_code ec;
        std::filesystem::remove_all(p, ec);
      }
    } cleanup{p};
    return p;
  }();
  return dir;
}

// `jco parse` of component WAT text; empty (and a test failure) on error.
inline std::vector<uint8_t> WatToComponent(const std::string& wat) {
  static int counter = 0;
  std::filesystem::path dir = ScratchDir();
  std::string stem = "w" + std::to_string(counter++);
  std::filesystem::path in = dir / (stem + ".wat");
  std::filesystem::path out = dir / (stem + ".wasm");
  std::filesystem::path err = dir / (stem + ".err");
  {
    std::ofstream f(in);
    f << wat;
  }
  std::string cmd = std::string("'") + WEFT_JCO + "' parse '" + in.string() +
                    "' -o '" + out.string() + "' >'" + err.string() + "' 2>&1";
  int rc = std::system(cmd.c_str());
  if (rc != 0) {
    std::ifstream e(err);
    std::string msg((std::istreambuf_iterator<char>(e)),
                    std::istreambuf_iterator<char>());
    ADD_FAILURE() << "jco parse failed: " << msg << "\n" << wat;
    return {};
  }
  return ReadBytes(out);
}

// Many WAT texts at once, in one node process calling the same wasm-tools
// `parse` that `jco parse` runs (jco-transpile's), so a table of cases
// costs one tool start-up instead of one per case. An empty entry (and a
// test failure) for a text that does not parse.
inline std::vector<std::vector<uint8_t>>
WatsToComponents(const std::vector<std::string>& wats) {
  static int batch = 0;
  std::filesystem::path dir =
      ScratchDir() / ("batch" + std::to_string(batch++));
  std::filesystem::create_directories(dir);
  for (size_t i = 0; i < wats.size(); ++i)
    std::ofstream(dir / (std::to_string(i) + ".wat")) << wats[i];
  std::string nm = WEFT_JCO;
  nm = nm.substr(0, nm.size() - std::string("/.bin/jco").size());
  {
    std::ofstream js(dir / "parse.mjs");
    js << "import { parse } from '" << nm
       << "/@bytecodealliance/jco-transpile/dist/wasm-tools.js';\n"
          "import { readFileSync, writeFileSync } from 'node:fs';\n"
          "const dir = process.argv[2];\n"
          "for (let i = 0; i < Number(process.argv[3]); ++i) {\n"
          "  try {\n"
          "    const wasm = await parse(readFileSync(`${dir}/${i}.wat`, "
          "'utf8'));\n"
          "    writeFileSync(`${dir}/${i}.wasm`, wasm);\n"
          "  } catch (e) { writeFileSync(`${dir}/${i}.err`, String(e)); }\n"
          "}\n";
  }
  std::string cmd = "node '" + (dir / "parse.mjs").string() + "' '" +
                    dir.string() + "' " + std::to_string(wats.size()) +
                    " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) ADD_FAILURE() << "failed: " << cmd;
  std::vector<std::vector<uint8_t>> out;
  for (size_t i = 0; i < wats.size(); ++i) {
    std::filesystem::path wasm = dir / (std::to_string(i) + ".wasm");
    if (!std::filesystem::exists(wasm)) {
      std::ifstream e(dir / (std::to_string(i) + ".err"));
      std::string msg((std::istreambuf_iterator<char>(e)),
                      std::istreambuf_iterator<char>());
      ADD_FAILURE() << "wasm-tools parse failed: " << msg << "\n" << wats[i];
      out.emplace_back();
      continue;
    }
    out.push_back(ReadBytes(wasm));
  }
  return out;
}

// A real WASI 0.2 command component: hello.c with clang-19 (wasm32-wasi,
// preview1), adapted by `jco new --wasi-command`. Built once per process.
inline const std::vector<uint8_t>& HelloComponent() {
  static const std::vector<uint8_t> bytes = [] {
    std::filesystem::path dir = ScratchDir();
    {
      std::ofstream c(dir / "hello.c");
      c << "#include <stdio.h>\n"
           "int main(int argc, char** argv) {\n"
           "  printf(\"hello %s\\n\", argc > 1 ? argv[1] : \"world\");\n"
           "  return 0;\n"
           "}\n";
    }
    std::string d = "'" + dir.string() + "/";
    std::string cmd = "clang-19 --target=wasm32-wasi --sysroot=/usr -O2 " + d +
                      "hello.c' -o " + d + "hello.wasm' && '" + WEFT_JCO +
                      "' new " + d + "hello.wasm' --wasi-command -o " + d +
                      "hello.component.wasm' >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      ADD_FAILURE() << "building hello.component.wasm failed: " << cmd;
      return std::vector<uint8_t>{};
    }
    return ReadBytes(dir / "hello.component.wasm");
  }();
  return bytes;
}

// A component with every section weft decodes: core types (func and
// module), every defvaltype, func/instance/component types, imports (plain
// and interface names), aliases (export, core export, outer), a resource
// type, a core module, core instances (instantiate and inline exports),
// canon lift/lower/resource.new/drop/rep with options, a nested component,
// its instantiation, an inline instance and exports (one ascribed).
inline const char* kEverySectionWat = R"WAT((component
  (core type $ft (func (param i32) (result i64)))
  (core type $mt (module (type (func)) (import "a" "b" (func (type 0))) (export "m" (memory 1))))
  (type $r (record (field "a" u32) (field "b-c" string)))
  (type $v (variant (case "x" u8) (case "y")))
  (type $l (list $r))
  (type $t (tuple u8 s64))
  (type $fl (flags "a" "b"))
  (type $e (enum "p" "q"))
  (type $o (option f64))
  (type $res (result u32 (error string)))
  (type $res2 (result))
  (type $f (func (param "p" $l) (result $res)))
  (type $it (instance
    (export "rr" (type (sub resource)))
    (alias outer 1 $r (type))
    (type (own 0))
    (export "f" (func (param "x" 2)))
  ))
  (type $ct (component
    (import "wasi:io/streams@0.2.12" (instance (type $it)))
    (export "g" (func (type $f)))
  ))
  (import "imp" (func $if (type $f)))
  (import (interface "wasi:io/streams@0.2.12") (instance $ii (type $it)))
  (alias export $ii "f" (func $af))
  (alias export $ii "rr" (type $rr))
  (type $res-t (resource (rep i32)))
  (core module $m
    (import "env" "dtor" (func (param i32)))
    (func (export "f") (param i32 i32))
    (memory (export "mem") 1)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 0))
  (core func $dtor-lowered (canon resource.drop $res-t))
  (core instance $i (instantiate $m (with "env" (instance (export "dtor" (func $dtor-lowered))))))
  (alias core export $i "f" (core func $cf))
  (core func $new (canon resource.new $res-t))
  (core func $rep (canon resource.rep $res-t))
  (core func $low (canon lower (func $af) (memory (core memory $i "mem")) string-encoding=utf16))
  (func $g (param "x" string) (canon lift (core func $cf) (memory (core memory $i "mem")) (realloc (core func $i "realloc"))))
  (component $inner
    (type $r (record (field "a" u32) (field "b-c" string)))
    (type $l (list $r))
    (type $res (result u32 (error string)))
    (import "x" (func (param "p" $l) (result $res)))
  )
  (instance $ci (instantiate $inner (with "x" (func $if))))
  (instance $ie (export "g2" (func $g)))
  (export "g" (func $g))
  (export "h" (func $g) (func (param "x" string)))
)
)WAT";

// A library component written against the canonical ABI (no libc, no
// adapter): C with import/export names, `jco embed` with a WIT world, then
// `jco new`. It imports an interface, exports one with a resource
// (constructor, methods, destructor), strings, options, results and a
// function whose 17 parameters spill to memory. Built once per process.
inline const char* kLibWit = R"WIT(package weft:test@0.1.0;

interface host {
  record point { x: s32, y: s32 }
  variant shape { circle(u32), poly(list<point>), none }
  log: func(msg: string);
  sum: func(xs: list<u32>) -> u64;
}

interface api {
  resource counter {
    constructor(start: u32);
    inc: func(by: u32) -> u32;
    name: func() -> string;
  }
  greet: func(name: string) -> string;
  many: func(a: u8, b: s16, c: u32, d: u64, e: f32, f: f64, g: char, h: bool, i: u32, j: u32, k: u32, l: u32, m: u32, n: u32, o: u32, p: u32, q: u32) -> tuple<u32, u32>;
  maybe: func(x: option<string>) -> result<u32, string>;
}

world lib {
  import host;
  export api;
}
)WIT";
inline const char* kLibC = R"C(#include <stdint.h>
#include <stddef.h>
__attribute__((import_module("weft:test/host@0.1.0"), import_name("log"))) void host_log(const char*, size_t);
__attribute__((import_module("weft:test/host@0.1.0"), import_name("sum"))) int64_t host_sum(const uint32_t*, size_t);
__attribute__((import_module("[export]weft:test/api@0.1.0"), import_name("[resource-new]counter"))) int32_t counter_new(int32_t);
__attribute__((import_module("[export]weft:test/api@0.1.0"), import_name("[resource-rep]counter"))) int32_t counter_rep(int32_t);
__attribute__((import_module("[export]weft:test/api@0.1.0"), import_name("[resource-drop]counter"))) void counter_drop(int32_t);
static char heap[65536]; static size_t top;
__attribute__((export_name("cabi_realloc"))) void* cabi_realloc(void* p, size_t o, size_t a, size_t n) { top = (top + a - 1) & ~(a - 1); void* r = heap + top; top += n; return r; }
static uint32_t counters[64]; static int ncounters;
__attribute__((export_name("weft:test/api@0.1.0#[constructor]counter"))) int32_t ctor(uint32_t start) { counters[ncounters] = start; return counter_new(ncounters++); }
__attribute__((export_name("weft:test/api@0.1.0#[method]counter.inc"))) uint32_t inc(int32_t self, uint32_t by) { return counters[self] += by; }
static uint32_t ret[4];
__attribute__((export_name("weft:test/api@0.1.0#[method]counter.name"))) uint32_t* name(int32_t self) { ret[0] = (uint32_t)(uintptr_t)"ctr"; ret[1] = 3; return ret; }
__attribute__((export_name("weft:test/api@0.1.0#[dtor]counter"))) void dtor(int32_t rep) {}
__attribute__((export_name("weft:test/api@0.1.0#greet"))) uint32_t* greet(const char* p, size_t n) { host_log(p, n); ret[0] = (uint32_t)(uintptr_t)p; ret[1] = n; return ret; }
__attribute__((export_name("weft:test/api@0.1.0#many"))) uint32_t* many(uint32_t* args) { ret[0] = args[0]; ret[1] = args[1]; return ret; }
__attribute__((export_name("weft:test/api@0.1.0#maybe"))) uint32_t* maybe(int is, const char* p, size_t n) { ret[0] = 0; ret[1] = n; return ret; }
)C";

inline const std::vector<uint8_t>& LibComponent() {
  static const std::vector<uint8_t> bytes = [] {
    std::filesystem::path dir = ScratchDir() / "lib";
    std::filesystem::create_directories(dir / "wit");
    std::string nm = WEFT_JCO;
    nm = nm.substr(0, nm.size() - std::string("/.bin/jco").size());
    {
      std::ofstream(dir / "wit" / "world.wit") << kLibWit;
      std::ofstream(dir / "lib.c") << kLibC;
      // jco runs its wasm tools with no preopened directories, so `embed
      // --wit DIR` sees no files; preopen "/" for every copy of the shim
      // (see COMPONENT-TOOLCHAIN.md).
      std::ofstream pre(dir / "preopen.mjs");
      for (const char* shim :
           {"/@bytecodealliance/preview2-shim",
            "/@bytecodealliance/jco/node_modules/@bytecodealliance/"
            "preview2-shim",
            "/@bytecodealliance/jco-transpile/node_modules/"
            "@bytecodealliance/preview2-shim"}) {
        std::string f = nm + shim + "/dist/nodejs/filesystem.js";
        if (!std::filesystem::exists(f)) continue;
        pre << "{ const m = await import('" << f
            << "'); if (m._setPreopens) m._setPreopens({'/': '/'}); }\n";
      }
    }
    std::string d = "'" + dir.string() + "/";
    std::string cmd = "clang-19 --target=wasm32-unknown-unknown -O2 -nostdlib "
                      "-Wl,--no-entry " +
                      d + "lib.c' -o " + d + "core.wasm' && node --import " +
                      d + "preopen.mjs' '" + nm +
                      "/@bytecodealliance/jco/dist/jco.js' embed --wit " + d +
                      "wit' " + d + "core.wasm' -o " + d + "embed.wasm' && '" +
                      WEFT_JCO + "' new " + d + "embed.wasm' -o " + d +
                      "lib.component.wasm' >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      ADD_FAILURE() << "building lib.component.wasm failed: " << cmd;
      return std::vector<uint8_t>{};
    }
    return ReadBytes(dir / "lib.component.wasm");
  }();
  return bytes;
}

// Hand-made bytes.
inline std::vector<uint8_t> Leb(uint64_t v) {
  std::vector<uint8_t> out;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    if (v) b |= 0x80;
    out.push_back(b);
  } while (v);
  return out;
}
inline std::vector<uint8_t> Str(const std::string& s) {
  std::vector<uint8_t> out = Leb(s.size());
  out.insert(out.end(), s.begin(), s.end());
  return out;
}
inline std::vector<uint8_t> Cat(std::initializer_list<std::vector<uint8_t>> l) {
  std::vector<uint8_t> out;
  for (const auto& v : l)
    out.insert(out.end(), v.begin(), v.end());
  return out;
}
inline std::vector<uint8_t> Preamble() {
  return {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00};
}
inline std::vector<uint8_t> Section(uint8_t id,
                                    const std::vector<uint8_t>& payload) {
  return Cat({{id}, Leb(payload.size()), payload});
}

} // namespace weft::component::testing
