// The smallest weft function: a WAGI program (CGI for WebAssembly). It
// writes its response headers, a blank line and the body to stdout.
#include <stdio.h>

int main(void) {
  printf("Content-Type: text/plain\n\nhello from weft\n");
  return 0;
}
