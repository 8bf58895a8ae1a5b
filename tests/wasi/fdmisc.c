// The less common fd and path calls, mostly through the raw WASI API:
// renumber, fdstat flags and rights, advise, sync, readdir buffer
// truncation, readlink truncation, prestat name length, sched_yield,
// proc_raise. Preopen: /sandbox (read-write) as fd 3. stdin is a pipe.
// With argv[1] == "limit" it instead opens files until the fd limit.
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

static int failures = 0;
static void expect(const char* name, __wasi_errno_t got, __wasi_errno_t want) {
  if (got != want) {
    printf("FAIL %s: got %d want %d\n", name, got, want);
    ++failures;
  }
}
#define CHECK(cond, name)                                                      \
  do {                                                                         \
    if (!(cond)) {                                                             \
      printf("FAIL %s\n", name);                                               \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

static const __wasi_rights_t kFile =
    __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK |
    __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS |
    __WASI_RIGHTS_FD_ADVISE | __WASI_RIGHTS_FD_SYNC |
    __WASI_RIGHTS_FD_DATASYNC | __WASI_RIGHTS_FD_FILESTAT_GET |
    __WASI_RIGHTS_FD_FILESTAT_SET_SIZE | __WASI_RIGHTS_FD_FILESTAT_SET_TIMES;

static __wasi_fd_t open_file(const char* path, __wasi_oflags_t of) {
  __wasi_fd_t fd = (__wasi_fd_t)-1;
  expect(path, __wasi_path_open(3, 0, path, of, kFile, 0, 0, &fd), 0);
  return fd;
}

static __wasi_errno_t write_str(__wasi_fd_t fd, const char* s) {
  __wasi_ciovec_t iov = {(const uint8_t*)s, strlen(s)};
  __wasi_size_t n;
  return __wasi_fd_write(fd, &iov, 1, &n);
}

static int limit_mode(void) {
  int opened = 0;
  for (;;) {
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open(3, 0, ".", __WASI_OFLAGS_DIRECTORY,
                                        __WASI_RIGHTS_FD_READDIR, 0, 0, &fd);
    if (e) {
      printf("opened %d then errno %d\n", opened, e);
      return 0;
    }
    if (++opened > 100000) return 1;
  }
}

int main(int argc, char** argv) {
  if (argc > 1 && !strcmp(argv[1], "limit")) return limit_mode();
  __wasi_size_t n;
  char buf[256];

  // renumber: b's number now refers to a's file; a's number is free.
  __wasi_fd_t a = open_file("a.txt", __WASI_OFLAGS_CREAT);
  __wasi_fd_t b = open_file("b.txt", __WASI_OFLAGS_CREAT);
  expect("renumber", __wasi_fd_renumber(a, b), 0);
  expect("renumber gone", __wasi_fd_close(a), __WASI_ERRNO_BADF);
  expect("write renumbered", write_str(b, "into a"), 0);
  expect("renumber bad", __wasi_fd_renumber(b, 99), __WASI_ERRNO_BADF);
  expect("renumber from bad", __wasi_fd_renumber(99, b), __WASI_ERRNO_BADF);

  // fdstat: type, flags, rights; set_flags; set_rights only drops.
  __wasi_fdstat_t st;
  expect("fdstat", __wasi_fd_fdstat_get(b, &st), 0);
  CHECK(st.fs_filetype == __WASI_FILETYPE_REGULAR_FILE, "fdstat type");
  CHECK(st.fs_rights_base == kFile, "fdstat rights");
  expect("set append", __wasi_fd_fdstat_set_flags(b, __WASI_FDFLAGS_APPEND), 0);
  expect("fdstat 2", __wasi_fd_fdstat_get(b, &st), 0);
  CHECK(st.fs_flags == __WASI_FDFLAGS_APPEND, "append set");
  expect("set bad flags", __wasi_fd_fdstat_set_flags(b, 0x100),
         __WASI_ERRNO_INVAL);
  expect("set sync", __wasi_fd_fdstat_set_flags(b, __WASI_FDFLAGS_SYNC),
         __WASI_ERRNO_NOTSUP);
  expect("drop write",
         __wasi_fd_fdstat_set_rights(b, kFile & ~__WASI_RIGHTS_FD_WRITE, 0), 0);
  expect("write without right", write_str(b, "x"), __WASI_ERRNO_NOTCAPABLE);
  expect("regain write", __wasi_fd_fdstat_set_rights(b, kFile, 0),
         __WASI_ERRNO_NOTCAPABLE);
  expect("advise", __wasi_fd_advise(b, 0, 10, __WASI_ADVICE_WILLNEED), 0);
  expect("advise bad", __wasi_fd_advise(b, 0, 10, 9), __WASI_ERRNO_INVAL);
  expect("sync", __wasi_fd_sync(b), 0);
  expect("datasync", __wasi_fd_datasync(b), 0);
  expect("set size", __wasi_fd_filestat_set_size(b, 3), 0);
  __wasi_filestat_t fst;
  expect("filestat", __wasi_fd_filestat_get(b, &fst), 0);
  CHECK(fst.size == 3 && fst.filetype == __WASI_FILETYPE_REGULAR_FILE,
        "filestat size");
  expect("set times",
         __wasi_fd_filestat_set_times(b, 0, 2000000000ull * 1000000000ull,
                                      __WASI_FSTFLAGS_MTIM),
         0);
  expect("filestat 2", __wasi_fd_filestat_get(b, &fst), 0);
  CHECK(fst.mtim == 2000000000ull * 1000000000ull, "mtim");
  expect("set times conflict",
         __wasi_fd_filestat_set_times(
             b, 0, 0, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
         __WASI_ERRNO_INVAL);
  __wasi_filesize_t pos;
  expect("seek bad whence", __wasi_fd_seek(b, 0, 7, &pos), __WASI_ERRNO_INVAL);
  expect("seek", __wasi_fd_seek(b, 1, __WASI_WHENCE_SET, &pos), 0);
  expect("tell", __wasi_fd_tell(b, &pos), 0);
  CHECK(pos == 1, "tell value");
  expect("close", __wasi_fd_close(b), 0);

  // stdin is a pipe: no seeking, no flag changes on a shared description.
  expect("seek pipe", __wasi_fd_seek(0, 0, __WASI_WHENCE_SET, &pos),
         __WASI_ERRNO_NOTCAPABLE);
  expect("stdin flags", __wasi_fd_fdstat_set_flags(0, __WASI_FDFLAGS_NONBLOCK),
         __WASI_ERRNO_NOTCAPABLE);
  expect("stdin fdstat", __wasi_fd_fdstat_get(0, &st), 0);
  CHECK(!(st.fs_rights_base & __WASI_RIGHTS_FD_WRITE), "stdin not writable");
  expect("write stdin", write_str(0, "x"), __WASI_ERRNO_NOTCAPABLE);

  // readlink into a short buffer gets the start of the target.
  expect("symlink", __wasi_path_symlink("a.txt", 3, "lnk"), 0);
  memset(buf, 0, sizeof buf);
  expect("readlink short", __wasi_path_readlink(3, "lnk", (uint8_t*)buf, 3, &n),
         0);
  CHECK(n == 3 && !memcmp(buf, "a.t", 3), "readlink truncated");
  expect("readlink file",
         __wasi_path_readlink(3, "a.txt", (uint8_t*)buf, 9, &n),
         __WASI_ERRNO_INVAL);
  expect("lstat link", __wasi_path_filestat_get(3, 0, "lnk", &fst), 0);
  CHECK(fst.filetype == __WASI_FILETYPE_SYMBOLIC_LINK, "link type");
  expect("stat link",
         __wasi_path_filestat_get(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "lnk",
                                  &fst),
         0);
  CHECK(fst.filetype == __WASI_FILETYPE_REGULAR_FILE && fst.size == 3,
        "followed type");
  expect("unlink with slash", __wasi_path_unlink_file(3, "a.txt/"),
         __WASI_ERRNO_NOTDIR);

  // readdir: a buffer too small for one entry is filled completely
  // (bufused == buf_len), which tells the guest to retry bigger.
  uint8_t small[30];
  expect("readdir small", __wasi_fd_readdir(3, small, sizeof small, 0, &n), 0);
  CHECK(n == sizeof small, "readdir filled");
  uint8_t big[4096];
  expect("readdir", __wasi_fd_readdir(3, big, sizeof big, 0, &n), 0);
  int entries = 0;
  __wasi_dircookie_t second = 0;
  for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= n;) {
    __wasi_dirent_t d;
    memcpy(&d, big + off, sizeof d);
    if (entries == 0) second = d.d_next;
    off += sizeof d + d.d_namlen;
    ++entries;
  }
  CHECK(entries == 5, "readdir entries (. .. a.txt b.txt lnk)");
  expect("readdir from cookie",
         __wasi_fd_readdir(3, big, sizeof big, second, &n), 0);
  int rest = 0;
  for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= n;) {
    __wasi_dirent_t d;
    memcpy(&d, big + off, sizeof d);
    off += sizeof d + d.d_namlen;
    ++rest;
  }
  CHECK(rest == 4, "readdir resumes after the first entry");
  expect("readdir on file", __wasi_fd_readdir(0, big, 64, 0, &n),
         __WASI_ERRNO_NOTCAPABLE);

  // prestat.
  __wasi_prestat_t ps;
  expect("prestat", __wasi_fd_prestat_get(3, &ps), 0);
  CHECK(ps.tag == __WASI_PREOPENTYPE_DIR && ps.u.dir.pr_name_len == 8,
        "prestat len");
  expect("prestat name short", __wasi_fd_prestat_dir_name(3, (uint8_t*)buf, 4),
         __WASI_ERRNO_NAMETOOLONG);
  expect("prestat stdin", __wasi_fd_prestat_get(0, &ps), __WASI_ERRNO_BADF);

  expect("sched_yield", __wasi_sched_yield(), 0);
  expect("allocate zero", __wasi_fd_allocate(0, 0, 0), __WASI_ERRNO_NOTCAPABLE);
  expect("close preopen", __wasi_fd_close(3), 0);
  expect("preopen gone", __wasi_fd_prestat_get(3, &ps), __WASI_ERRNO_BADF);

  if (failures) return 1;
  printf("fdmisc ok\n");
  return 0;
}
