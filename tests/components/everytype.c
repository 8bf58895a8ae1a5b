// The `everytype` world (everytype/world.wit) implemented against the
// canonical ABI by hand: no wit-bindgen, no libc. Each export's core
// signature is the flattening CanonicalABI.md gives its WIT type: at most
// 16 flat params (else one pointer to them), at most one flat result (else
// the function returns a pointer to a static return area, which the host
// reads before post-return runs).
//
// Memory: a bump heap for cabi_realloc and the results; post-return resets
// it, so a host that never calls post-return runs out of heap (and traps)
// after a few thousand calls.
#include <stddef.h>
#include <stdint.h>

#define IMPORT(module, name)                                                   \
  __attribute__((import_module(module), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))
#define API "weft:everytype/api#"
#define POST(name) EXPORT("cabi_post_" API name)

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

static uint8_t heap[1 << 20];
static size_t heap_used;

EXPORT("cabi_realloc")
void* cabi_realloc(void* old, size_t old_size, size_t align, size_t size) {
  if (align == 0 || (align & (align - 1)) != 0) __builtin_trap();
  size_t at = (heap_used + align - 1) & ~(align - 1);
  if (at > sizeof heap || size > sizeof heap - at) __builtin_trap();
  uint8_t* p = heap + at;
  heap_used = at + size;
  if (old) memcpy(p, old, old_size < size ? old_size : size);
  return p;
}
static void* alloc(size_t size, size_t align) {
  return cabi_realloc(NULL, 0, align, size);
}
static void reset_heap(void) { heap_used = 0; }

// A return area for results that do not fit one flat value.
static uint64_t ret_area[4];
#define RET ((uint8_t*)ret_area)

struct str {
  const char* ptr;
  size_t len;
};

// ---- scalars ----------------------------------------------------------
EXPORT(API "not") int32_t api_not(int32_t v) { return !v; }
EXPORT(API "neg-s8") int32_t neg_s8(int32_t v) { return (int8_t) - (int8_t)v; }
EXPORT(API "inc-u8") int32_t inc_u8(int32_t v) { return (uint8_t)(v + 1); }
EXPORT(API "neg-s16") int32_t neg_s16(int32_t v) {
  return (int16_t) - (int16_t)v;
}
EXPORT(API "inc-u16") int32_t inc_u16(int32_t v) { return (uint16_t)(v + 1); }
EXPORT(API "neg-s32") int32_t neg_s32(int32_t v) {
  return (int32_t)(0u - (uint32_t)v);
}
EXPORT(API "inc-u32") int32_t inc_u32(int32_t v) {
  return (int32_t)((uint32_t)v + 1);
}
EXPORT(API "neg-s64") int64_t neg_s64(int64_t v) {
  return (int64_t)(0ull - (uint64_t)v);
}
EXPORT(API "inc-u64") int64_t inc_u64(int64_t v) {
  return (int64_t)((uint64_t)v + 1);
}

// tuple<s8, u8, s16, u16, s32, u32, s64, u64>: offsets 0 1 2 4 8 12 16 24.
EXPORT(API "ints")
uint8_t* ints(int32_t a, int32_t b, int32_t c, int32_t d, int32_t e, int32_t f,
              int64_t g, int64_t h) {
  *(int8_t*)(RET + 0) = (int8_t) - (int8_t)a;
  *(uint8_t*)(RET + 1) = (uint8_t)(b + 1);
  *(int16_t*)(RET + 2) = (int16_t) - (int16_t)c;
  *(uint16_t*)(RET + 4) = (uint16_t)(d + 1);
  *(int32_t*)(RET + 8) = (int32_t)(0u - (uint32_t)e);
  *(uint32_t*)(RET + 12) = (uint32_t)f + 1;
  *(int64_t*)(RET + 16) = (int64_t)(0ull - (uint64_t)g);
  *(uint64_t*)(RET + 24) = (uint64_t)h + 1;
  return RET;
}

EXPORT(API "mul-f32") float mul_f32(float a, float b) { return a * b; }
EXPORT(API "mul-f64") double mul_f64(double a, double b) { return a * b; }
EXPORT(API "next-char") int32_t next_char(int32_t c) {
  // Skip the surrogate range: the result must be a valid char.
  return c == 0xD7FF ? 0xE000 : c + 1;
}
EXPORT("add") int32_t add(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a + (uint32_t)b);
}

// ---- strings and lists ------------------------------------------------
EXPORT(API "greet") uint8_t* greet(const char* name, size_t len) {
  static const char pre[] = "hello, ";
  size_t n = sizeof pre - 1;
  char* out = alloc(n + len + 1, 1);
  memcpy(out, pre, n);
  memcpy(out + n, name, len);
  out[n + len] = '!';
  ((struct str*)RET)->ptr = out;
  ((struct str*)RET)->len = n + len + 1;
  return RET;
}
POST("greet") void greet_post(uint8_t* r) {
  (void)r;
  reset_heap();
}

// Code points in a UTF-8 string (the host guarantees it is valid).
EXPORT(API "count-chars") int32_t count_chars(const uint8_t* s, size_t len) {
  int32_t n = 0;
  for (size_t i = 0; i < len; i++)
    if ((s[i] & 0xC0) != 0x80) n++;
  reset_heap();
  return n;
}

EXPORT(API "reverse") uint8_t* reverse(const uint32_t* l, size_t len) {
  uint32_t* out = alloc(len * 4, 4);
  for (size_t i = 0; i < len; i++)
    out[i] = l[len - 1 - i];
  ((struct str*)RET)->ptr = (const char*)out;
  ((struct str*)RET)->len = len;
  return RET;
}
POST("reverse") void reverse_post(uint8_t* r) {
  (void)r;
  reset_heap();
}

EXPORT(API "join")
uint8_t* join(const struct str* parts, size_t n, const char* sep,
              size_t sep_len) {
  size_t total = 0;
  for (size_t i = 0; i < n; i++)
    total += parts[i].len + (i ? sep_len : 0);
  char* out = alloc(total, 1);
  size_t at = 0;
  for (size_t i = 0; i < n; i++) {
    if (i) {
      memcpy(out + at, sep, sep_len);
      at += sep_len;
    }
    memcpy(out + at, parts[i].ptr, parts[i].len);
    at += parts[i].len;
  }
  ((struct str*)RET)->ptr = out;
  ((struct str*)RET)->len = total;
  return RET;
}
POST("join") void join_post(uint8_t* r) {
  (void)r;
  reset_heap();
}

// ---- records, tuples, variants, enums, options, results, flags --------
struct point {
  int32_t x, y;
};

EXPORT(API "move-point")
uint8_t* move_point(int32_t x, int32_t y, int32_t dx, int32_t dy) {
  struct point* p = (struct point*)RET;
  p->x = x + dx;
  p->y = y + dy;
  return RET;
}

// tuple<u32, string> in: (u32, ptr, len); tuple<string, u32> out: the
// string at 0, the u32 at 8.
EXPORT(API "swap") uint8_t* swap(uint32_t v, const char* s, size_t len) {
  char* copy = alloc(len, 1);
  memcpy(copy, s, len);
  ((struct str*)RET)->ptr = copy;
  ((struct str*)RET)->len = len;
  *(uint32_t*)(RET + 8) = v;
  return RET;
}
POST("swap") void swap_post(uint8_t* r) {
  (void)r;
  reset_heap();
}

// shape flattens to (i32 case, i64 joined f64/x, i32 y).
static double bits_f64(int64_t v) {
  double d;
  memcpy(&d, &v, 8);
  return d;
}
EXPORT(API "area") double area(int32_t which, int64_t a, int32_t b) {
  switch (which) {
  case 0: { // circle(r)
    double r = bits_f64(a);
    return 3.0 * r * r;
  }
  case 1: { // rect(point)
    int64_t x = (int32_t)a, y = b;
    int64_t v = x * y;
    return (double)(v < 0 ? -v : v);
  }
  default: return 0;
  }
}

// In memory: the case byte at 0, the payload at 8 (f64 or x,y).
EXPORT(API "scale")
uint8_t* scale(int32_t which, int64_t a, int32_t b, double k) {
  memset(RET, 0, 16);
  RET[0] = (uint8_t)which;
  if (which == 0) {
    *(double*)(RET + 8) = bits_f64(a) * k;
  } else if (which == 1) {
    *(int32_t*)(RET + 8) = (int32_t)((double)(int32_t)a * k);
    *(int32_t*)(RET + 12) = (int32_t)((double)b * k);
  }
  return RET;
}

EXPORT(API "next-color") int32_t next_color(int32_t c) { return (c + 1) % 3; }

// option<u32> in: (case, value); out: case byte at 0, value at 4. Some(v/2)
// for an even v, none otherwise.
EXPORT(API "half") uint8_t* half(int32_t is_some, uint32_t v) {
  memset(RET, 0, 8);
  if (is_some && v % 2 == 0) {
    RET[0] = 1;
    *(uint32_t*)(RET + 4) = v / 2;
  }
  return RET;
}

static size_t append(char* out, size_t at, const char* s, size_t n) {
  memcpy(out + at, s, n);
  return at + n;
}

// result<u32, string>: case byte at 0, ok u32 or err (ptr, len) at 4.
EXPORT(API "parse-u32") uint8_t* parse_u32(const char* s, size_t len) {
  memset(RET, 0, 12);
  uint64_t v = 0;
  const char* why = 0;
  if (len == 0) why = "empty";
  for (size_t i = 0; i < len && !why; i++) {
    if (s[i] < '0' || s[i] > '9')
      why = "not a digit: ";
    else if ((v = v * 10 + (uint64_t)(s[i] - '0')) > 0xFFFFFFFFu)
      why = "too large: ";
  }
  if (!why) {
    *(uint32_t*)(RET + 4) = (uint32_t)v;
    return RET;
  }
  size_t wl = 0;
  while (why[wl])
    wl++;
  int with_input = why[wl - 1] == ' ';
  char* out = alloc(wl + (with_input ? len : 0), 1);
  size_t at = append(out, 0, why, wl);
  if (with_input) at = append(out, at, s, len);
  RET[0] = 1;
  *(const char**)(RET + 4) = out;
  *(size_t*)(RET + 8) = at;
  return RET;
}
POST("parse-u32") void parse_u32_post(uint8_t* r) {
  (void)r;
  reset_heap();
}

EXPORT(API "toggle") int32_t toggle(int32_t p) { return (p ^ 7) & 7; }

// 17 u32 params: one pointer to them, laid out as a tuple.
EXPORT(API "sum-many") int64_t sum_many(const uint32_t* params) {
  uint64_t sum = 0;
  for (int i = 0; i < 17; i++)
    sum += (uint64_t)params[i] * (uint64_t)(i + 1);
  reset_heap();
  return (int64_t)sum;
}

// list<point>: [{i, i*i} for i < n], at most 4096.
EXPORT(API "points") uint8_t* points(uint32_t n) {
  if (n > 4096) n = 4096;
  struct point* out = alloc(n * sizeof(struct point), 4);
  for (uint32_t i = 0; i < n; i++) {
    out[i].x = (int32_t)i;
    out[i].y = (int32_t)(i * i);
  }
  ((struct str*)RET)->ptr = (const char*)out;
  ((struct str*)RET)->len = n;
  return RET;
}
POST("points") void points_post(uint8_t* r) {
  (void)r;
  reset_heap();
}

// ---- the counter resource ---------------------------------------------
// rep = slot index + 1.
IMPORT("[export]weft:everytype/api", "[resource-new]counter")
int32_t counter_new(int32_t rep);
IMPORT("[export]weft:everytype/api", "[resource-rep]counter")
int32_t counter_rep(int32_t handle);
IMPORT("[export]weft:everytype/api", "[resource-drop]counter")
void counter_drop(int32_t handle);

static struct {
  int used;
  uint32_t value;
} counters[64];
static uint32_t live;

EXPORT(API "[constructor]counter") int32_t counter_ctor(uint32_t start) {
  for (int i = 0; i < 64; i++) {
    if (!counters[i].used) {
      counters[i].used = 1;
      counters[i].value = start;
      live++;
      return counter_new(i + 1);
    }
  }
  __builtin_trap(); // out of counters
}
static uint32_t* slot(int32_t rep) {
  if (rep < 1 || rep > 64 || !counters[rep - 1].used) __builtin_trap();
  return &counters[rep - 1].value;
}
// Methods get a borrow of a resource this instance defines: the rep.
EXPORT(API "[method]counter.increment")
uint32_t counter_increment(int32_t rep, uint32_t by) {
  return *slot(rep) += by;
}
EXPORT(API "[method]counter.get") uint32_t counter_get(int32_t rep) {
  return *slot(rep);
}
EXPORT(API "[dtor]counter") void counter_dtor(int32_t rep) {
  slot(rep);
  counters[rep - 1].used = 0;
  live--;
}
// An own handle: read through resource.rep, then drop it (runs the dtor).
EXPORT(API "consume") uint32_t consume(int32_t handle) {
  uint32_t v = *slot(counter_rep(handle));
  counter_drop(handle);
  return v;
}
EXPORT(API "live-counters") uint32_t live_counters(void) { return live; }

// ---- calling the host -------------------------------------------------
IMPORT("weft:everytype/host", "log") void host_log(const char* p, size_t n);
IMPORT("weft:everytype/host", "double-all")
void host_double_all(const uint32_t* p, size_t n, void* ret);
struct entry {
  struct str key;
  uint32_t value;
};
IMPORT("weft:everytype/host", "lookup")
void host_lookup(const struct entry* e, size_t n, const char* k, size_t kn,
                 void* ret);

EXPORT("call-host")
uint32_t call_host(const char* msg, size_t msg_len, const uint32_t* l,
                   size_t n) {
  host_log(msg, msg_len);
  struct {
    const uint32_t* ptr;
    size_t len;
  } doubled;
  host_double_all(l, n, &doubled);
  uint32_t sum = 0;
  for (size_t i = 0; i < doubled.len; i++)
    sum += doubled.ptr[i];
  static const struct entry entries[3] = {
      {{"a", 1}, 1}, {{"b", 1}, 2}, {{"c", 1}, 3}};
  struct {
    uint8_t is_some;
    uint32_t value;
  } found;
  host_lookup(entries, 3, "b", 1, &found);
  reset_heap();
  return sum + (found.is_some ? found.value : 1000);
}
