// Tries every way out of the preopens it can think of. Preopens: /sandbox
// (read-write) and /ro (read-only, holding readme.txt). argv[1] is the
// absolute host path of a file outside both. Each attempt prints
// "DENIED <name> <errno>" or "ESCAPED <name>"; the host test checks the
// lines and that nothing outside changed. Exits 1 if anything escaped.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

static int escapes = 0;
static int sandbox_fd = -1, ro_fd = -1;

static void report(const char* name, int failed, int err) {
  if (failed) {
    printf("DENIED %s %d\n", name, err);
  } else {
    printf("ESCAPED %s\n", name);
    ++escapes;
  }
}

// libc call returning -1 on failure.
static void expect_fail(const char* name, int rc) {
  report(name, rc == -1, rc == -1 ? errno : 0);
}

static void try_open(const char* name, const char* path, int flags) {
  int fd = open(path, flags, 0644);
  report(name, fd < 0, fd < 0 ? errno : 0);
  if (fd >= 0) close(fd);
}

// Raw WASI call returning an errno.
static void expect_err(const char* name, __wasi_errno_t e) {
  report(name, e != 0, e);
}

// Opens through the raw API with an explicit length (embedded NULs).
int32_t __imported_path_open(int32_t, int32_t, int32_t, int32_t, int32_t,
                             int64_t, int64_t, int32_t, int32_t)
    __attribute__((__import_module__("wasi_snapshot_preview1"),
                   __import_name__("path_open")));

static void find_preopens(void) {
  for (int fd = 3; fd < 16; ++fd) {
    __wasi_prestat_t ps;
    if (__wasi_fd_prestat_get(fd, &ps) != 0) continue;
    char name[64] = {0};
    if (ps.u.dir.pr_name_len >= sizeof name) continue;
    if (__wasi_fd_prestat_dir_name(fd, (uint8_t*)name, ps.u.dir.pr_name_len))
      continue;
    if (!strcmp(name, "/sandbox")) sandbox_fd = fd;
    if (!strcmp(name, "/ro")) ro_fd = fd;
  }
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const char* host_secret = argv[1];
  find_preopens();
  if (sandbox_fd < 0 || ro_fd < 0) {
    printf("preopens missing\n");
    return 2;
  }
  const __wasi_rights_t all = ~(__wasi_rights_t)0 >> 34; // 30 rights
  const __wasi_rights_t rd = __WASI_RIGHTS_FD_READ;
  __wasi_fd_t fd;
  struct stat st;
  char buf[256];

  // --- plain names outside -------------------------------------------------
  try_open("dotdot-open", "/sandbox/../outside/secret.txt", O_RDONLY);
  try_open("dot-dotdot-open", "/sandbox/./../outside/secret.txt", O_RDONLY);
  try_open("host-abs-open", host_secret, O_RDONLY);
  try_open("etc-passwd", "/etc/passwd", O_RDONLY);
  mkdir("/sandbox/a", 0755);
  try_open("nested-dotdot", "/sandbox/a/../../outside/secret.txt", O_RDONLY);
  try_open("dotdot-create", "/sandbox/../created.txt", O_WRONLY | O_CREAT);
  expect_err("raw-abs",
             __wasi_path_open(sandbox_fd, 0, "/etc/passwd", 0, rd, rd, 0, &fd));
  expect_err("raw-dotdot",
             __wasi_path_open(sandbox_fd, 0, "..", 0, rd, rd, 0, &fd));
  expect_err("raw-nul",
             (__wasi_errno_t)__imported_path_open(
                 sandbox_fd, 0, (int32_t) "a\0/../../outside/secret.txt", 27, 0,
                 (int64_t)rd, (int64_t)rd, 0, (int32_t)&fd));
  expect_err("raw-on-stdin", __wasi_path_open(0, 0, "x", 0, rd, rd, 0, &fd));
  expect_err("raw-bad-fd", __wasi_path_open(77, 0, "x", 0, rd, rd, 0, &fd));

  // --- symlinks --------------------------------------------------------------
  expect_fail("symlink-abs-target", symlink(host_secret, "/sandbox/evil_abs"));
  try_open("open-abs-link", "/sandbox/evil_abs", O_RDONLY);
  symlink("../outside/secret.txt", "/sandbox/evil_rel"); // allowed to exist
  try_open("open-rel-link", "/sandbox/evil_rel", O_RDONLY);
  try_open("write-rel-link", "/sandbox/evil_rel", O_WRONLY | O_TRUNC);
  symlink("../outside/new.txt", "/sandbox/evil_new");
  try_open("create-through-link", "/sandbox/evil_new", O_WRONLY | O_CREAT);
  symlink("..", "/sandbox/up");
  try_open("dir-link-up", "/sandbox/up/outside/secret.txt", O_RDONLY);
  symlink("a/../..", "/sandbox/up2");
  try_open("dir-link-up2", "/sandbox/up2/outside/secret.txt", O_RDONLY);
  symlink("up", "/sandbox/chain");
  try_open("link-chain", "/sandbox/chain/outside/secret.txt", O_RDONLY);
  symlink("loop", "/sandbox/loop");
  try_open("link-loop", "/sandbox/loop", O_RDONLY);
  expect_fail("stat-through-link", stat("/sandbox/evil_rel", &st));
  expect_fail("stat-dir-link-slash", lstat("/sandbox/up/", &st));
  expect_err("raw-stat-nofollow-slash",
             __wasi_path_filestat_get(sandbox_fd, 0, "up/", (void*)buf));
  // Explicit times: this wasi-libc's UTIME_NOW in <sys/stat.h> does not
  // match the value its utimensat() checks for.
  struct timespec times[2] = {{1, 0}, {1, 0}};
  expect_fail("utimes-through-link",
              utimensat(AT_FDCWD, "/sandbox/evil_rel", times, 0));
  expect_err("raw-utimes-nofollow-slash",
             __wasi_path_filestat_set_times(sandbox_fd, 0, "up/", 0, 0,
                                            __WASI_FSTFLAGS_MTIM_NOW));
  expect_fail("readlink-through-dir-link",
              (int)readlink("/sandbox/up/outside", buf, sizeof buf));
  expect_fail("opendir-dotdot", opendir("/sandbox/..") ? 0 : -1);
  expect_fail("opendir-link-up", opendir("/sandbox/up") ? 0 : -1);
  expect_fail("chdir-dotdot", chdir("/sandbox/.."));

  // --- name operations aimed outside ---------------------------------------
  FILE* f = fopen("/sandbox/inside.txt", "w");
  if (f) fclose(f);
  expect_fail("rename-out",
              rename("/sandbox/inside.txt", "/sandbox/../stolen"));
  expect_fail("rename-in",
              rename("/sandbox/../outside/secret.txt", "/sandbox/got.txt"));
  expect_fail("rename-via-link",
              rename("/sandbox/inside.txt", "/sandbox/up/stolen2"));
  expect_fail("link-in", link("/sandbox/../outside/secret.txt", "/sandbox/hl"));
  expect_err("raw-link-follow",
             __wasi_path_link(sandbox_fd, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW,
                              "evil_rel", sandbox_fd, "hl2"));
  expect_fail("link-out", link("/sandbox/inside.txt", "/sandbox/up/hl3"));
  expect_fail("unlink-out", unlink("/sandbox/../outside/secret.txt"));
  expect_fail("unlink-via-link", unlink("/sandbox/up/outside/secret.txt"));
  expect_fail("mkdir-out", mkdir("/sandbox/../newdir", 0755));
  expect_fail("mkdir-via-link", mkdir("/sandbox/up/newdir2", 0755));
  expect_fail("rmdir-dotdot", rmdir("/sandbox/.."));
  expect_fail("rmdir-via-link", rmdir("/sandbox/up/outside"));
  expect_fail("symlink-out", symlink("x", "/sandbox/../evil_link"));
  expect_err("raw-rmdir-root-dotdot",
             __wasi_path_remove_directory(sandbox_fd, "a/../.."));

  // --- the read-only preopen ------------------------------------------------
  int rfd = open("/ro/readme.txt", O_RDONLY);
  int ok = rfd >= 0 && read(rfd, buf, 8) == 8 && !memcmp(buf, "READONLY", 8);
  printf("%s ro-read\n", ok ? "OK" : "BROKEN");
  if (rfd >= 0) {
    expect_fail("ro-write-on-read-fd", (int)write(rfd, "x", 1));
    expect_fail("ro-ftruncate", ftruncate(rfd, 0));
    close(rfd);
  }
  try_open("ro-trunc", "/ro/readme.txt", O_WRONLY | O_TRUNC);
  try_open("ro-create", "/ro/new.txt", O_WRONLY | O_CREAT);
  int wfd = open("/ro/readme.txt", O_WRONLY);
  expect_fail("ro-write", wfd < 0 ? -1 : (int)write(wfd, "x", 1));
  if (wfd >= 0) close(wfd);
  int afd = open("/ro/readme.txt", O_WRONLY | O_APPEND);
  expect_fail("ro-append", afd < 0 ? -1 : (int)write(afd, "x", 1));
  if (afd >= 0) close(afd);
  expect_fail("ro-unlink", unlink("/ro/readme.txt"));
  expect_fail("ro-mkdir", mkdir("/ro/d", 0755));
  expect_fail("ro-rename", rename("/ro/readme.txt", "/ro/x.txt"));
  expect_fail("ro-rename-out", rename("/ro/readme.txt", "/sandbox/x.txt"));
  expect_fail("ro-rename-in", rename("/sandbox/inside.txt", "/ro/in.txt"));
  expect_fail("ro-symlink", symlink("readme.txt", "/ro/l"));
  expect_fail("ro-link", link("/ro/readme.txt", "/ro/l2"));
  expect_fail("ro-utimes", utimensat(AT_FDCWD, "/ro/readme.txt", times, 0));
  expect_fail("ro-truncate", truncate("/ro/readme.txt", 0));
  expect_err("ro-raw-rights",
             __wasi_path_open(ro_fd, 0, "readme.txt", 0, __WASI_RIGHTS_FD_WRITE,
                              0, 0, &fd));
  expect_err("ro-raw-creat",
             __wasi_path_open(ro_fd, 0, "c.txt", __WASI_OFLAGS_CREAT,
                              __WASI_RIGHTS_FD_READ, 0, 0, &fd));
  expect_err("ro-gain-rights", __wasi_fd_fdstat_set_rights(ro_fd, all, all));

  if (escapes) return 1;
  printf("no escapes\n");
  return 0;
}
