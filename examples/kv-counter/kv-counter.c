// kv-counter: a WAGI function that counts its visits in the KV store
// "default" (granted by weft.toml), using the weft C SDK (sdk/c/weft.h).
//
//   weft serve examples/kv-counter      # then: curl localhost:3000/
//
// Each request reads "count", adds one, writes it back and answers
// "visits: N". The count lives in the server's data directory
// (.weft/data/default.sqlite), so it survives a restart, or on a Redis or
// NATS server shared by several weft processes (`weft serve
// --kv-backend`, docs/kv.md). Two requests at the same moment may read the
// same count (get + set is not atomic, on any backend).
#include <stdio.h>
#include <stdlib.h>

#include "weft.h"

static int fail(const char* what, int32_t rc) {
  char msg[96];
  snprintf(msg, sizeof msg, "kv-counter: %s failed with %d", what, (int)rc);
  weft_log(WEFT_LOG_ERROR, msg);
  printf("Status: 500\nContent-Type: text/plain\n\n%s\n", msg);
  return 0;
}

int main(void) {
  weft_kv_t kv;
  int32_t rc = weft_kv_open("default", &kv);
  if (rc != WEFT_OK) return fail("kv_open", rc);

  char buf[32];
  long count = 0;
  rc = weft_kv_get_str(kv, "count", buf, sizeof buf, NULL);
  if (rc == WEFT_OK)
    count = strtol(buf, NULL, 10);
  else if (rc != WEFT_ERR_NOT_FOUND)
    return fail("kv_get", rc);

  ++count;
  snprintf(buf, sizeof buf, "%ld", count);
  rc = weft_kv_set_str(kv, "count", buf);
  if (rc != WEFT_OK) return fail("kv_set", rc);

  printf("Content-Type: text/plain\n\nvisits: %ld\n", count);
  return 0;
}
