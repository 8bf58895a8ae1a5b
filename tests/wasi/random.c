// random_get: two 64-byte draws are neither all zero nor equal.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  unsigned char a[64], b[64], zero[64] = {0};
  if (getentropy(a, sizeof a) || getentropy(b, sizeof b)) {
    printf("getentropy failed\n");
    return 1;
  }
  if (!memcmp(a, zero, 64) || !memcmp(b, zero, 64) || !memcmp(a, b, 64)) {
    printf("not random\n");
    return 1;
  }
  // A large draw (more than one getrandom call's worth on some hosts).
  static unsigned char big[1 << 20];
  if (getentropy(big, 256)) return 1;
  printf("random ok\n");
  return 0;
}
