// WAGI guest: echoes the request (method, path info, query, one header,
// the body read from stdin). "?status" answers 201 through the CGI Status
// header; "?redirect" answers with a Location header only.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char* env(const char* name) {
  const char* v = getenv(name);
  return v ? v : "(unset)";
}

int main(void) {
  const char* query = env("QUERY_STRING");
  if (strcmp(query, "redirect") == 0) {
    printf("Location: /elsewhere\n\n");
    return 0;
  }
  if (strcmp(query, "status") == 0) printf("Status: 201 Created\n");
  printf("Content-Type: text/plain\nX-Echo: yes\n\n");
  printf("method=%s\n", env("REQUEST_METHOD"));
  printf("script_name=%s\n", env("SCRIPT_NAME"));
  printf("path_info=%s\n", env("PATH_INFO"));
  printf("query=%s\n", query);
  printf("route=%s\n", env("X_MATCHED_ROUTE"));
  printf("full_url=%s\n", env("X_FULL_URL"));
  printf("content_length=%s\n", env("CONTENT_LENGTH"));
  printf("x_test=%s\n", env("HTTP_X_TEST"));
  printf("greeting=%s\n", env("GREETING"));
  printf("body=");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
    fwrite(buf, 1, n, stdout);
  printf("\n");
  fprintf(stderr, "echo served %s\n", env("REQUEST_METHOD"));
  return 0;
}
