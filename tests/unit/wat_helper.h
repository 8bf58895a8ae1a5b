// Test helpers: WebAssembly text -> binary through wabt's wat2wasm (run at
// test time), plus compile / instantiate / call shorthands.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "runtime/runtime.h"

namespace weft::test {

inline std::vector<uint8_t> Wat(const std::string& text) {
  char dir[] = "/tmp/weft_wat_XXXXXX";
  if (mkdtemp(dir) == nullptr) return {};
  const std::string wat = std::string(dir) + "/m.wat";
  const std::string wasm = std::string(dir) + "/m.wasm";
  std::ofstream(wat) << text;
  const std::string cmd = "wat2wasm " + wat + " -o " + wasm + " 2>&1";
  std::string output;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[512];
    while (fgets(buf, sizeof buf, p))
      output += buf;
    pclose(p);
  }
  std::ifstream in(wasm, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  std::remove(wat.c_str());
  std::remove(wasm.c_str());
  rmdir(dir);
  EXPECT_FALSE(bytes.empty()) << "wat2wasm failed:\n" << output;
  return bytes;
}

inline std::shared_ptr<const CompiledModule> Compile(const Engine& engine,
                                                     const std::string& text) {
  auto bytes = Wat(text);
  auto r = CompileModule(engine, bytes);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().Describe());
  return r.ok() ? r.value() : nullptr;
}

inline Instance* Instantiate(Store& store, const std::string& text,
                             std::vector<Extern> imports = {}) {
  auto m = Compile(store.engine(), text);
  if (!m) return nullptr;
  InstantiateResult r = store.Instantiate(m, imports);
  EXPECT_FALSE(r.link_error) << r.link_error->Describe();
  EXPECT_FALSE(r.trap) << r.trap->message;
  return r.instance;
}

inline FuncInst* Func(Instance* inst, std::string_view name) {
  auto e = inst->GetExport(name);
  EXPECT_TRUE(e && e->kind == ExternKind::Func) << name;
  return e ? e->func() : nullptr;
}

// Calls and expects no trap; returns the results.
inline std::vector<Value> Call(Store& store, Instance* inst,
                               std::string_view name,
                               std::vector<Value> args = {}) {
  CallResult r = store.Call(Func(inst, name), args);
  EXPECT_FALSE(r.trap) << name << ": " << r.trap->message;
  return r.results;
}

inline uint32_t CallI32(Store& store, Instance* inst, std::string_view name,
                        std::vector<Value> args = {}) {
  auto r = Call(store, inst, name, std::move(args));
  return r.empty() ? 0xDEADBEEF : r[0].i32;
}

inline uint64_t CallI64(Store& store, Instance* inst, std::string_view name,
                        std::vector<Value> args = {}) {
  auto r = Call(store, inst, name, std::move(args));
  return r.empty() ? 0xDEADBEEF : r[0].i64;
}

// Calls and expects a trap; returns its message.
inline std::string CallTrap(Store& store, Instance* inst, std::string_view name,
                            std::vector<Value> args = {}) {
  CallResult r = store.Call(Func(inst, name), args);
  EXPECT_TRUE(r.trap) << name << " did not trap";
  return r.trap ? r.trap->message : "";
}

// The permissions ("rw-p", "---p", ...) of the mapping holding `addr`, from
// /proc/self/maps; "unmapped" when none does.
inline std::string MappingPerms(const void* addr) {
  const auto a = reinterpret_cast<uintptr_t>(addr);
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    unsigned long lo = 0, hi = 0;
    char perms[8] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %4s", &lo, &hi, perms) != 3)
      continue;
    if (a >= lo && a < hi) return perms;
  }
  return "unmapped";
}

} // namespace weft::test
