// File-system operations inside the read-write preopen /sandbox. Prints
// "FAIL <step>" for each step that misbehaves and exits 1 if any did; the
// host test then checks the resulting tree.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures = 0;
#define CHECK(cond, what)                                                      \
  do {                                                                         \
    if (!(cond)) {                                                             \
      printf("FAIL %s (errno %d)\n", what, errno);                             \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

static int write_file(const char* path, const char* s) {
  FILE* f = fopen(path, "w");
  if (!f) return -1;
  size_t n = strlen(s);
  int ok = fwrite(s, 1, n, f) == n;
  return fclose(f) == 0 && ok ? 0 : -1;
}

static int read_file(const char* path, char* buf, size_t cap) {
  FILE* f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, cap - 1, f);
  buf[n] = 0;
  fclose(f);
  return (int)n;
}

int main(void) {
  char buf[256];
  struct stat st;
  CHECK(mkdir("/sandbox/dir1", 0755) == 0, "mkdir dir1");
  CHECK(mkdir("/sandbox/dir1", 0755) == -1 && errno == EEXIST, "mkdir again");
  CHECK(write_file("/sandbox/dir1/a.txt", "hello file\n") == 0, "create a.txt");
  CHECK(stat("/sandbox/dir1/a.txt", &st) == 0 && st.st_size == 11 &&
            S_ISREG(st.st_mode),
        "stat a.txt");

  int fd = open("/sandbox/dir1/a.txt", O_RDWR);
  CHECK(fd >= 0, "open rdwr");
  CHECK(lseek(fd, 0, SEEK_END) == 11, "seek end");
  CHECK(pwrite(fd, "J", 1, 0) == 1, "pwrite");
  CHECK(pread(fd, buf, 4, 1) == 4 && !memcmp(buf, "ello", 4), "pread");
  CHECK(lseek(fd, 0, SEEK_CUR) == 11, "pread/pwrite keep the offset");
  CHECK(ftruncate(fd, 5) == 0, "ftruncate");
  CHECK(fstat(fd, &st) == 0 && st.st_size == 5, "fstat after truncate");
  CHECK(fsync(fd) == 0 && fdatasync(fd) == 0, "fsync");
  CHECK(close(fd) == 0, "close");
  CHECK(close(fd) == -1 && errno == EBADF, "close twice");

  fd = open("/sandbox/dir1/a.txt", O_WRONLY | O_APPEND);
  CHECK(fd >= 0 && (fcntl(fd, F_GETFL) & O_APPEND), "append flag");
  CHECK(write(fd, "!!", 2) == 2, "append write");
  close(fd);
  CHECK(read_file("/sandbox/dir1/a.txt", buf, sizeof buf) == 7 &&
            !strcmp(buf, "Jello!!"),
        "content after append");

  CHECK(mkdir("/sandbox/dir2", 0755) == 0, "mkdir dir2");
  CHECK(rename("/sandbox/dir1/a.txt", "/sandbox/dir2/renamed.txt") == 0,
        "rename");
  CHECK(access("/sandbox/dir1/a.txt", F_OK) == -1 && errno == ENOENT,
        "old name gone");

  CHECK(symlink("dir2/renamed.txt", "/sandbox/lnk") == 0, "symlink");
  ssize_t n = readlink("/sandbox/lnk", buf, sizeof buf);
  CHECK(n == 16 && !memcmp(buf, "dir2/renamed.txt", 16), "readlink");
  CHECK(lstat("/sandbox/lnk", &st) == 0 && S_ISLNK(st.st_mode), "lstat link");
  CHECK(stat("/sandbox/lnk", &st) == 0 && S_ISREG(st.st_mode), "stat link");
  CHECK(read_file("/sandbox/lnk", buf, sizeof buf) == 7 &&
            !strcmp(buf, "Jello!!"),
        "read through link");

  CHECK(link("/sandbox/dir2/renamed.txt", "/sandbox/hard.txt") == 0, "link");
  CHECK(stat("/sandbox/hard.txt", &st) == 0 && st.st_nlink == 2, "nlink 2");

  CHECK(write_file("/sandbox/tmp.txt", "x") == 0, "create tmp");
  CHECK(unlink("/sandbox/tmp.txt") == 0, "unlink");
  CHECK(access("/sandbox/tmp.txt", F_OK) == -1 && errno == ENOENT,
        "unlinked gone");
  CHECK(unlink("/sandbox/dir2") == -1, "unlink a directory fails");

  CHECK(mkdir("/sandbox/sub", 0755) == 0 && rmdir("/sandbox/sub") == 0,
        "rmdir");
  CHECK(rmdir("/sandbox/dir2") == -1 && errno == ENOTEMPTY, "rmdir nonempty");
  CHECK(open("/sandbox/hard.txt", O_CREAT | O_EXCL | O_WRONLY, 0644) == -1 &&
            errno == EEXIST,
        "O_EXCL");
  CHECK(open("/sandbox/hard.txt", O_RDONLY | O_DIRECTORY) == -1 &&
            errno == ENOTDIR,
        "O_DIRECTORY on a file");
  CHECK(open("/sandbox/missing", O_RDONLY) == -1 && errno == ENOENT,
        "missing file");

  struct timespec times[2] = {{.tv_sec = 0, .tv_nsec = UTIME_OMIT},
                              {.tv_sec = 1000000000, .tv_nsec = 0}};
  CHECK(utimensat(AT_FDCWD, "/sandbox/dir2/renamed.txt", times, 0) == 0,
        "utimensat");
  CHECK(stat("/sandbox/dir2/renamed.txt", &st) == 0 &&
            st.st_mtim.tv_sec == 1000000000,
        "mtime set");

  fd = open("/sandbox/big.bin", O_CREAT | O_RDWR, 0644);
  CHECK(fd >= 0 && posix_fallocate(fd, 0, 100) == 0, "fallocate");
  CHECK(fstat(fd, &st) == 0 && st.st_size == 100, "fallocate size");
  CHECK(posix_fadvise(fd, 0, 100, POSIX_FADV_SEQUENTIAL) == 0, "fadvise");
  close(fd);

  CHECK(chdir("/sandbox/dir2") == 0, "chdir");
  CHECK(read_file("renamed.txt", buf, sizeof buf) == 7, "relative open");
  CHECK(chdir("/sandbox") == 0, "chdir back");

  // Directory listing with a cookie restart: count entries twice.
  DIR* d = opendir("/sandbox");
  int count = 0;
  while (readdir(d))
    ++count;
  rewinddir(d);
  int again = 0;
  while (readdir(d))
    ++again;
  closedir(d);
  // ., .., dir1, dir2, lnk, hard.txt, big.bin
  CHECK(count == 7 && again == 7, "readdir count");

  if (failures) return 1;
  printf("fileops ok\n");
  return 0;
}
