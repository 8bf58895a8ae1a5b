// The WASI 0.2 host behind the real canonical ABI: a core guest (wat2wasm)
// calls lowered imports of get-stdout, output-stream.blocking-write-and-
// flush, the output-stream drop and get-arguments, the way a component's
// core code does, so the host's Vals are lifted from and lowered into
// guest memory by CallLowered (handles, list<u8>, result<_, stream-error>,
// list<string> through the guest's realloc).
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <memory>

#include "component/abi.h"
#include "fs_helpers.h"
#include "wasip2_helpers.h"
#include "wat_helper.h"

namespace weft_test {
namespace {

using namespace weft::component;

class WasiP2Abi : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(weft::wasip2::AddWasiP2(linker_).ok());
    weft::wasip2::WasiP2Options o;
    o.config.memory_stdio = true;
    o.config.args = {"prog", "first", "second arg"};
    char tmpl[] = "/tmp/weft_p2abi_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::filesystem::create_directories(dir_ / "root" / "a");
    WriteFile(dir_ / "root" / "in.txt", "file contents");
    WriteFile(dir_ / "secret.txt", "SECRET");
    o.config.preopens = {{(dir_ / "root").string(), "/data", true}};
    auto ctx = weft::wasip2::WasiP2Context::Create(o);
    ASSERT_TRUE(ctx.ok());
    ctx_ = *ctx;
    data_.Set(ctx_);
    // One run-time type per host resource name, dropping through the host.
    const TypeArena& types = linker_.types();
    rts_.assign(types.resources.size(), nullptr);
    for (size_t i = 0; i < types.resources.size(); ++i) {
      const std::string& name = types.resources[i].name;
      auto& rt = by_name_[name];
      if (!rt) {
        rt = std::make_unique<ResourceType>();
        rt->name = name;
        HostDropFn drop;
        for (const HostInterface* iface : linker_.Interfaces())
          if (auto d = iface->drops.find(name); d != iface->drops.end())
            drop = d->second;
        rt->host_drop = [this, drop](uint32_t rep) {
          if (drop) drop(data_, rep);
        };
      }
      rts_[i] = rt.get();
    }
  }

  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The core function a component would import for `fn` of `iface`.
  weft::FuncInst* Lower(const std::string& iface, const std::string& fn) {
    const HostInterface* hi = linker_.Resolve(iface);
    EXPECT_NE(hi, nullptr) << iface;
    const FuncType* ft = nullptr;
    for (const auto& e : hi->type.exports)
      if (e.name == fn && e.type.kind == ExternType::Kind::Func)
        ft = &linker_.types().funcs.at(e.type.id);
    EXPECT_NE(ft, nullptr) << fn;
    HostFn host = hi->funcs.at(fn);
    auto site = std::make_shared<Site>();
    site->store = &store_;
    site->types = &linker_.types();
    site->type = ft;
    site->instance = &inst_;
    site->resources = &rts_;
    sites_.push_back(site);
    return store_.CreateHostFunc(
        CoreFuncType(linker_.types(), *ft, true),
        [this, site, host](weft::Store&, std::span<const weft::Value> a,
                           std::span<weft::Value> r) {
          site->opts.memory = memory_;
          site->opts.realloc = realloc_;
          return CallLowered(
              *site, a, r,
              [&](std::span<const Val> args, std::vector<Val>& results) {
                HostCall call{store_, data_};
                return host(call, args, results);
              });
        });
  }
  // canon resource.drop of an own<`name`> handle.
  weft::FuncInst* DropFn(const std::string& name) {
    ResourceType* rt = by_name_.at(name).get();
    weft::FuncType t;
    t.params = {weft::ValType::I32};
    return store_.CreateHostFunc(t, [this, rt](weft::Store& s,
                                               std::span<const weft::Value> a,
                                               std::span<weft::Value>) {
      return ResourceDrop(s, inst_, rt, a[0].i32);
    });
  }

  weft::Engine engine_;
  weft::Store store_{engine_};
  HostLinker linker_;
  HostData data_;
  std::shared_ptr<weft::wasip2::WasiP2Context> ctx_;
  InstanceState inst_;
  std::vector<ResourceType*> rts_;
  std::map<std::string, std::unique_ptr<ResourceType>> by_name_;
  std::vector<std::shared_ptr<Site>> sites_;
  weft::MemoryInst* memory_ = nullptr;
  weft::FuncInst* realloc_ = nullptr;
  std::filesystem::path dir_;
};

TEST_F(WasiP2Abi, AGuestPrintsThroughLoweredImportsAndReadsItsArguments) {
  std::vector<weft::Extern> imports = {
      {weft::ExternKind::Func, Lower("wasi:cli/stdout@0.2.0", "get-stdout")},
      {weft::ExternKind::Func,
       Lower("wasi:io/streams@0.2.0",
             "[method]output-stream.blocking-write-and-flush")},
      {weft::ExternKind::Func, DropFn("output-stream")},
      {weft::ExternKind::Func,
       Lower("wasi:cli/environment@0.2.0", "get-arguments")},
  };
  weft::Instance* m = weft::test::Instantiate(store_, R"((module
    (import "wasi" "get-stdout" (func $get_stdout (result i32)))
    (import "wasi" "write" (func $write (param i32 i32 i32 i32)))
    (import "wasi" "drop" (func $drop (param i32)))
    (import "wasi" "args" (func $args (param i32)))
    (memory (export "mem") 1)
    (data (i32.const 16) "hello from a component\n")
    (global $bump (mut i32) (i32.const 4096))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (global.get $bump))
      (global.set $bump (i32.add (global.get $bump) (local.get 3)))
      (local.get $p))
    ;; Writes the greeting twice through one handle, drops it, then writes
    ;; through the dropped handle (which must trap); returns the first
    ;; result's discriminant.
    (func (export "run") (result i32)
      (local $h i32)
      (local.set $h (call $get_stdout))
      (call $write (local.get $h) (i32.const 16) (i32.const 23) (i32.const 64))
      (call $write (local.get $h) (i32.const 16) (i32.const 5) (i32.const 72))
      (call $drop (local.get $h))
      (i32.load8_u (i32.const 64)))
    (func (export "write_dropped") (param $h i32)
      (call $write (local.get $h) (i32.const 16) (i32.const 1) (i32.const 80)))
    ;; list<string> at 128: (ptr, len); each string (ptr, len).
    (func (export "get_args") (call $args (i32.const 128))))
  )",
                                              imports);
  ASSERT_NE(m, nullptr);
  memory_ = m->GetExport("mem")->memory();
  realloc_ = m->GetExport("realloc")->func();

  weft::CallResult run = store_.Call(m->GetExport("run")->func(), {});
  ASSERT_FALSE(run.trap) << run.trap->message;
  EXPECT_EQ(run.results.at(0).i32, 0u); // ok
  EXPECT_EQ(*ctx_->MemoryStdio(1), "hello from a component\nhello");
  EXPECT_EQ(ctx_->live(), 0u); // the drop reached the host
  EXPECT_EQ(inst_.handles.live(), 0u);

  const weft::Value h = weft::Value::I32(1);
  weft::CallResult bad =
      store_.Call(m->GetExport("write_dropped")->func(), std::span(&h, 1));
  ASSERT_TRUE(bad.trap); // an unknown handle: the ABI refuses it
  EXPECT_EQ(*ctx_->MemoryStdio(1), "hello from a component\nhello");

  weft::CallResult args = store_.Call(m->GetExport("get_args")->func(), {});
  ASSERT_FALSE(args.trap) << args.trap->message;
  const uint8_t* mem = memory_->data();
  auto u32 = [&](uint32_t at) {
    uint32_t v;
    std::memcpy(&v, mem + at, 4);
    return v;
  };
  ASSERT_EQ(u32(132), 3u);
  const uint32_t list = u32(128);
  auto str = [&](uint32_t i) {
    return std::string(reinterpret_cast<const char*>(mem + u32(list + 8 * i)),
                       u32(list + 8 * i + 4));
  };
  EXPECT_EQ(str(0), "prog");
  EXPECT_EQ(str(2), "second arg");
}

TEST_F(WasiP2Abi, AGuestOpensAndReadsAFileButCannotEscape) {
  std::vector<weft::Extern> imports = {
      {weft::ExternKind::Func,
       Lower("wasi:filesystem/preopens@0.2.0", "get-directories")},
      {weft::ExternKind::Func,
       Lower("wasi:filesystem/types@0.2.0", "[method]descriptor.open-at")},
      {weft::ExternKind::Func,
       Lower("wasi:filesystem/types@0.2.0", "[method]descriptor.read")},
  };
  weft::Instance* m = weft::test::Instantiate(store_, R"((module
    (import "wasi" "dirs" (func $dirs (param i32)))
    (import "wasi" "open" (func $open (param i32 i32 i32 i32 i32 i32 i32)))
    (import "wasi" "read" (func $read (param i32 i64 i64 i32)))
    (memory (export "mem") 1)
    (global $bump (mut i32) (i32.const 4096))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (global.get $bump))
      (global.set $bump (i32.add (global.get $bump) (local.get 3)))
      (local.get $p))
    (func (export "dirs") (call $dirs (i32.const 200)))
    ;; open-at(dir, symlink-follow, path, no open-flags, read) -> at 300
    (func (export "open") (param $d i32) (param $p i32) (param $n i32)
      (call $open (local.get $d) (i32.const 1) (local.get $p) (local.get $n)
                  (i32.const 0) (i32.const 1) (i32.const 300)))
    (func (export "read") (param $f i32)
      (call $read (local.get $f) (i64.const 100) (i64.const 0)
                  (i32.const 400))))
  )",
                                              imports);
  ASSERT_NE(m, nullptr);
  memory_ = m->GetExport("mem")->memory();
  realloc_ = m->GetExport("realloc")->func();
  uint8_t* mem = memory_->data();
  auto u32 = [&](uint32_t at) {
    uint32_t v;
    std::memcpy(&v, mem + at, 4);
    return v;
  };
  auto open = [&](const std::string& path) {
    std::memcpy(mem + 1000, path.data(), path.size());
    const weft::Value a[] = {
        weft::Value::I32(u32(u32(200))), weft::Value::I32(1000),
        weft::Value::I32(static_cast<uint32_t>(path.size()))};
    weft::CallResult r = store_.Call(m->GetExport("open")->func(), a);
    EXPECT_FALSE(r.trap) << r.trap->message;
    return std::make_pair(mem[300], u32(304)); // discriminant, payload
  };

  ASSERT_FALSE(store_.Call(m->GetExport("dirs")->func(), {}).trap);
  ASSERT_EQ(u32(204), 1u); // one preopen
  const uint32_t entry = u32(200);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(mem + u32(entry + 4)),
                        u32(entry + 8)),
            "/data");

  auto [ok, file] = open("in.txt");
  ASSERT_EQ(ok, 0u);
  const weft::Value f = weft::Value::I32(file);
  ASSERT_FALSE(
      store_.Call(m->GetExport("read")->func(), std::span(&f, 1)).trap);
  ASSERT_EQ(mem[400], 0u); // ok
  EXPECT_EQ(std::string(reinterpret_cast<char*>(mem + u32(404)), u32(408)),
            "file contents");
  EXPECT_EQ(mem[412], 1u); // end of file

  for (const char* escape : {"../secret.txt", "/etc/passwd", "a/../../x"}) {
    auto [disc, code] = open(escape);
    EXPECT_EQ(disc, 1u) << escape;
    EXPECT_EQ(code & 0xff,
              static_cast<uint32_t>(weft::wasip2::FsError::kNotPermitted))
        << escape;
  }
}

} // namespace
} // namespace weft_test
