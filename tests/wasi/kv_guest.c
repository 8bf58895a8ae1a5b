// Guest for caps_imports_test: exercises the "weft" imports through
// sdk/c/weft.h and prints one "name=value" line per result. argv[1] picks
// the scenario; argv[2] is the URL for "http".
#include <stdio.h>
#include <string.h>

#include "weft.h"

// An address far outside any memory this program has.
#define BAD ((void*)0xfffffff0u)

static int kv(void) {
  weft_kv_t h = 0;
  printf("open=%d\n", (int)weft_kv_open("default", &h));
  printf("handle_nonzero=%d\n", h != 0);
  printf("set=%d\n", (int)weft_kv_set_str(h, "user:1", "alice"));
  printf("set2=%d\n", (int)weft_kv_set_str(h, "user:2", "bob"));
  printf("set3=%d\n", (int)weft_kv_set_str(h, "other", "x"));
  char buf[64];
  size_t len = 0;
  printf("get=%d\n", (int)weft_kv_get_str(h, "user:1", buf, sizeof buf, &len));
  printf("value=%s len=%zu\n", buf, len);
  len = 0;
  printf("get_small=%d needed=%zu\n",
         (int)weft_kv_get_raw(h, "user:1", 6, buf, 2, &len), len);
  printf("get_missing=%d\n",
         (int)weft_kv_get_str(h, "nope", buf, sizeof buf, NULL));
  char keys[64];
  len = 0;
  int32_t rc = weft_kv_list_raw(h, "user:", 5, keys, sizeof keys, &len);
  printf("list=%d len=%zu keys=", (int)rc, len);
  for (size_t i = 0; i < len; ++i)
    putchar(keys[i] ? keys[i] : ',');
  putchar('\n');
  printf("delete=%d\n", (int)weft_kv_delete(h, "user:1"));
  printf("get_deleted=%d\n",
         (int)weft_kv_get_str(h, "user:1", buf, sizeof buf, NULL));
  weft_kv_t h2 = 0;
  printf("open_denied=%d handle=%u\n", (int)weft_kv_open("secret", &h2),
         (unsigned)h2);
  printf("open_bad_name=%d\n", (int)weft_kv_open("../default", &h2));
  printf("bad_handle=%d\n", (int)weft_kv_set_str(h + 7, "k", "v"));
  printf("key_too_long=%d\n",
         (int)weft_kv_set_raw(h, buf, WEFT_KV_MAX_KEY + 1, "v", 1));
  return 0;
}

static int counter(void) {
  weft_kv_t h;
  if (weft_kv_open("default", &h) != WEFT_OK) return 1;
  char buf[32];
  int n = 0;
  if (weft_kv_get_str(h, "count", buf, sizeof buf, NULL) == WEFT_OK)
    sscanf(buf, "%d", &n);
  snprintf(buf, sizeof buf, "%d", n + 1);
  if (weft_kv_set_str(h, "count", buf) != WEFT_OK) return 2;
  printf("count=%d\n", n + 1);
  return 0;
}

static int fault(void) {
  weft_kv_t h = 0;
  char buf[16];
  size_t len = 0;
  printf("open_bad_name_ptr=%d\n", (int)weft_kv_open_raw(BAD, 7, &h));
  printf("open_bad_out=%d\n", (int)weft_kv_open_raw("default", 7, BAD));
  weft_kv_open("default", &h);
  printf("get_bad_key=%d\n", (int)weft_kv_get_raw(h, BAD, 4, buf, 16, &len));
  printf("get_bad_buf=%d\n", (int)weft_kv_get_raw(h, "k", 1, BAD, 64, &len));
  printf("get_bad_len=%d\n", (int)weft_kv_get_raw(h, "k", 1, buf, 16, BAD));
  printf("get_wrapping=%d\n",
         (int)weft_kv_get_raw(h, "k", 0xffffffffu, buf, 16, &len));
  printf("set_bad_value=%d\n", (int)weft_kv_set_raw(h, "k", 1, BAD, 100));
  printf("log_bad=%d\n", (int)weft_log_raw(WEFT_LOG_INFO, BAD, 100));
  printf("config_bad_buf=%d\n",
         (int)weft_config_get_raw("greeting", 8, BAD, 64, &len));
  printf("still_running=1\n");
  return 0;
}

static int config(void) {
  char buf[64];
  printf("greeting=%d", (int)weft_config_get("greeting", buf, sizeof buf));
  printf(" value=%s\n", buf);
  printf("missing=%d\n", (int)weft_config_get("nope", buf, sizeof buf));
  size_t len = 0;
  printf("small=%d", (int)weft_config_get_raw("greeting", 8, buf, 1, &len));
  printf(" needed=%zu\n", len);
  return 0;
}

static int http(const char* url) {
  static char body[4096];
  uint32_t status = 0;
  size_t len = 0;
  int32_t rc = weft_http_get(url, body, sizeof body, &status, &len);
  printf("get=%d status=%u len=%zu body=%s\n", (int)rc, (unsigned)status, len,
         rc == WEFT_OK ? body : "");
  const char* hdrs = "X-Test: yes\nContent-Type: text/plain\n";
  status = 0;
  rc =
      weft_http_request_raw("POST", 4, url, strlen(url), hdrs, strlen(hdrs),
                            "payload", 7, body, sizeof body - 1, &status, &len);
  if (rc == WEFT_OK) body[len] = 0;
  printf("post=%d status=%u body=%s\n", (int)rc, (unsigned)status,
         rc == WEFT_OK ? body : "");
  rc = weft_http_request_raw("GET", 3, url, strlen(url), "", 0, "", 0, body, 2,
                             &status, &len);
  printf("small=%d\n", (int)rc);
  return 0;
}

static int logs(void) {
  printf("info=%d\n", (int)weft_log(WEFT_LOG_INFO, "hello from guest\n"));
  printf("error=%d\n", (int)weft_log(WEFT_LOG_ERROR, "bad thing"));
  printf("bad_level=%d\n", (int)weft_log(7, "x"));
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) return 64;
  if (!strcmp(argv[1], "kv")) return kv();
  if (!strcmp(argv[1], "counter")) return counter();
  if (!strcmp(argv[1], "fault")) return fault();
  if (!strcmp(argv[1], "config")) return config();
  if (!strcmp(argv[1], "http") && argc > 2) return http(argv[2]);
  if (!strcmp(argv[1], "log")) return logs();
  return 65;
}
