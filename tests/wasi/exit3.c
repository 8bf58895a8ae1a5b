// Writes a line, then exits with status 3 through proc_exit.
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  printf("before exit\n");
  exit(3);
}
