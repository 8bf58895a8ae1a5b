// A wasi:cli command written against the canonical ABI directly: no libc,
// no preview1 adapter. It asks wasi:cli/environment for its arguments,
// writes "direct: ARG1 ARG2 ...\n" to stdout through
// output-stream.blocking-write-and-flush, drops the stream and returns
// ok from wasi:cli/run#run (err when it has no argument).
//
// Built with clang --target=wasm32-unknown-unknown -nostdlib, then
// `jco embed --wit direct/` and `jco new`.
#include <stddef.h>
#include <stdint.h>

#define IMPORT(module, name)                                                   \
  __attribute__((import_module(module), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

// wasi:cli/stdout.get-stdout: func() -> own<output-stream>
IMPORT("wasi:cli/stdout@0.2.12", "get-stdout") int32_t get_stdout(void);
// [method]output-stream.blocking-write-and-flush:
//   func(self: borrow<output-stream>, contents: list<u8>)
//     -> result<_, stream-error>
// flat params (i32 self, i32 ptr, i32 len) + the return area pointer.
IMPORT("wasi:io/streams@0.2.12",
       "[method]output-stream.blocking-write-and-flush")
void stream_write(int32_t self, const void* ptr, size_t len, void* ret);
IMPORT("wasi:io/streams@0.2.12", "[resource-drop]output-stream")
void stream_drop(int32_t self);
// wasi:cli/environment.get-arguments: func() -> list<string>
IMPORT("wasi:cli/environment@0.2.12", "get-arguments")
void get_arguments(void* ret);

// The compiler may emit calls to these for copies and loops; there is no
// libc to provide them.
void* memcpy(void* dst, const void* src, size_t n) {
  uint8_t* d = dst;
  const uint8_t* s = src;
  while (n--)
    *d++ = *s++;
  return dst;
}
void* memset(void* dst, int c, size_t n) {
  uint8_t* d = dst;
  while (n--)
    *d++ = (uint8_t)c;
  return dst;
}

// A bump allocator for the host's realloc calls (the argument list).
static uint8_t heap[65536];
static size_t heap_used;

EXPORT("cabi_realloc")
void* cabi_realloc(void* old, size_t old_size, size_t align, size_t size) {
  size_t at = (heap_used + align - 1) & ~(align - 1);
  if (at + size > sizeof heap) __builtin_trap();
  uint8_t* p = heap + at;
  heap_used = at + size;
  if (old) {
    const uint8_t* from = old;
    for (size_t i = 0; i < old_size && i < size; i++)
      p[i] = from[i];
  }
  return p;
}

static char out[4096];
static size_t out_len;

static void put(const char* s, size_t n) {
  for (size_t i = 0; i < n && out_len < sizeof out; i++)
    out[out_len++] = s[i];
}

struct str {
  const char* ptr;
  size_t len;
};

EXPORT("wasi:cli/run@0.2.12#run") int32_t run(void) {
  struct {
    struct str* ptr;
    size_t len;
  } args;
  get_arguments(&args);
  put("direct:", 7);
  for (size_t i = 1; i < args.len; i++) {
    put(" ", 1);
    put(args.ptr[i].ptr, args.ptr[i].len);
  }
  put("\n", 1);
  int32_t stdout_handle = get_stdout();
  // result<_, stream-error>: a discriminant byte, then the error's payload
  // (a variant: last-operation-failed(own<error>) or closed).
  uint8_t ret[12] __attribute__((aligned(4)));
  stream_write(stdout_handle, out, out_len, ret);
  stream_drop(stdout_handle);
  if (ret[0] != 0) return 1;   // err
  return args.len > 1 ? 0 : 1; // result<_, _>: 0 ok, 1 err
}
