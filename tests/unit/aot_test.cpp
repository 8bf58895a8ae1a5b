// Ahead-of-time compiled code (issue 5): our ELF loader (partitions linked
// across objects), artifacts (and every way one is refused before any of
// its code runs), the compile cache, and `weft compile` / `weft run
// FILE.cwasm` / the cache through the CLI.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "compile/compile.h"
#include "native/artifact.h"
#include "native/cache.h"
#include "native/loader.h"
#include "runtime/store_impl.h"
#include "serve_helper.h"
#include "wasm/decoder.h"
#include "wat_helper.h"

namespace weft {
namespace {

// Calls across functions, indirect calls, memory, globals, traps, floats
// (fmod-like libm calls): enough to need most relocation kinds.
const char* kModule = R"((module
  (type $ii (func (param i32) (result i32)))
  (memory 1)
  (global $g (mut i32) (i32.const 7))
  (table 4 funcref)
  (elem (i32.const 0) $sq $inc $fib)
  (func $sq (type $ii) (i32.mul (local.get 0) (local.get 0)))
  (func $inc (type $ii) (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (i32.add (local.get 0) (global.get $g)))
  (func $fib (type $ii)
    (if (result i32) (i32.lt_s (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "mix") (param i32) (result i32) (local i32)
    (i32.store (i32.const 16) (call $sq (local.get 0)))
    (local.set 1 (call_indirect (type $ii) (i32.load (i32.const 16))
                                (i32.rem_u (local.get 0) (i32.const 3))))
    (i32.add (local.get 1) (call $fib (i32.const 15))))
  (func (export "flt") (param f64) (result f64)
    (f64.add (f64.nearest (local.get 0)) (f64.sqrt (local.get 0))))
  (func (export "bad") (param i32) (result i32)
    (call_indirect (type $ii) (local.get 0) (i32.const 3)))
  (func (export "oob") (result i32) (i32.load (i32.const 65536))))
)";

uint32_t Mix(Store& store, Instance* inst, uint32_t x) {
  CallResult r =
      store.Call(inst->GetExport("mix")->func(), std::vector{Value::I32(x)});
  EXPECT_FALSE(r.trap) << r.trap->message;
  return r.trap ? 0 : r.results.at(0).i32;
}

TEST(Loader, PartitionsLinkAcrossObjectsAndMatchTheInterpreter) {
  const std::vector<uint8_t> wasm = test::Wat(kModule);
  Engine engine;
  auto interp = CompileModule(engine, wasm);
  ASSERT_TRUE(interp.ok());
  for (unsigned parts : {1u, 2u, 3u, 6u}) {
    SCOPED_TRACE("partitions " + std::to_string(parts));
    NativeCompileOptions opt;
    opt.partitions = parts;
    auto code = CompileToObjects(wasm, opt);
    ASSERT_TRUE(code.ok()) << code.error().message;
    EXPECT_EQ(code->objects.size(), parts);
    std::vector<std::span<const uint8_t>> objs(code->objects.begin(),
                                               code->objects.end());
    const size_t nfuncs = Decode(wasm).value().functions.size();
    auto image = native::PrelinkObjects(objs, nfuncs, native::RuntimeSymbols());
    ASSERT_TRUE(image.ok()) << image.error().message;
    EXPECT_GT(image->relocations, 0u);
    EXPECT_GT(image->stubs, 0u); // calls to the helpers
    EXPECT_EQ(image->entries.size(), nfuncs);
    // What is left for load time: helper addresses only (one fixup per
    // stub or GOT slot), no relocation.
    EXPECT_LE(image->fixups.size(), image->stubs + image->got_slots);
    auto back = native::ParseImage(native::SerializeImage(*image));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->entries, image->entries);
    EXPECT_EQ(back->externals, image->externals);
    auto native = CompileModuleNative(engine, Decode(wasm).value(), opt);
    ASSERT_TRUE(native.ok()) << native.error().message;
    Store s1(engine), s2(engine);
    Instance* a = s1.Instantiate(*interp, {}).instance;
    Instance* b = s2.Instantiate(*native, {}).instance;
    ASSERT_TRUE(a && b);
    for (uint32_t x : {0u, 1u, 2u, 5u, 1000u})
      EXPECT_EQ(Mix(s1, a, x), Mix(s2, b, x)) << x;
    CallResult f =
        s2.Call(b->GetExport("flt")->func(), std::vector{Value::F64(6.25)});
    ASSERT_FALSE(f.trap);
    double d;
    std::memcpy(&d, &f.results[0].f64, 8);
    EXPECT_EQ(d, 6.0 + 2.5);
    CallResult bad =
        s2.Call(b->GetExport("bad")->func(), std::vector{Value::I32(1)});
    ASSERT_TRUE(bad.trap);
    EXPECT_EQ(bad.trap->message, "uninitialized element");
    CallResult oob = s2.Call(b->GetExport("oob")->func(), {});
    ASSERT_TRUE(oob.trap);
    EXPECT_EQ(oob.trap->message, "out of bounds memory access");
  }
}

TEST(Loader, RejectsObjectsItCannotLink) {
  const std::vector<uint8_t> junk(200, 0x41);
  std::vector<std::span<const uint8_t>> objs{junk};
  auto r = native::PrelinkObjects(objs, 0, native::RuntimeSymbols());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not an x86-64 ELF"), std::string::npos);
  // A real object with an unresolvable helper: no runtime symbols.
  auto code = CompileToObjects(test::Wat(kModule));
  ASSERT_TRUE(code.ok());
  std::vector<std::span<const uint8_t>> real{code->objects[0]};
  auto u = native::PrelinkObjects(real, 0, {});
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.error().message.find("undefined symbol weft_rt_"),
            std::string::npos)
      << u.error().message;
  // Truncated section header table.
  std::vector<uint8_t> cut(code->objects[0].begin(),
                           code->objects[0].begin() + 100);
  std::vector<std::span<const uint8_t>> c{cut};
  EXPECT_FALSE(native::PrelinkObjects(c, 0, native::RuntimeSymbols()).ok());
  // An image naming a symbol the runtime does not have loads nothing.
  auto image = native::PrelinkObjects(real, 0, native::RuntimeSymbols());
  ASSERT_TRUE(image.ok());
  ASSERT_FALSE(image->externals.empty());
  image->externals[0] = "system";
  std::vector<void*> entries;
  auto l = native::LoadImage(native::ViewOf(*image), entries);
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.error().message.find("undefined symbol system"),
            std::string::npos);
  // A fixup outside the image is a damaged image.
  image->fixups.push_back({image->bytes.size() - 4, 0, 0});
  EXPECT_FALSE(native::ParseImage(native::SerializeImage(*image)).ok());
}

// --- artifacts -------------------------------------------------------------

std::vector<uint8_t> MakeArtifact(const std::vector<uint8_t>& wasm) {
  auto code = CompileToObjects(wasm);
  EXPECT_TRUE(code.ok());
  auto a =
      native::WriteArtifact(wasm, native::Sha256Of(wasm), *code, kCodeOptions);
  EXPECT_TRUE(a.ok());
  return *a;
}

// The artifact's fields (offset, length) in order, from offset 32.
std::vector<std::pair<size_t, size_t>> Fields(const std::vector<uint8_t>& a) {
  std::vector<std::pair<size_t, size_t>> out;
  size_t pos = 32;
  while (pos + 8 <= a.size()) {
    uint64_t n;
    std::memcpy(&n, a.data() + pos, 8);
    out.emplace_back(pos + 8, n);
    pos += 8 + ((n + 7) & ~uint64_t{7});
  }
  return out;
}

void Reseal(std::vector<uint8_t>& a) {
  const uint64_t size = a.size();
  std::memcpy(a.data() + 16, &size, 8);
  const uint64_t sum =
      native::Checksum64(std::span<const uint8_t>(a).subspan(32));
  std::memcpy(a.data() + 24, &sum, 8);
}

// Replaces field `i` (keeping the layout valid) and reseals the checksum,
// as a forger who knows the format would.
std::vector<uint8_t> WithField(const std::vector<uint8_t>& a, size_t i,
                               const std::string& value) {
  auto f = Fields(a)[i];
  std::vector<uint8_t> out(a.begin(), a.begin() + f.first - 8);
  const uint64_t n = value.size();
  out.insert(out.end(), reinterpret_cast<const uint8_t*>(&n),
             reinterpret_cast<const uint8_t*>(&n) + 8);
  out.insert(out.end(), value.begin(), value.end());
  while (out.size() % 8)
    out.push_back(0);
  out.insert(out.end(), a.begin() + f.first + ((f.second + 7) & ~size_t{7}),
             a.end());
  Reseal(out);
  return out;
}

std::string LoadError(std::span<const uint8_t> bytes,
                      const std::string& options = kCodeOptions) {
  auto r = native::LoadArtifact(bytes, &options);
  return r.ok() ? "loaded" : r.error().message;
}

bool Has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(Artifact, RoundTripRuns) {
  const std::vector<uint8_t> wasm = test::Wat(kModule);
  const std::vector<uint8_t> a = MakeArtifact(wasm);
  ASSERT_TRUE(native::IsArtifact(a));
  const std::string options = kCodeOptions;
  auto info = native::ReadArtifact(a, &options);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->wasm_sha, native::Sha256Of(wasm));
  EXPECT_EQ(info->weft_version, native::WeftBuildVersion());
  EXPECT_FALSE(info->cpu.empty());
  auto m = native::LoadArtifact(a, &options);
  ASSERT_TRUE(m.ok()) << m.error().message;
  Engine engine;
  Store store(engine);
  Instance* inst = store.Instantiate(*m, {}).instance;
  ASSERT_NE(inst, nullptr);
  EXPECT_EQ(Mix(store, inst, 5), 75025u + 610u);
}

TEST(Artifact, RefusesDamagedForeignAndHandMadeOnes) {
  const std::vector<uint8_t> a = MakeArtifact(test::Wat(kModule));
  ASSERT_EQ(LoadError(a), "loaded");
  // Truncated, at the end and inside the header.
  std::vector<uint8_t> t(a.begin(), a.end() - 1);
  EXPECT_TRUE(Has(LoadError(t), "truncated")) << LoadError(t);
  std::vector<uint8_t> t2(a.begin(), a.begin() + 20);
  EXPECT_TRUE(Has(LoadError(t2), "truncated")) << LoadError(t2);
  // One bit flipped in the code.
  std::vector<uint8_t> c = a;
  c[a.size() - 200] ^= 0x10;
  EXPECT_TRUE(Has(LoadError(c), "corrupted (checksum mismatch)"))
      << LoadError(c);
  // Trailing bytes.
  std::vector<uint8_t> tr = a;
  tr.push_back(0);
  EXPECT_TRUE(Has(LoadError(tr), "after its end")) << LoadError(tr);
  // Not an artifact at all / another format version.
  std::vector<uint8_t> wasm = test::Wat(kModule);
  EXPECT_TRUE(Has(LoadError(wasm), "not a weft compiled module"));
  std::vector<uint8_t> v = a;
  v[8] = 99;
  EXPECT_TRUE(Has(LoadError(v), "format 99, this weft reads 2"))
      << LoadError(v);
  // Another weft build (field 0), valid checksum.
  EXPECT_TRUE(Has(LoadError(WithField(a, 0, "0.0.1 (build 1234)")),
                  "made by weft 0.0.1 (build 1234), this is weft"));
  // Another CPU (field 4: the CPUID words): a feature bit this host lacks,
  // or another vendor.
  const native::CpuFeatures& host = native::HostCpu();
  native::CpuFeatures other = host;
  bool found = false;
  for (size_t w = 3; w < other.words.size() && !found; ++w)
    for (int bit = 0; bit < 32 && !found; ++bit)
      if (!(host.words[w] & (1u << bit))) {
        other.words[w] |= 1u << bit;
        found = true;
      }
  ASSERT_TRUE(found);
  std::string words(reinterpret_cast<const char*>(other.words.data()),
                    other.words.size() * 4);
  EXPECT_TRUE(Has(LoadError(WithField(a, 4, words)), "another CPU"))
      << LoadError(WithField(a, 4, words));
  other = host;
  other.words[0] ^= 0x01010101;
  words.assign(reinterpret_cast<const char*>(other.words.data()),
               other.words.size() * 4);
  EXPECT_TRUE(Has(LoadError(WithField(a, 4, words)), "another CPU"));
  // Other options.
  EXPECT_TRUE(Has(LoadError(a, "O0"), "compiled with options"));
  // Hand-made: the right magic, header and checksum around junk fields.
  std::vector<uint8_t> h(a.begin(), a.begin() + 32);
  h.resize(32 + 64, 0x5A);
  Reseal(h);
  EXPECT_TRUE(Has(LoadError(h), "damaged")) << LoadError(h);
  // Hand-made with a valid layout but a junk code image: refused.
  std::vector<uint8_t> j = a;
  auto fields = Fields(a);
  const auto img = fields.back();
  std::memset(j.data() + img.first, 0x90, img.second);
  Reseal(j);
  EXPECT_TRUE(Has(LoadError(j), "damaged code image")) << LoadError(j);
  // ... and a junk metadata module (field 7).
  EXPECT_TRUE(Has(LoadError(WithField(a, 7, "\0asm junk")), "metadata"));
}

// --- SHA-256 (FIPS 180-4 test vectors; SHA-NI when the CPU has it)
// ------------

TEST(Sha256, KnownVectors) {
  auto hex = [](const std::string& s) {
    return native::Hex(native::Sha256Of(
        {reinterpret_cast<const uint8_t*>(s.data()), s.size()}));
  };
  EXPECT_EQ(hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // Split updates give the same digest.
  const std::string m(1000, 'x');
  native::Sha256 s;
  for (size_t i = 0; i < m.size(); i += 37)
    s.Update({reinterpret_cast<const uint8_t*>(m.data()) + i,
              std::min<size_t>(37, m.size() - i)});
  EXPECT_EQ(native::Hex(s.Finish()), hex(m));
}

// --- cache -------------------------------------------------------------------

class TempDir {
public:
  TempDir() {
    char t[] = "/tmp/weft_aot_XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string path;
};

TEST(Cache, StoreHitDamagedAndKeys) {
  TempDir dir;
  native::CompileCache cache(dir.path);
  const std::vector<uint8_t> wasm = test::Wat(kModule);
  const auto sha = native::Sha256Of(wasm);
  const std::string key = cache.Key(sha, kCodeOptions);
  EXPECT_EQ(key.size(), 64u);
  EXPECT_NE(key, cache.Key(sha, "O0"));
  EXPECT_EQ(cache.Load(key, kCodeOptions).outcome,
            native::CompileCache::Outcome::Miss);
  ASSERT_TRUE(cache.Store(key, MakeArtifact(wasm)).ok());
  auto hit = cache.Load(key, kCodeOptions);
  ASSERT_EQ(hit.outcome, native::CompileCache::Outcome::Hit) << hit.problem;
  ASSERT_TRUE(hit.module);
  // No temporary file left behind.
  size_t files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path + "/v2")) {
    EXPECT_EQ(e.path().extension(), ".cwasm");
    ++files;
  }
  EXPECT_EQ(files, 1u);
  // Damage the entry: detected, deleted.
  {
    std::fstream f(cache.PathOf(key),
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x7f');
  }
  auto bad = cache.Load(key, kCodeOptions);
  EXPECT_EQ(bad.outcome, native::CompileCache::Outcome::Damaged);
  EXPECT_TRUE(Has(bad.problem, "corrupted")) << bad.problem;
  EXPECT_FALSE(std::filesystem::exists(cache.PathOf(key)));
  // Locks are exclusive between holders.
  const int l1 = cache.TryLock(key);
  ASSERT_GE(l1, 0);
  EXPECT_LT(cache.TryLock(key), 0);
  native::CompileCache::ReleaseLock(l1);
  const int l2 = cache.TryLock(key);
  EXPECT_GE(l2, 0);
  native::CompileCache::ReleaseLock(l2);
}

// Sets a file's mtime (and atime) to `ago` seconds before now.
void SetAge(const std::string& path, time_t ago) {
  const timespec t{::time(nullptr) - ago, 0};
  const timespec times[2] = {t, t};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

time_t AgeOf(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return -1;
  return ::time(nullptr) - st.st_mtime;
}

bool Exists(const std::string& path) { return std::filesystem::exists(path); }

TEST(Cache, StoreRemovesStaleTemporariesAndUnheldLocks) {
  TempDir dir;
  native::CompileCache cache(dir.path);
  const std::vector<uint8_t> junk(100, 7);
  ASSERT_TRUE(cache.Store("k1", junk).ok());
  const std::string folder =
      std::filesystem::path(cache.PathOf("k1")).parent_path();
  // A writer that died 11 minutes ago, and one (maybe alive) 5 minutes ago.
  std::ofstream(folder + "/.tmp-0123456789abcdef-1-2") << "partial";
  SetAge(folder + "/.tmp-0123456789abcdef-1-2", 11 * 60);
  std::ofstream(folder + "/.tmp-fedcba9876543210-3-4") << "partial";
  SetAge(folder + "/.tmp-fedcba9876543210-3-4", 5 * 60);
  // A lock file nobody holds (left by a finished compile), one this
  // process holds, and one another live process holds.
  native::CompileCache::ReleaseLock(cache.TryLock("free"));
  ASSERT_TRUE(Exists(folder + "/free.lock"));
  const int mine = cache.TryLock("mine");
  ASSERT_GE(mine, 0);
  int up[2], down[2];
  ASSERT_EQ(::pipe(up), 0);
  ASSERT_EQ(::pipe(down), 0);
  // The child takes it as TryLock does (only async-signal-safe calls).
  const std::string theirs = folder + "/theirs.lock";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::alarm(60); // never outlives a parent that failed
    ::close(up[0]);
    ::close(down[1]);
    const int fd = ::open(theirs.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    char c = fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) == 0 ? 'y' : 'n';
    (void)!::write(up[1], &c, 1);
    (void)!::read(down[0], &c, 1); // until the parent closes its end
    ::_exit(0);
  }
  ::close(up[1]);
  ::close(down[0]);
  char c = 0;
  ASSERT_EQ(::read(up[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');

  ASSERT_TRUE(cache.Store("k2", junk).ok());
  EXPECT_FALSE(Exists(folder + "/.tmp-0123456789abcdef-1-2"));
  EXPECT_TRUE(Exists(folder + "/.tmp-fedcba9876543210-3-4"));
  EXPECT_FALSE(Exists(folder + "/free.lock"));
  EXPECT_TRUE(Exists(folder + "/mine.lock"));
  EXPECT_TRUE(Exists(folder + "/theirs.lock"));
  // The held locks are still in force: nobody else gets them.
  EXPECT_LT(cache.TryLock("theirs"), 0);
  EXPECT_LT(cache.TryLock("mine"), 0);
  EXPECT_TRUE(Exists(cache.PathOf("k1")));
  EXPECT_TRUE(Exists(cache.PathOf("k2")));

  ::close(down[1]);
  ::waitpid(child, nullptr, 0);
  ::close(up[0]);
  // Released by its exit: free again, and deleted by the next store.
  const int after = cache.TryLock("theirs");
  EXPECT_GE(after, 0);
  native::CompileCache::ReleaseLock(after);
  native::CompileCache::ReleaseLock(mine);
  ASSERT_TRUE(cache.Store("k3", junk).ok());
  EXPECT_FALSE(Exists(folder + "/theirs.lock"));
  EXPECT_FALSE(Exists(folder + "/mine.lock"));
}

TEST(Cache, EvictsTheLeastRecentlyUsedOverTheLimit) {
  const std::vector<uint8_t> a = MakeArtifact(test::Wat(kModule));
  const uint64_t size = a.size();
  TempDir dir;
  // Room for three and a half entries.
  native::CompileCache cache(dir.path, size * 3 + size / 2);
  for (const char* k : {"e1", "e2", "e3"})
    ASSERT_TRUE(cache.Store(k, a).ok());
  SetAge(cache.PathOf("e1"), 300);
  SetAge(cache.PathOf("e2"), 200);
  SetAge(cache.PathOf("e3"), 100);
  // A hit makes e1 the most recently used.
  ASSERT_EQ(cache.Load("e1", kCodeOptions).outcome,
            native::CompileCache::Outcome::Hit);
  EXPECT_LT(AgeOf(cache.PathOf("e1")), 60);
  // A fourth entry: over the limit, so the least recently used (e2) goes.
  ASSERT_TRUE(cache.Store("e4", a).ok());
  EXPECT_TRUE(Exists(cache.PathOf("e1")));
  EXPECT_FALSE(Exists(cache.PathOf("e2")));
  EXPECT_TRUE(Exists(cache.PathOf("e3")));
  EXPECT_TRUE(Exists(cache.PathOf("e4")));
  // Under the limit: nothing goes.
  ASSERT_TRUE(cache.Store("e4", a).ok());
  EXPECT_TRUE(Exists(cache.PathOf("e3")));
  // A limit smaller than one entry: every other entry goes, never the one
  // just stored.
  native::CompileCache tiny(dir.path, size / 2);
  ASSERT_TRUE(tiny.Store("e5", a).ok());
  for (const char* k : {"e1", "e3", "e4"})
    EXPECT_FALSE(Exists(cache.PathOf(k))) << k;
  EXPECT_TRUE(Exists(cache.PathOf("e5")));
  // No limit (0): nothing goes.
  native::CompileCache unlimited(dir.path, 0);
  ASSERT_TRUE(unlimited.Store("e6", a).ok());
  EXPECT_TRUE(Exists(cache.PathOf("e5")));
  EXPECT_TRUE(Exists(cache.PathOf("e6")));
}

// --- the CLI
// -------------------------------------------------------------------

struct Proc {
  int status = -1;
  std::string out, err;
};

Proc Weft(const std::string& args, const std::string& env = "") {
  TempDir d;
  const std::string cmd = env + " " + WEFT_BINARY + " " + args + " >" + d.path +
                          "/out 2>" + d.path + "/err";
  Proc r;
  const int st = std::system(cmd.c_str());
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  auto slurp = [](const std::string& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in),
                       std::istreambuf_iterator<char>());
  };
  r.out = slurp(d.path + "/out");
  r.err = slurp(d.path + "/err");
  return r;
}

size_t Count(const std::string& s, const std::string& part) {
  size_t n = 0;
  for (size_t p = s.find(part); p != std::string::npos; p = s.find(part, p + 1))
    ++n;
  return n;
}

TEST(Cli, CompileThenRunTheArtifact) {
  TempDir dir;
  const std::string wat = dir.path + "/m.wat";
  std::ofstream(wat) << kModule;
  Proc c = Weft("compile " + wat);
  ASSERT_EQ(c.status, 0) << c.err;
  const std::string cw = dir.path + "/m.cwasm";
  ASSERT_TRUE(std::filesystem::exists(cw));
  // No plugin needed to run it: point the plugin path nowhere.
  Proc r = Weft("run --invoke mix " + cw + " 5",
                "WEFT_LLVM_PLUGIN=/nonexistent WEFT_CACHE=off");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "75635\n");
  // -o, and a truncated copy refused with a clear message.
  Proc o = Weft("compile -o " + dir.path + "/x.cwasm " + wat);
  ASSERT_EQ(o.status, 0) << o.err;
  std::filesystem::resize_file(dir.path + "/x.cwasm",
                               std::filesystem::file_size(cw) - 7);
  Proc t = Weft("run --invoke mix " + dir.path + "/x.cwasm 5");
  EXPECT_EQ(t.status, 1);
  EXPECT_TRUE(Has(t.err, "invalid compiled module: truncated")) << t.err;
  EXPECT_EQ(t.out, "");
  // An invalid module does not compile.
  std::ofstream(dir.path + "/bad.wasm") << std::string("\0asm\1\0\0\0\1", 9);
  Proc b = Weft("compile " + dir.path + "/bad.wasm");
  EXPECT_EQ(b.status, 1);
  EXPECT_TRUE(Has(b.err, "bad.wasm: error: ")) << b.err;
}

TEST(Cli, CacheHitDoesNotRecompileAndDamageIsRepaired) {
  TempDir dir;
  const std::string wat = dir.path + "/m.wat";
  std::ofstream(wat) << kModule;
  const std::string env =
      "WEFT_CACHE_DIR=" + dir.path + "/cache WEFT_CACHE_LOG=1";
  const std::string run = "run --tier compiled --invoke mix " + wat + " 5";
  Proc first = Weft(run, env);
  ASSERT_EQ(first.status, 0) << first.err;
  EXPECT_EQ(first.out, "75635\n");
  EXPECT_EQ(Count(first.err, "weft: cache: miss "), 1u) << first.err;
  EXPECT_EQ(Count(first.err, "weft: cache: stored "), 1u) << first.err;
  // A hit loads the artifact: no compile, and no LLVM at all.
  Proc second = Weft(run, env + " WEFT_LLVM_PLUGIN=/nonexistent");
  ASSERT_EQ(second.status, 0) << second.err;
  EXPECT_EQ(second.out, "75635\n");
  EXPECT_EQ(Count(second.err, "weft: cache: hit "), 1u) << second.err;
  EXPECT_EQ(Count(second.err, "stored"), 0u) << second.err;
  // Damage the one entry: reported, deleted, compiled and stored again.
  std::string entry;
  for (auto& e : std::filesystem::directory_iterator(dir.path + "/cache/v2"))
    if (e.path().extension() == ".cwasm") entry = e.path();
  ASSERT_FALSE(entry.empty());
  std::filesystem::resize_file(entry, 1000);
  Proc third = Weft(run, env);
  ASSERT_EQ(third.status, 0) << third.err;
  EXPECT_EQ(third.out, "75635\n");
  EXPECT_TRUE(Has(third.err, "weft: cache: damaged entry " + entry +
                                 " (invalid compiled module: truncated"))
      << third.err;
  EXPECT_EQ(Count(third.err, "stored"), 1u) << third.err;
  Proc fourth = Weft(run, env);
  EXPECT_EQ(Count(fourth.err, "weft: cache: hit "), 1u) << fourth.err;
  // WEFT_CACHE=off: nothing looked up or stored.
  Proc off = Weft(run, env + " WEFT_CACHE=off");
  EXPECT_EQ(off.status, 0);
  EXPECT_EQ(Count(off.err, "weft: cache:"), 0u) << off.err;
}

TEST(Cli, AutoRunsTheInterpreterOnAMissAndCompilesInTheBackground) {
  TempDir dir;
  const std::string wat = dir.path + "/m.wat";
  std::ofstream(wat) << kModule;
  const std::string env =
      "WEFT_CACHE_DIR=" + dir.path + "/cache WEFT_CACHE_LOG=1";
  const std::string run = "run --tier auto --invoke mix " + wat + " 5";
  Proc first = Weft(run, env);
  ASSERT_EQ(first.status, 0) << first.err;
  EXPECT_EQ(first.out, "75635\n");
  EXPECT_TRUE(Has(first.err, "weft: cache: miss ")) << first.err;
  EXPECT_TRUE(Has(first.err, "in the background")) << first.err;
  // The background compile lands in the cache within a few seconds.
  bool hit = false;
  for (int i = 0; i < 300 && !hit; ++i) {
    Proc again = Weft(run, env);
    EXPECT_EQ(again.out, "75635\n");
    hit = Has(again.err, "weft: cache: hit ");
    if (!hit) usleep(50 * 1000);
  }
  EXPECT_TRUE(hit);
}

// `weft compile --cache` while another process holds the key's lock (the
// background compile a `weft run` started): it waits for that process and,
// as this one stores nothing, compiles the module itself, so the code is
// in the cache when it returns (it used to return at once with exit 0 and
// nothing stored).
TEST(Cli, CompileIntoCacheWaitsForAnotherCompileOfTheSameKey) {
  TempDir dir;
  const std::string wat = dir.path + "/m.wat";
  std::ofstream(wat) << kModule;
  const std::string env =
      "WEFT_CACHE_DIR=" + dir.path + "/cache WEFT_CACHE_LOG=1";
  // Learn the key (and the entry's path) from a first compile, then remove
  // the entry.
  Proc first = Weft("compile --cache " + wat, env);
  ASSERT_EQ(first.status, 0) << first.err;
  std::string entry;
  for (auto& e : std::filesystem::directory_iterator(dir.path + "/cache/v2"))
    if (e.path().extension() == ".cwasm") entry = e.path();
  ASSERT_FALSE(entry.empty()) << first.err;
  std::filesystem::remove(entry);
  const std::string lock_path =
      entry.substr(0, entry.size() - std::string(".cwasm").size()) + ".lock";
  // Hold the lock as a compiling process would.
  const int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(lock, 0);
  ASSERT_EQ(::flock(lock, LOCK_EX), 0);
  const std::string cmd = env + " " + WEFT_BINARY + " compile --cache " + wat +
                          " >" + dir.path + "/out 2>" + dir.path + "/err";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(lock);
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // It waits while the lock is held...
  usleep(700 * 1000);
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, WNOHANG), 0) << "returned while locked";
  EXPECT_FALSE(std::filesystem::exists(entry));
  // ...and, once released with nothing stored, compiles it itself.
  ::flock(lock, LOCK_UN);
  ::close(lock);
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(std::filesystem::exists(entry));
  Proc run = Weft("run --tier auto --invoke mix " + wat + " 5", env);
  EXPECT_EQ(run.out, "75635\n");
  EXPECT_TRUE(Has(run.err, "weft: cache: hit ")) << run.err;
}

TEST(Cli, CacheSizeLimitFromTheEnvironment) {
  TempDir dir;
  const std::string wat = dir.path + "/m.wat";
  std::ofstream(wat) << kModule;
  // An entry used an hour ago, larger than the limit below.
  const std::string old =
      native::CompileCache(dir.path + "/cache").PathOf("old");
  std::filesystem::create_directories(std::filesystem::path(old).parent_path());
  std::ofstream(old) << std::string(64 * 1024, 'x');
  SetAge(old, 3600);
  const std::string run = "run --tier compiled --invoke mix " + wat + " 5";
  const std::string env = "WEFT_CACHE_DIR=" + dir.path + "/cache";
  Proc r = Weft(run, env + " WEFT_CACHE_MAX_BYTES=1KiB");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "75635\n");
  // The old entry went; the new one stays although it is over the limit.
  EXPECT_FALSE(Exists(old));
  size_t entries = 0;
  for (auto& e : std::filesystem::directory_iterator(
           std::filesystem::path(old).parent_path()))
    entries += e.path().extension() == ".cwasm";
  EXPECT_EQ(entries, 1u);
  // Not a size: said, and the default limit kept.
  Proc bad = Weft(run, env + " WEFT_CACHE_MAX_BYTES=lots");
  EXPECT_EQ(bad.status, 0) << bad.err;
  EXPECT_EQ(bad.out, "75635\n");
  EXPECT_TRUE(Has(bad.err, "weft: cache: WEFT_CACHE_MAX_BYTES: expected a "
                           "size such as 65536, 64KiB, 16MiB or 1GiB, got "
                           "\"lots\"; the limit stays 2048MiB"))
      << bad.err;
}

// --- weft serve
// -------------------------------------------------------------------

const char* kWagi = R"((module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "Content-Type: text/plain\n\nhello\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 32))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
)";

// The records of a server's JSON log whose message is about the compile
// cache ("cache: ...").
std::vector<nlohmann::json> CacheRecords(const std::string& log) {
  std::vector<nlohmann::json> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("msg", "").rfind("cache: ", 0) == 0)
      out.push_back(std::move(j));
  }
  return out;
}

// The cache record whose message starts with "cache: " + `start`, or null.
nlohmann::json CacheRecord(const std::string& log, const std::string& start) {
  for (nlohmann::json& j : CacheRecords(log))
    if (j["msg"].get<std::string>().rfind("cache: " + start, 0) == 0) return j;
  return nullptr;
}

// Whether any line of `log` is a plain "weft: cache:" line.
bool HasPlainCacheLine(const std::string& log) {
  return log.rfind("weft: cache:", 0) == 0 ||
         log.find("\nweft: cache:") != std::string::npos;
}

std::string Manifest(const std::string& module) {
  return "[app]\nname = \"t\"\n[[function]]\nname = \"f\"\nroute = "
         "\"/f\"\nmodule = \"" +
         module + "\"\n";
}

TEST(Serve, AutoCompilesInTheBackgroundAndCachesAndLoadsCwasm) {
  using weft_serve_test::Request;
  using weft_serve_test::Server;
  TempDir dir;
  const std::string cache = dir.path + "/cache";
  setenv("WEFT_CACHE_DIR", cache.c_str(), 1);
  setenv("WEFT_CACHE_LOG", "1", 1);
  std::filesystem::create_directories(dir.path + "/app");
  std::ofstream(dir.path + "/app/f.wat") << kWagi;
  {
    Server s(dir.path + "/app", Manifest("f.wat"));
    ASSERT_GT(s.port(), 0) << s.log();
    EXPECT_EQ(Request(s.port(), "GET", "/f").body, "hello\n");
    // The background compile finishes; requests go on (on compiled code).
    // Its messages are records of the server's (JSON) log.
    bool ready = false;
    for (int i = 0; i < 600 && !ready; ++i) {
      ready = !CacheRecord(s.log(), "compiled code ready for").is_null();
      if (!ready) usleep(20 * 1000);
    }
    EXPECT_TRUE(ready) << s.log();
    for (int i = 0; i < 4; ++i)
      EXPECT_EQ(Request(s.port(), "GET", "/f").body, "hello\n");
    EXPECT_EQ(s.Stop(), 0);
    const nlohmann::json miss = CacheRecord(s.log(), "miss ");
    ASSERT_FALSE(miss.is_null()) << s.log();
    EXPECT_EQ(miss["level"], "info");
    EXPECT_EQ(miss["function"], "f");
    EXPECT_EQ(miss["module"], dir.path + "/app/f.wat");
    EXPECT_FALSE(HasPlainCacheLine(s.log())) << s.log();
  }
  {
    // Started again: a hit, no compile.
    Server s(dir.path + "/app", Manifest("f.wat"));
    ASSERT_GT(s.port(), 0) << s.log();
    EXPECT_EQ(Request(s.port(), "GET", "/f").body, "hello\n");
    EXPECT_EQ(s.Stop(), 0);
    EXPECT_FALSE(CacheRecord(s.log(), "hit ").is_null()) << s.log();
    EXPECT_FALSE(Has(s.log(), "stored")) << s.log();
  }
  {
    // A .cwasm module, served with no compiler at all.
    Proc c = Weft("compile " + dir.path + "/app/f.wat");
    ASSERT_EQ(c.status, 0) << c.err;
    setenv("WEFT_LLVM_PLUGIN", "/nonexistent", 1);
    Server s(dir.path + "/app", Manifest("f.cwasm"));
    unsetenv("WEFT_LLVM_PLUGIN");
    ASSERT_GT(s.port(), 0) << s.log();
    EXPECT_EQ(Request(s.port(), "GET", "/f").body, "hello\n");
    EXPECT_EQ(s.Stop(), 0);
  }
  unsetenv("WEFT_CACHE_DIR");
  unsetenv("WEFT_CACHE_LOG");
}

// A cache folder that cannot be written (here a regular file): the
// background compile's failure to store is one warning record of the
// server's log naming the function and module, not a plain stderr line;
// the function keeps answering.
TEST(Serve, CacheFailureIsAStructuredLogRecord) {
  using weft_serve_test::Request;
  using weft_serve_test::Server;
  TempDir dir;
  const std::string cache = dir.path + "/not-a-folder";
  std::ofstream(cache) << "x";
  setenv("WEFT_CACHE_DIR", cache.c_str(), 1);
  unsetenv("WEFT_CACHE_LOG");
  std::filesystem::create_directories(dir.path + "/app");
  std::ofstream(dir.path + "/app/f.wat") << kWagi;
  Server s(dir.path + "/app", Manifest("f.wat"));
  unsetenv("WEFT_CACHE_DIR");
  ASSERT_GT(s.port(), 0) << s.log();
  EXPECT_EQ(Request(s.port(), "GET", "/f").body, "hello\n");
  bool logged = false;
  for (int i = 0; i < 600 && !logged; ++i) {
    logged = !CacheRecords(s.log()).empty();
    if (!logged) usleep(20 * 1000);
  }
  EXPECT_EQ(Request(s.port(), "GET", "/f").body, "hello\n");
  EXPECT_EQ(s.Stop(), 0);
  const std::string log = s.log();
  const std::vector<nlohmann::json> records = CacheRecords(log);
  ASSERT_EQ(records.size(), 1u) << log;
  const nlohmann::json& r = records[0];
  EXPECT_TRUE(r["level"] == "warn" || r["level"] == "error") << r.dump();
  EXPECT_TRUE(Has(r["msg"].get<std::string>(), "cannot store")) << r.dump();
  EXPECT_TRUE(Has(r["msg"].get<std::string>(), cache)) << r.dump();
  EXPECT_EQ(r["function"], "f");
  EXPECT_EQ(r["module"], dir.path + "/app/f.wat");
  EXPECT_FALSE(HasPlainCacheLine(log)) << log;
}

} // namespace
} // namespace weft
