// hello-wasi: a tiny WASI program for `weft run`.
//
//   weft run --env NAME=Ada --dir ./guests::/data hello-wasi.wasm first second
//
// Greets $NAME (the guest sees only the variables given with --env), prints
// its arguments, and when a directory is preopened as /data (--dir
// HOST::/data), signs /data/guestbook.txt there and prints it.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  const char* name = getenv("NAME");
  printf("hello, %s!\n", name ? name : "world");
  for (int i = 1; i < argc; ++i)
    printf("argument %d: %s\n", i, argv[i]);

  FILE* book = fopen("/data/guestbook.txt", "a");
  if (!book) {
    printf(
        "no guestbook (preopen a directory as /data with --dir DIR::/data)\n");
    return 0;
  }
  fprintf(book, "%s was here\n", name ? name : "someone");
  fclose(book);
  book = fopen("/data/guestbook.txt", "r");
  if (!book) return 1;
  printf("guestbook:\n");
  char line[256];
  while (fgets(line, sizeof line, book))
    printf("  %s", line);
  fclose(book);
  return 0;
}
