// wasi:filesystem of the WASI 0.2 host, called with Vals through the
// HostFns AddWasiP2 defines, on a real temp tree, with both backends of
// src/wasi's SandboxResolver (openat2 and the portable walk).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "fs_helpers.h"
#include "wasi/sandbox_path.h"
#include "wasip2_helpers.h"

namespace weft_test {
namespace {

namespace fs = std::filesystem;
using weft::wasip2::FsError;
using weft::wasip2::WasiP2Options;
namespace dflag = weft::wasip2::dflag;
namespace oflag = weft::wasip2::oflag;

const std::string kT = "wasi:filesystem/types#[method]descriptor.";

uint32_t Code(FsError e) { return static_cast<uint32_t>(e); }

// err(error-code) -> the code; ok -> ~0.
uint32_t ErrCode(const Val& r) {
  if (IsOk(r)) return ~0u;
  return static_cast<uint32_t>(Payload(r).u);
}

// base/
//   outside/secret.txt        "SECRET" (never reachable)
//   root/                     the preopen "/data"
//     a/b/file.txt            "INSIDE"
//     link_out -> <abs>/outside, link_rel_out -> ../outside
//     a/up -> ../.., a/ok_up -> ..
//     loop1 -> loop2 -> loop1
//     inner -> a/b
class WasiP2Fs : public ::testing::TestWithParam<bool> {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/weft_p2fs_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    outside_ = base_ / "outside";
    root_ = base_ / "root";
    fs::create_directories(outside_);
    fs::create_directories(root_ / "a" / "b");
    WriteFile(outside_ / "secret.txt", "SECRET");
    WriteFile(root_ / "a" / "b" / "file.txt", "INSIDE");
    fs::create_directory_symlink(outside_, root_ / "link_out");
    fs::create_directory_symlink("../outside", root_ / "link_rel_out");
    fs::create_symlink("../..", root_ / "a" / "up");
    fs::create_symlink("..", root_ / "a" / "ok_up");
    fs::create_symlink("loop2", root_ / "loop1");
    fs::create_symlink("loop1", root_ / "loop2");
    fs::create_symlink("a/b", root_ / "inner");
    if (!GetParam()) {
      weft::wasi::SandboxResolver probe;
      if (probe.effective_backend() != weft::wasi::PathBackend::kOpenat2)
        GTEST_SKIP() << "kernel has no openat2";
    }
  }
  void TearDown() override { fs::remove_all(base_); }

  WasiP2Options Options(bool read_only = false) {
    WasiP2Options o;
    o.config.preopens = {{root_.string(), "/data", read_only}};
    o.config.force_path_walk = GetParam();
    return o;
  }
  // The preopen's descriptor.
  Val Root(P2Host& h) {
    Val dirs = h.Ok("wasi:filesystem/preopens#get-directories", {});
    EXPECT_EQ(dirs.items.size(), 1u);
    if (dirs.items.empty()) return Val();
    EXPECT_EQ(dirs.items[0].items[1].s, "/data");
    return dirs.items[0].items[0];
  }
  Val OpenAt(P2Host& h, const Val& dir, const std::string& path,
             uint32_t oflags, uint32_t flags, uint32_t pflags = 1) {
    return h.Ok(kT + "open-at", {Borrow(dir), Flags(pflags), Val::Str(path),
                                 Flags(oflags), Flags(flags)});
  }

  fs::path base_, outside_, root_;
};

TEST_P(WasiP2Fs, OpenWriteReadStatAndStreams) {
  P2Host h(Options());
  Val root = Root(h);
  Val r = OpenAt(h, root, "new.txt", oflag::kCreate | oflag::kExclusive,
                 dflag::kRead | dflag::kWrite);
  ASSERT_TRUE(IsOk(r)) << ErrCode(r);
  Val f = Payload(r);
  r = h.Ok(kT + "write", {Borrow(f), Val::Bytes("hello"), Val::U64(0)});
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(Payload(r).u, 5u);
  r = h.Ok(kT + "read", {Borrow(f), Val::U64(100), Val::U64(1)});
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(Payload(r).items[0].s, "ello");
  EXPECT_EQ(Payload(r).items[1].u, 1u); // end of file
  r = h.Ok(kT + "read", {Borrow(f), Val::U64(2), Val::U64(0)});
  EXPECT_EQ(Payload(r).items[0].s, "he");
  EXPECT_EQ(Payload(r).items[1].u, 0u);

  r = h.Ok(kT + "stat", {Borrow(f)});
  ASSERT_TRUE(IsOk(r));
  const Val& st = Payload(r);
  EXPECT_EQ(st.items[0].u, 6u); // regular-file
  EXPECT_EQ(st.items[1].u, 1u); // link count
  EXPECT_EQ(st.items[2].u, 5u); // size
  EXPECT_EQ(st.items[4].u, 1u); // some(mtime)
  EXPECT_EQ(Payload(h.Ok(kT + "get-type", {Borrow(f)})).u, 6u);
  EXPECT_EQ(Payload(h.Ok(kT + "get-flags", {Borrow(f)})).u,
            dflag::kRead | dflag::kWrite);
  EXPECT_EQ(Payload(h.Ok(kT + "get-type", {Borrow(root)})).u, 3u); // directory

  // Streams: write at an offset, append, read from an offset.
  r = h.Ok(kT + "write-via-stream", {Borrow(f), Val::U64(5)});
  ASSERT_TRUE(IsOk(r));
  Val ws = Payload(r);
  EXPECT_TRUE(IsOk(
      h.Ok("wasi:io/streams#[method]output-stream.blocking-write-and-flush",
           {Borrow(ws), Val::Bytes(" world")})));
  r = h.Ok(kT + "append-via-stream", {Borrow(f)});
  Val as = Payload(r);
  EXPECT_TRUE(IsOk(h.Ok("wasi:io/streams#[method]output-stream.write",
                        {Borrow(as), Val::Bytes("!")})));
  EXPECT_EQ(ReadAll(root_ / "new.txt"), "hello world!");
  r = h.Ok(kT + "read-via-stream", {Borrow(f), Val::U64(6)});
  Val rs = Payload(r);
  // Dropping the descriptor first leaves its stream usable.
  h.Drop("wasi:filesystem/types#descriptor", static_cast<uint32_t>(f.u));
  r = h.Ok("wasi:io/streams#[method]input-stream.blocking-read",
           {Borrow(rs), Val::U64(100)});
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(Payload(r).s, "world!");
  EXPECT_TRUE(h.Call(kT + "stat", {Borrow(f)}).trap);

  // Exclusive create of an existing file; set-size; a file opened for
  // reading only cannot be written.
  r = OpenAt(h, root, "new.txt", oflag::kCreate | oflag::kExclusive,
             dflag::kWrite);
  EXPECT_EQ(ErrCode(r), Code(FsError::kExist));
  Val ro = Payload(OpenAt(h, root, "new.txt", 0, dflag::kRead));
  EXPECT_EQ(
      ErrCode(h.Ok(kT + "write", {Borrow(ro), Val::Bytes("x"), Val::U64(0)})),
      Code(FsError::kBadDescriptor));
  EXPECT_EQ(ErrCode(h.Ok(kT + "write-via-stream", {Borrow(ro), Val::U64(0)})),
            Code(FsError::kBadDescriptor));
  Val rw = Payload(OpenAt(h, root, "new.txt", oflag::kTruncate, dflag::kWrite));
  EXPECT_EQ(fs::file_size(root_ / "new.txt"), 0u);
  EXPECT_TRUE(IsOk(h.Ok(kT + "set-size", {Borrow(rw), Val::U64(10)})));
  EXPECT_EQ(fs::file_size(root_ / "new.txt"), 10u);
  EXPECT_TRUE(IsOk(h.Ok(kT + "sync", {Borrow(rw)})));
  EXPECT_TRUE(IsOk(h.Ok(kT + "sync-data", {Borrow(rw)})));
  EXPECT_TRUE(IsOk(h.Ok(kT + "advise", {Borrow(rw), Val::U64(0), Val::U64(0),
                                        Val::EnumCase(1)})));
}

TEST_P(WasiP2Fs, NestedPathsDirectoriesAndTypes) {
  P2Host h(Options());
  Val root = Root(h);
  Val r = OpenAt(h, root, "a/b/file.txt", 0, dflag::kRead);
  ASSERT_TRUE(IsOk(r));
  r = h.Ok(kT + "read", {Borrow(Payload(r)), Val::U64(100), Val::U64(0)});
  EXPECT_EQ(Payload(r).items[0].s, "INSIDE");
  // Through a symlink that stays inside, and `..` that stays inside.
  r = OpenAt(h, root, "inner/file.txt", 0, dflag::kRead);
  EXPECT_TRUE(IsOk(r));
  r = OpenAt(h, root, "a/b/../b/file.txt", 0, dflag::kRead);
  EXPECT_TRUE(IsOk(r));
  r = OpenAt(h, root, "a/ok_up/a/b/file.txt", 0, dflag::kRead);
  EXPECT_TRUE(IsOk(r));
  // A directory descriptor, and what it refuses.
  r = OpenAt(h, root, "a", oflag::kDirectory, dflag::kRead);
  ASSERT_TRUE(IsOk(r));
  Val a = Payload(r);
  EXPECT_TRUE(IsOk(OpenAt(h, a, "b/file.txt", 0, dflag::kRead)));
  EXPECT_EQ(ErrCode(h.Ok(kT + "read", {Borrow(a), Val::U64(1), Val::U64(0)})),
            Code(FsError::kIsDirectory));
  EXPECT_EQ(ErrCode(OpenAt(h, a, "b", oflag::kDirectory, dflag::kWrite)),
            Code(FsError::kIsDirectory));
  Val file = Payload(OpenAt(h, a, "b/file.txt", 0, dflag::kRead));
  EXPECT_EQ(ErrCode(OpenAt(h, file, "x", 0, dflag::kRead)),
            Code(FsError::kNotDirectory));
  EXPECT_EQ(ErrCode(OpenAt(h, root, "a/b/file.txt/x", 0, dflag::kRead)),
            Code(FsError::kNotDirectory));
  EXPECT_EQ(ErrCode(OpenAt(h, root, "missing", 0, dflag::kRead)),
            Code(FsError::kNoEntry));
  // A directory beneath a writable preopen may create.
  EXPECT_TRUE(
      IsOk(h.Ok(kT + "create-directory-at", {Borrow(a), Val::Str("c")})));
  EXPECT_TRUE(fs::is_directory(root_ / "a" / "c"));
  // Invalid flag bits are refused.
  P2Result bad = h.Call(kT + "open-at",
                        {Borrow(root), Flags(1), Val::Str("x"), Flags(1u << 7),
                         Flags(dflag::kRead)},
                        /*check_args=*/false);
  ASSERT_EQ(bad.results.size(), 1u);
  EXPECT_EQ(ErrCode(bad.results[0]), Code(FsError::kInvalid));
}

TEST_P(WasiP2Fs, ReadDirectoryListsEveryEntryOnce) {
  P2Host h(Options());
  Val root = Root(h);
  ASSERT_TRUE(
      IsOk(h.Ok(kT + "create-directory-at", {Borrow(root), Val::Str("d")})));
  Val r = h.Ok(kT + "read-directory", {Borrow(root)});
  ASSERT_TRUE(IsOk(r));
  Val ds = Payload(r);
  std::vector<std::string> rows;
  for (int i = 0; i < 100; ++i) {
    Val e = h.Ok("wasi:filesystem/"
                 "types#[method]directory-entry-stream.read-directory-entry",
                 {Borrow(ds)});
    ASSERT_TRUE(IsOk(e));
    if (Payload(e).u == 0) break; // none: the end
    const Val& entry = Payload(e).items[0];
    rows.push_back(entry.items[1].s + ":" + std::to_string(entry.items[0].u));
  }
  std::sort(rows.begin(), rows.end());
  // directory 3, symbolic-link 5
  const std::vector<std::string> want = {
      "a:3",     "d:3",    "inner:5", "link_out:5", "link_rel_out:5",
      "loop1:5", "loop2:5"};
  EXPECT_EQ(rows, want);
  const size_t live = h.ctx().live();
  h.Drop("wasi:filesystem/types#directory-entry-stream",
         static_cast<uint32_t>(ds.u));
  EXPECT_EQ(h.ctx().live(), live - 1);
}

TEST_P(WasiP2Fs, RenameUnlinkRemoveLinkSymlinkReadlink) {
  P2Host h(Options());
  Val root = Root(h);
  WriteFile(root_ / "x.txt", "X");
  Val r = h.Ok(kT + "rename-at", {Borrow(root), Val::Str("x.txt"), Borrow(root),
                                  Val::Str("a/y.txt")});
  ASSERT_TRUE(IsOk(r)) << ErrCode(r);
  EXPECT_FALSE(fs::exists(root_ / "x.txt"));
  EXPECT_EQ(ReadAll(root_ / "a" / "y.txt"), "X");
  r = h.Ok(kT + "link-at", {Borrow(root), Flags(0), Val::Str("a/y.txt"),
                            Borrow(root), Val::Str("hard.txt")});
  EXPECT_TRUE(IsOk(r)) << ErrCode(r);
  EXPECT_EQ(ReadAll(root_ / "hard.txt"), "X");
  r = h.Ok(kT + "symlink-at",
           {Borrow(root), Val::Str("a/y.txt"), Val::Str("sl")});
  EXPECT_TRUE(IsOk(r));
  r = h.Ok(kT + "readlink-at", {Borrow(root), Val::Str("sl")});
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(Payload(r).s, "a/y.txt");
  // stat-at follows only when asked.
  r = h.Ok(kT + "stat-at", {Borrow(root), Flags(0), Val::Str("sl")});
  EXPECT_EQ(Payload(r).items[0].u, 5u);
  r = h.Ok(kT + "stat-at", {Borrow(root), Flags(1), Val::Str("sl")});
  EXPECT_EQ(Payload(r).items[0].u, 6u);
  EXPECT_TRUE(
      IsOk(h.Ok(kT + "unlink-file-at", {Borrow(root), Val::Str("sl")})));
  EXPECT_TRUE(
      IsOk(h.Ok(kT + "unlink-file-at", {Borrow(root), Val::Str("a/y.txt")})));
  r = h.Ok(kT + "stat-at", {Borrow(root), Flags(0), Val::Str("a/y.txt")});
  EXPECT_EQ(ErrCode(r), Code(FsError::kNoEntry));
  EXPECT_EQ(
      ErrCode(h.Ok(kT + "remove-directory-at", {Borrow(root), Val::Str("a")})),
      Code(FsError::kNotEmpty));
  ASSERT_TRUE(
      IsOk(h.Ok(kT + "create-directory-at", {Borrow(root), Val::Str("e")})));
  EXPECT_EQ(
      ErrCode(h.Ok(kT + "create-directory-at", {Borrow(root), Val::Str("e")})),
      Code(FsError::kExist));
  EXPECT_TRUE(
      IsOk(h.Ok(kT + "remove-directory-at", {Borrow(root), Val::Str("e")})));
  EXPECT_FALSE(fs::exists(root_ / "e"));
  // set-times-at to a given time.
  Val when = Val::VariantCase(2, Val::Record({Val::U64(1000000), Val::U32(5)}));
  r = h.Ok(kT + "set-times-at", {Borrow(root), Flags(0), Val::Str("hard.txt"),
                                 Val::VariantCase(0), when});
  ASSERT_TRUE(IsOk(r)) << ErrCode(r);
  r = h.Ok(kT + "stat-at", {Borrow(root), Flags(0), Val::Str("hard.txt")});
  EXPECT_EQ(Payload(r).items[4].items[0].items[0].u, 1000000u);
  EXPECT_EQ(Payload(r).items[4].items[0].items[1].u, 5u);
}

TEST_P(WasiP2Fs, MetadataHashAndSameObject) {
  P2Host h(Options());
  Val root = Root(h);
  Val f1 = Payload(OpenAt(h, root, "a/b/file.txt", 0, dflag::kRead));
  Val f2 = Payload(OpenAt(h, root, "inner/file.txt", 0, dflag::kRead));
  Val b = Payload(OpenAt(h, root, "a/b", oflag::kDirectory, dflag::kRead));
  EXPECT_EQ(h.Ok(kT + "is-same-object", {Borrow(f1), Borrow(f2)}).u, 1u);
  EXPECT_EQ(h.Ok(kT + "is-same-object", {Borrow(f1), Borrow(b)}).u, 0u);
  Val h1 = Payload(h.Ok(kT + "metadata-hash", {Borrow(f1)}));
  Val h2 = Payload(h.Ok(kT + "metadata-hash", {Borrow(f2)}));
  Val hb = Payload(h.Ok(kT + "metadata-hash", {Borrow(b)}));
  Val ha = Payload(h.Ok(kT + "metadata-hash-at",
                        {Borrow(root), Flags(1), Val::Str("a/b/file.txt")}));
  EXPECT_EQ(h1.items[0].u, h2.items[0].u);
  EXPECT_EQ(h1.items[1].u, h2.items[1].u);
  EXPECT_EQ(h1.items[0].u, ha.items[0].u);
  EXPECT_NE(h1.items[0].u, hb.items[0].u);
}

// Each path would leave the preopen; every operation on it fails with
// not-permitted (the sandbox resolver's EXDEV, preview1's notcapable), and
// nothing outside changes.
TEST_P(WasiP2Fs, EscapesFailWithNotPermitted) {
  P2Host h(Options());
  Val root = Root(h);
  const std::string before = Snapshot(base_ / "outside");
  const char* escapes[] = {"../x",
                           "../outside/secret.txt",
                           "/etc/passwd",
                           "/",
                           "a/../../x",
                           "a/b/../../../outside/secret.txt",
                           "link_out/secret.txt",
                           "link_rel_out/secret.txt",
                           "a/up/outside/secret.txt",
                           "..",
                           "a/up"};
  weft::wasi::SandboxResolver resolver(GetParam()
                                           ? weft::wasi::PathBackend::kWalk
                                           : weft::wasi::PathBackend::kAuto);
  int root_fd = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  for (const char* p : escapes) {
    SCOPED_TRACE(p);
    // The very resolver preview1 uses says "outside".
    weft::wasi::UniqueFd out;
    EXPECT_EQ(resolver.Open(root_fd, p, O_RDONLY, 0, true, &out), EXDEV);
    EXPECT_EQ(ErrCode(OpenAt(h, root, p, 0, dflag::kRead)),
              Code(FsError::kNotPermitted));
    EXPECT_EQ(ErrCode(OpenAt(h, root, p, oflag::kCreate, dflag::kWrite)),
              Code(FsError::kNotPermitted));
    EXPECT_EQ(
        ErrCode(h.Ok(kT + "stat-at", {Borrow(root), Flags(1), Val::Str(p)})),
        Code(FsError::kNotPermitted));
    EXPECT_EQ(ErrCode(h.Ok(kT + "metadata-hash-at",
                           {Borrow(root), Flags(1), Val::Str(p)})),
              Code(FsError::kNotPermitted));
  }
  ::close(root_fd);
  // Name operations on a path whose parent is outside.
  const char* parents_out[] = {"../evil", "/tmp/evil", "a/../../evil",
                               "link_out/evil", "a/up/outside/evil"};
  for (const char* p : parents_out) {
    SCOPED_TRACE(p);
    EXPECT_EQ(
        ErrCode(h.Ok(kT + "create-directory-at", {Borrow(root), Val::Str(p)})),
        Code(FsError::kNotPermitted));
    EXPECT_EQ(ErrCode(h.Ok(kT + "unlink-file-at", {Borrow(root), Val::Str(p)})),
              Code(FsError::kNotPermitted));
    EXPECT_EQ(
        ErrCode(h.Ok(kT + "remove-directory-at", {Borrow(root), Val::Str(p)})),
        Code(FsError::kNotPermitted));
    EXPECT_EQ(ErrCode(h.Ok(kT + "symlink-at",
                           {Borrow(root), Val::Str("a"), Val::Str(p)})),
              Code(FsError::kNotPermitted));
    EXPECT_EQ(ErrCode(h.Ok(kT + "rename-at", {Borrow(root), Val::Str("inner"),
                                              Borrow(root), Val::Str(p)})),
              Code(FsError::kNotPermitted));
  }
  EXPECT_EQ(ErrCode(h.Ok(kT + "unlink-file-at",
                         {Borrow(root), Val::Str("link_out/secret.txt")})),
            Code(FsError::kNotPermitted));
  // A symlink with an absolute target is refused; a relative one that
  // climbs out may be made but not followed.
  EXPECT_EQ(ErrCode(h.Ok(kT + "symlink-at",
                         {Borrow(root), Val::Str("/etc"), Val::Str("abs")})),
            Code(FsError::kNotPermitted));
  ASSERT_TRUE(
      IsOk(h.Ok(kT + "symlink-at",
                {Borrow(root), Val::Str("../outside"), Val::Str("rel")})));
  EXPECT_EQ(ErrCode(OpenAt(h, root, "rel/secret.txt", 0, dflag::kRead)),
            Code(FsError::kNotPermitted));
  // Symlink loops fail with `loop`, followed or not.
  EXPECT_EQ(ErrCode(OpenAt(h, root, "loop1", 0, dflag::kRead)),
            Code(FsError::kLoop));
  EXPECT_EQ(ErrCode(OpenAt(h, root, "loop1/x", 0, dflag::kRead, 0)),
            Code(FsError::kLoop));
  EXPECT_EQ(ErrCode(OpenAt(h, root, "loop1", 0, dflag::kRead, 0)),
            Code(FsError::kLoop));
  // Embedded NUL is not silently cut.
  EXPECT_EQ(
      ErrCode(OpenAt(h, root, std::string("a\0/../../x", 10), 0, dflag::kRead)),
      Code(FsError::kInvalid));
  EXPECT_EQ(Snapshot(base_ / "outside"), before);
  EXPECT_FALSE(fs::exists(base_ / "evil"));
}

TEST_P(WasiP2Fs, AReadOnlyPreopenRefusesEveryChange) {
  P2Host h(Options(/*read_only=*/true));
  Val root = Root(h);
  // (Snapshot would follow the loop symlinks at the top: list it by name.)
  auto names = [&] {
    std::vector<std::string> v;
    for (const auto& e : fs::directory_iterator(root_))
      v.push_back(e.path().filename().string());
    std::sort(v.begin(), v.end());
    return v;
  };
  const std::string before = Snapshot(root_ / "a");
  const std::vector<std::string> top = names();
  EXPECT_EQ(Payload(h.Ok(kT + "get-flags", {Borrow(root)})).u, dflag::kRead);
  Val r = OpenAt(h, root, "a/b/file.txt", 0, dflag::kRead);
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(ErrCode(OpenAt(h, root, "a/b/file.txt", 0, dflag::kWrite)),
            Code(FsError::kNotPermitted));
  EXPECT_EQ(ErrCode(OpenAt(h, root, "new", oflag::kCreate, dflag::kRead)),
            Code(FsError::kNotPermitted));
  EXPECT_EQ(
      ErrCode(OpenAt(h, root, "a/b/file.txt", oflag::kTruncate, dflag::kRead)),
      Code(FsError::kNotPermitted));
  EXPECT_EQ(
      ErrCode(h.Ok(kT + "create-directory-at", {Borrow(root), Val::Str("d")})),
      Code(FsError::kNotPermitted));
  EXPECT_EQ(ErrCode(h.Ok(kT + "unlink-file-at",
                         {Borrow(root), Val::Str("a/b/file.txt")})),
            Code(FsError::kNotPermitted));
  EXPECT_EQ(ErrCode(h.Ok(kT + "rename-at", {Borrow(root), Val::Str("a"),
                                            Borrow(root), Val::Str("z")})),
            Code(FsError::kNotPermitted));
  EXPECT_EQ(ErrCode(h.Ok(kT + "set-times-at",
                         {Borrow(root), Flags(0), Val::Str("a"),
                          Val::VariantCase(1), Val::VariantCase(1)})),
            Code(FsError::kNotPermitted));
  // A directory opened beneath it is read-only too.
  Val a = Payload(OpenAt(h, root, "a", oflag::kDirectory, dflag::kRead));
  EXPECT_EQ(
      ErrCode(h.Ok(kT + "create-directory-at", {Borrow(a), Val::Str("d")})),
      Code(FsError::kNotPermitted));
  // Asking for mutate-directory gets a descriptor without it.
  Val r2 = OpenAt(h, root, "a", oflag::kDirectory,
                  dflag::kRead | dflag::kMutateDirectory);
  ASSERT_TRUE(IsOk(r2));
  EXPECT_EQ(Payload(h.Ok(kT + "get-flags", {Borrow(Payload(r2))})).u,
            dflag::kRead);
  EXPECT_EQ(ErrCode(h.Ok(kT + "create-directory-at",
                         {Borrow(Payload(r2)), Val::Str("d")})),
            Code(FsError::kNotPermitted));
  EXPECT_EQ(Snapshot(root_ / "a"), before);
  EXPECT_EQ(names(), top);
}

TEST_P(WasiP2Fs, DescriptorsAreLimitedByMaxFds) {
  WasiP2Options o = Options();
  o.config.max_fds = 3; // the preopen's descriptor and two more
  P2Host h(o);
  Val root = Root(h);
  Val a = OpenAt(h, root, "a", oflag::kDirectory, dflag::kRead);
  Val b = OpenAt(h, root, "a/b", oflag::kDirectory, dflag::kRead);
  ASSERT_TRUE(IsOk(a));
  ASSERT_TRUE(IsOk(b));
  EXPECT_EQ(ErrCode(OpenAt(h, root, "a/b/file.txt", 0, dflag::kRead)),
            Code(FsError::kInsufficientMemory));
  EXPECT_EQ(ErrCode(h.Ok(kT + "read-directory", {Borrow(root)})),
            Code(FsError::kInsufficientMemory));
  h.Drop("wasi:filesystem/types#descriptor",
         static_cast<uint32_t>(Payload(a).u));
  EXPECT_TRUE(IsOk(OpenAt(h, root, "a/b/file.txt", 0, dflag::kRead)));
}

TEST_P(WasiP2Fs, NoPreopensIsAnEmptyView) {
  WasiP2Options o;
  o.config.force_path_walk = GetParam();
  P2Host h(o);
  Val dirs = h.Ok("wasi:filesystem/preopens#get-directories", {});
  EXPECT_EQ(dirs.kind, ValKind::List);
  EXPECT_TRUE(dirs.items.empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, WasiP2Fs, ::testing::Values(false, true),
                         [](const auto& info) {
                           return info.param ? "Walk" : "Openat2";
                         });

} // namespace
} // namespace weft_test
