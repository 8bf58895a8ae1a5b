// The beneath-the-root path resolver, tested directly on a temp tree with
// both backends (openat2 and the portable walk).
#include "wasi/sandbox_path.h"

#include "fs_helpers.h"
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace weft::wasi {
namespace {

using weft_test::ReadAll;
using weft_test::WriteFile;

namespace fs = std::filesystem;

std::string ReadFd(int fd) {
  std::string s;
  char buf[256];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0)
    s.append(buf, size_t(n));
  return s;
}

// base/
//   outside/secret.txt       "SECRET"   (must never be reached)
//   root/                    the preopen
//     a/b/file.txt           "INSIDE"
//     link_out -> <abs base>/outside
//     link_rel_out -> ../outside
//     chain1 -> chain2 -> a/b
//     dangling -> nonexistent
//     dangling_out -> <abs base>/outside/created.txt
//     dangling_rel_out -> ../outside/created2.txt
//     loop1 -> loop2 -> loop1
//     a/up -> ../..          (climbs out of root)
//     a/ok_up -> ..          (stays inside: root)
class SandboxTest : public ::testing::TestWithParam<PathBackend> {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/weft_sandbox_XXXXXX";
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
    fs::create_symlink("chain2", root_ / "chain1");
    fs::create_symlink("a/b", root_ / "chain2");
    fs::create_symlink("nonexistent", root_ / "dangling");
    fs::create_symlink(outside_ / "created.txt", root_ / "dangling_out");
    fs::create_symlink("../outside/created2.txt", root_ / "dangling_rel_out");
    fs::create_symlink("loop2", root_ / "loop1");
    fs::create_symlink("loop1", root_ / "loop2");
    fs::create_symlink("../..", root_ / "a" / "up");
    fs::create_symlink("..", root_ / "a" / "ok_up");
    root_fd_.reset(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root_fd_.valid());
    if (GetParam() == PathBackend::kOpenat2) {
      SandboxResolver probe(PathBackend::kAuto);
      if (probe.effective_backend() != PathBackend::kOpenat2)
        GTEST_SKIP() << "kernel has no openat2";
    }
  }
  void TearDown() override {
    // The outside tree must be exactly as created.
    if (!base_.empty()) {
      EXPECT_EQ(ReadAll(outside_ / "secret.txt"), "SECRET");
      size_t n = 0;
      for (auto& e : fs::directory_iterator(outside_)) {
        (void)e;
        ++n;
      }
      EXPECT_EQ(n, 1u) << "something was created outside the root";
      std::error_code ec;
      fs::remove_all(base_, ec);
    }
  }

  int Open(const std::string& path, int flags = O_RDONLY, bool follow = true,
           UniqueFd* out = nullptr) {
    UniqueFd fd;
    int err = resolver().Open(root_fd_.get(), path, flags, 0644, follow, &fd);
    if (out) *out = std::move(fd);
    return err;
  }
  SandboxResolver resolver() const { return SandboxResolver(GetParam()); }

  fs::path base_, outside_, root_;
  UniqueFd root_fd_;
};

TEST_P(SandboxTest, ValidNestedPathsOpen) {
  UniqueFd fd;
  ASSERT_EQ(Open("a/b/file.txt", O_RDONLY, true, &fd), 0);
  EXPECT_EQ(ReadFd(fd.get()), "INSIDE");
  ASSERT_EQ(Open("./a//b/./file.txt", O_RDONLY, true, &fd), 0);
  EXPECT_EQ(ReadFd(fd.get()), "INSIDE");
  ASSERT_EQ(Open("a/../a/b/../b/file.txt", O_RDONLY, true, &fd), 0);
  EXPECT_EQ(ReadFd(fd.get()), "INSIDE");
  ASSERT_EQ(Open("a/b/", O_RDONLY | O_DIRECTORY, true, &fd), 0);
  ASSERT_EQ(Open(".", O_RDONLY | O_DIRECTORY, true, &fd), 0);
}

TEST_P(SandboxTest, SymlinksInsideAreFollowed) {
  UniqueFd fd;
  ASSERT_EQ(Open("chain1/file.txt", O_RDONLY, true, &fd), 0);
  EXPECT_EQ(ReadFd(fd.get()), "INSIDE");
  ASSERT_EQ(Open("a/ok_up/a/b/file.txt", O_RDONLY, true, &fd), 0);
  EXPECT_EQ(ReadFd(fd.get()), "INSIDE");
}

TEST_P(SandboxTest, DotDotPastRootRefused) {
  EXPECT_EQ(Open("../outside/secret.txt"), EXDEV);
  EXPECT_EQ(Open(".."), EXDEV);
  EXPECT_EQ(Open("a/../../outside/secret.txt"), EXDEV);
  EXPECT_EQ(Open("a/b/../../../outside/secret.txt"), EXDEV);
  EXPECT_EQ(Open("a/../.."), EXDEV);
}

TEST_P(SandboxTest, AbsolutePathsRefused) {
  EXPECT_EQ(Open("/etc/passwd"), EXDEV);
  EXPECT_EQ(Open((outside_ / "secret.txt").string()), EXDEV);
  EXPECT_EQ(Open("/"), EXDEV);
}

TEST_P(SandboxTest, SymlinkToOutsideRefused) {
  EXPECT_EQ(Open("link_out/secret.txt"), EXDEV);
  EXPECT_EQ(Open("link_out", O_RDONLY | O_DIRECTORY), EXDEV);
  EXPECT_EQ(Open("link_rel_out/secret.txt"), EXDEV);
  EXPECT_EQ(Open("a/up/outside/secret.txt"), EXDEV);
  EXPECT_EQ(Open("a/up"), EXDEV);
  // Not following the final link opens nothing outside either.
  EXPECT_EQ(Open("link_out", O_RDONLY, /*follow=*/false), ELOOP);
  UniqueFd fd;
  ASSERT_EQ(Open("link_out", O_PATH, /*follow=*/false, &fd), 0);
  struct stat st;
  ASSERT_EQ(::fstat(fd.get(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode)); // the link itself, inside the root
}

TEST_P(SandboxTest, CreateThroughSymlinkToOutsideRefused) {
  EXPECT_EQ(Open("dangling_out", O_WRONLY | O_CREAT), EXDEV);
  EXPECT_EQ(Open("dangling_rel_out", O_WRONLY | O_CREAT), EXDEV);
  EXPECT_EQ(Open("link_out/new.txt", O_WRONLY | O_CREAT | O_EXCL), EXDEV);
  EXPECT_EQ(Open("link_out/secret.txt", O_WRONLY | O_TRUNC), EXDEV);
  EXPECT_FALSE(fs::exists(outside_ / "created.txt"));
  EXPECT_FALSE(fs::exists(outside_ / "created2.txt"));
  EXPECT_FALSE(fs::exists(outside_ / "new.txt"));
}

TEST_P(SandboxTest, DanglingSymlinkInside) {
  EXPECT_EQ(Open("dangling"), ENOENT);
  // O_CREAT through a dangling link creates its (inside) target.
  UniqueFd fd;
  ASSERT_EQ(Open("dangling", O_WRONLY | O_CREAT, true, &fd), 0);
  EXPECT_TRUE(fs::exists(root_ / "nonexistent"));
  // With O_EXCL a symlink is never followed.
  fs::remove(root_ / "nonexistent");
  EXPECT_EQ(Open("dangling", O_WRONLY | O_CREAT | O_EXCL), EEXIST);
}

TEST_P(SandboxTest, SymlinkLoopRefused) {
  EXPECT_EQ(Open("loop1"), ELOOP);
  EXPECT_EQ(Open("loop1/x"), ELOOP);
}

TEST_P(SandboxTest, BadPathsRefused) {
  EXPECT_EQ(Open(""), ENOENT);
  EXPECT_EQ(Open(std::string("a\0/../../outside", 16)), EINVAL);
  EXPECT_EQ(Open("a/b/file.txt/"), ENOTDIR);
  EXPECT_EQ(Open("a/b/file.txt/x"), ENOTDIR);
  EXPECT_EQ(Open(std::string(5000, 'a')), ENAMETOOLONG);
}

TEST_P(SandboxTest, OpenParent) {
  ParentDir p;
  ASSERT_EQ(resolver().OpenParent(root_fd_.get(), "a/b/file.txt", &p), 0);
  EXPECT_EQ(p.name, "file.txt");
  EXPECT_FALSE(p.trailing_slash);
  struct stat st;
  ASSERT_EQ(::fstatat(p.dir.get(), p.name.c_str(), &st, 0), 0);
  EXPECT_EQ(st.st_size, 6);

  ASSERT_EQ(resolver().OpenParent(root_fd_.get(), "newfile", &p), 0);
  EXPECT_EQ(p.name, "newfile");
  ASSERT_EQ(resolver().OpenParent(root_fd_.get(), "a/newdir//", &p), 0);
  EXPECT_EQ(p.name, "newdir");
  EXPECT_TRUE(p.trailing_slash);

  // A final ".." is resolved (and checked), then named ".".
  ASSERT_EQ(resolver().OpenParent(root_fd_.get(), "a/b/..", &p), 0);
  EXPECT_EQ(p.name, ".");
  struct stat a, d;
  ASSERT_EQ(::fstat(p.dir.get(), &d), 0);
  ASSERT_EQ(::stat((root_ / "a").c_str(), &a), 0);
  EXPECT_EQ(a.st_ino, d.st_ino);

  EXPECT_EQ(resolver().OpenParent(root_fd_.get(), "..", &p), EXDEV);
  EXPECT_EQ(resolver().OpenParent(root_fd_.get(), "a/../..", &p), EXDEV);
  EXPECT_EQ(resolver().OpenParent(root_fd_.get(), "../x", &p), EXDEV);
  EXPECT_EQ(resolver().OpenParent(root_fd_.get(), "/etc/passwd", &p), EXDEV);
  EXPECT_EQ(resolver().OpenParent(root_fd_.get(), "link_out/secret.txt", &p),
            EXDEV);
  EXPECT_EQ(resolver().OpenParent(root_fd_.get(), "a/up/x", &p), EXDEV);
  EXPECT_EQ(resolver().OpenParent(root_fd_.get(), "loop1/x", &p), ELOOP);
  EXPECT_EQ(resolver().OpenParent(root_fd_.get(), "", &p), ENOENT);

  // The final component is not followed: the link itself is named.
  ASSERT_EQ(resolver().OpenParent(root_fd_.get(), "link_out", &p), 0);
  EXPECT_EQ(p.name, "link_out");
  ASSERT_EQ(::fstatat(p.dir.get(), p.name.c_str(), &st, AT_SYMLINK_NOFOLLOW),
            0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  // Unlinking through the parent removes the link, not the target.
  ASSERT_EQ(::unlinkat(p.dir.get(), p.name.c_str(), 0), 0);
  EXPECT_TRUE(fs::exists(outside_ / "secret.txt"));
}

// A directory component is swapped with a symlink to the outside while the
// resolver walks through it: every open either fails or reaches the inside
// file, never the outside one.
TEST_P(SandboxTest, SymlinkSwapRaceNeverEscapes) {
  fs::create_directories(root_ / "swap");
  WriteFile(root_ / "swap" / "secret.txt", "INSIDE");
  fs::create_directory_symlink(outside_, root_ / "swap_alt");
  std::atomic<bool> stop{false};
  std::thread swapper([&] {
    const std::string a = (root_ / "swap").string();
    const std::string b = (root_ / "swap_alt").string();
    while (!stop.load()) {
      ::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE);
    }
  });
  int opened = 0, refused = 0;
  for (int i = 0; i < 3000; ++i) {
    UniqueFd fd;
    int err = Open("swap/secret.txt", O_RDONLY, true, &fd);
    if (err == 0) {
      ++opened;
      ASSERT_EQ(ReadFd(fd.get()), "INSIDE") << "escaped on iteration " << i;
    } else {
      ++refused;
      ASSERT_TRUE(err == EXDEV || err == ENOENT || err == EAGAIN ||
                  err == ENOTDIR)
          << "unexpected errno " << err;
    }
  }
  stop = true;
  swapper.join();
  EXPECT_GT(opened + refused, 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, SandboxTest,
                         ::testing::Values(PathBackend::kOpenat2,
                                           PathBackend::kWalk),
                         [](const auto& info) {
                           return info.param == PathBackend::kOpenat2
                                      ? std::string("Openat2")
                                      : std::string("Walk");
                         });

} // namespace
} // namespace weft::wasi
