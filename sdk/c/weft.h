/* weft.h: the C SDK for weft guests (wasm32-wasi), header-only.
 *
 * A guest reaches the platform's capabilities through host imports of
 * module "weft". Every function returns an int32_t status: WEFT_OK (0) or a
 * negative WEFT_ERR_* code. Strings are (pointer, length) pairs, never
 * NUL-terminated on the wire. A pointer/length outside the guest's linear
 * memory returns WEFT_ERR_FAULT (the guest is not trapped). Outputs are
 * written only on success, except that WEFT_ERR_BUFFER_TOO_SMALL stores
 * the size needed in *len_out (call again with a buffer that large).
 *
 *   KV        the stores a function may open are listed in its manifest
 *             (`kv = ["default"]`); others give WEFT_ERR_FORBIDDEN. Keys are
 *             1..256 bytes without NUL, values up to 1 MiB
 *             (WEFT_KV_MAX_KEY / WEFT_KV_MAX_VALUE). Store names are 1..64
 *             characters of [A-Za-z0-9_-]. A handle is valid for the current
 *             request only; at most 16 stores are open per request.
 *   config    the manifest's [variables] (defaults, overridden by the
 *             server's WEFT_VAR_<NAME>); an undeclared name gives
 *             WEFT_ERR_NOT_FOUND. Values are never logged by the host.
 *   HTTP      outbound requests only to origins in the function's
 *             `allowed_outbound_hosts` (WEFT_ERR_FORBIDDEN otherwise);
 *             http:// and https:// (certificates verified against the
 *             system trust store and `weft serve --outbound-ca`). A TLS
 *             failure (untrusted or misnamed certificate, failed
 *             handshake, a peer that does not speak TLS) gives
 *             WEFT_ERR_TLS; a connection refused or reset, WEFT_ERR_IO.
 *   log       a record tagged with the function and request id.
 *
 * Build: clang --target=wasm32-wasi --sysroot=... -I<weft>/sdk/c app.c
 */
#ifndef WEFT_SDK_WEFT_H
#define WEFT_SDK_WEFT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes. */
#define WEFT_OK 0
#define WEFT_ERR_NOT_FOUND (-1)         /* no such key / variable */
#define WEFT_ERR_BUFFER_TOO_SMALL (-2)  /* *len_out = size needed */
#define WEFT_ERR_FORBIDDEN (-3)         /* store or host not granted */
#define WEFT_ERR_INVALID (-4)           /* bad name, key, handle, url, level */
#define WEFT_ERR_TOO_LARGE (-5)         /* value > 1 MiB, response too big */
#define WEFT_ERR_FAULT (-6)             /* pointer/length outside memory */
#define WEFT_ERR_UNSUPPORTED (-7)       /* not offered by this host */
#define WEFT_ERR_IO (-8)                /* storage or network failure */
#define WEFT_ERR_TIMEOUT (-9)           /* outbound request timed out */
#define WEFT_ERR_UNAVAILABLE (-10)      /* capability not configured */
#define WEFT_ERR_TOO_MANY_HANDLES (-11) /* > 16 stores open */
#define WEFT_ERR_TLS (-12)              /* outbound TLS handshake/cert failed */

#define WEFT_KV_MAX_KEY 256
#define WEFT_KV_MAX_VALUE (1024 * 1024)

#define WEFT_LOG_DEBUG 0
#define WEFT_LOG_INFO 1
#define WEFT_LOG_WARN 2
#define WEFT_LOG_ERROR 3

typedef uint32_t weft_kv_t; /* a store handle; never 0 when valid */

#define WEFT_IMPORT(name)                                                      \
  __attribute__((import_module("weft"), import_name(#name)))

/* ---- raw imports --------------------------------------------------------- */

/* Opens a granted store; *handle_out receives its handle. */
WEFT_IMPORT(kv_open)
int32_t weft_kv_open_raw(const char* name, size_t name_len,
                         weft_kv_t* handle_out);
/* Copies the value into buf; *len_out = its length. */
WEFT_IMPORT(kv_get)
int32_t weft_kv_get_raw(weft_kv_t kv, const char* key, size_t key_len,
                        void* buf, size_t cap, size_t* len_out);
WEFT_IMPORT(kv_set)
int32_t weft_kv_set_raw(weft_kv_t kv, const char* key, size_t key_len,
                        const void* value, size_t value_len);
/* Deleting a missing key is WEFT_OK. */
WEFT_IMPORT(kv_delete)
int32_t weft_kv_delete_raw(weft_kv_t kv, const char* key, size_t key_len);
/* Keys starting with prefix (empty: all), in byte order, each followed by
 * a NUL byte: "a\0b\0". */
WEFT_IMPORT(kv_list)
int32_t weft_kv_list_raw(weft_kv_t kv, const char* prefix, size_t prefix_len,
                         char* buf, size_t cap, size_t* len_out);
WEFT_IMPORT(config_get)
int32_t weft_config_get_raw(const char* name, size_t name_len, char* buf,
                            size_t cap, size_t* len_out);
/* headers: "Name: value\n" lines (may be empty). On WEFT_OK, *status_out
 * is the HTTP status and buf holds the response body (*len_out bytes). On
 * WEFT_ERR_BUFFER_TOO_SMALL the request was made, *status_out is set and
 * *len_out says how large the body is. */
WEFT_IMPORT(http_request)
int32_t weft_http_request_raw(const char* method, size_t method_len,
                              const char* url, size_t url_len,
                              const char* headers, size_t headers_len,
                              const void* body, size_t body_len, void* buf,
                              size_t cap, uint32_t* status_out,
                              size_t* len_out);
WEFT_IMPORT(log)
int32_t weft_log_raw(uint32_t level, const char* msg, size_t msg_len);

#undef WEFT_IMPORT

/* ---- convenience wrappers (NUL-terminated strings) ------------------------
 */

static inline int32_t weft_kv_open(const char* name, weft_kv_t* kv) {
  return weft_kv_open_raw(name, strlen(name), kv);
}

/* Reads a value into buf and NUL-terminates it (cap includes the NUL). */
static inline int32_t weft_kv_get_str(weft_kv_t kv, const char* key, char* buf,
                                      size_t cap, size_t* len_out) {
  size_t len = 0;
  if (cap == 0) return WEFT_ERR_BUFFER_TOO_SMALL;
  int32_t rc = weft_kv_get_raw(kv, key, strlen(key), buf, cap - 1, &len);
  if (len_out) *len_out = len;
  if (rc == WEFT_OK) buf[len] = '\0';
  return rc;
}

static inline int32_t weft_kv_set_str(weft_kv_t kv, const char* key,
                                      const char* value) {
  return weft_kv_set_raw(kv, key, strlen(key), value, strlen(value));
}

static inline int32_t weft_kv_delete(weft_kv_t kv, const char* key) {
  return weft_kv_delete_raw(kv, key, strlen(key));
}

/* Reads variable `name` into buf, NUL-terminated (cap includes the NUL). */
static inline int32_t weft_config_get(const char* name, char* buf, size_t cap) {
  size_t len = 0;
  if (cap == 0) return WEFT_ERR_BUFFER_TOO_SMALL;
  int32_t rc = weft_config_get_raw(name, strlen(name), buf, cap - 1, &len);
  if (rc == WEFT_OK) buf[len] = '\0';
  return rc;
}

/* A GET with no headers; the body is NUL-terminated in buf. */
static inline int32_t weft_http_get(const char* url, char* buf, size_t cap,
                                    uint32_t* status_out, size_t* len_out) {
  size_t len = 0;
  if (cap == 0) return WEFT_ERR_BUFFER_TOO_SMALL;
  int32_t rc = weft_http_request_raw("GET", 3, url, strlen(url), "", 0, "", 0,
                                     buf, cap - 1, status_out, &len);
  if (len_out) *len_out = len;
  if (rc == WEFT_OK) buf[len] = '\0';
  return rc;
}

static inline int32_t weft_log(uint32_t level, const char* msg) {
  return weft_log_raw(level, msg, strlen(msg));
}

#ifdef __cplusplus
}
#endif

#endif /* WEFT_SDK_WEFT_H */
