// ls: lists the directory argv[1], sorted, one "<type> <name>" per line
// (d: directory, f: regular file, l: symlink), skipping "." and "..".
// Reads through a tiny buffer first so fd_readdir's cookies are exercised.
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  DIR* d = opendir(argv[1]);
  if (!d) {
    perror("opendir");
    return 1;
  }
  char* names[512];
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) && n < 512) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char t = e->d_type == DT_DIR   ? 'd'
             : e->d_type == DT_REG ? 'f'
             : e->d_type == DT_LNK ? 'l'
                                   : '?';
    size_t len = strlen(e->d_name);
    names[n] = malloc(len + 3);
    names[n][0] = t;
    names[n][1] = ' ';
    memcpy(names[n] + 2, e->d_name, len + 1);
    ++n;
  }
  closedir(d);
  qsort(names, (size_t)n, sizeof names[0], cmp);
  for (int i = 0; i < n; ++i)
    printf("%s\n", names[i]);
  printf("total %d\n", n);
  return 0;
}
