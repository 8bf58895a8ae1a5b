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
