// Sorting: one unit of n fills a 4096-element i32 array from a seeded
// xorshift and sorts it, alternating quicksort (median of three, insertion
// sort below 16) and heapsort. The checksum samples the sorted array and
// records whether it is really sorted.
#include "common.h"

#define LEN 4096
static i32 arr[LEN];

static void insertion(i32 *a, i32 lo, i32 hi) {
  for (i32 i = lo + 1; i <= hi; i++) {
    i32 v = a[i], j = i - 1;
    while (j >= lo && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

static void swap(i32 *a, i32 i, i32 j) {
  i32 t = a[i];
  a[i] = a[j];
  a[j] = t;
}

static void quicksort(i32 *a, i32 lo, i32 hi) {
  while (hi - lo >= 16) {
    i32 mid = lo + (hi - lo) / 2;
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    i32 pivot = a[mid], i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot)
        i++;
      while (a[j] > pivot)
        j--;
      if (i <= j) swap(a, i++, j--);
    }
    // Recurse into the smaller half, loop on the larger.
    if (j - lo < hi - i) {
      quicksort(a, lo, j);
      lo = i;
    } else {
      quicksort(a, i, hi);
      hi = j;
    }
  }
  insertion(a, lo, hi);
}

static void sift_down(i32 *a, i32 root, i32 end) {
  for (;;) {
    i32 child = 2 * root + 1;
    if (child > end) return;
    if (child + 1 <= end && a[child] < a[child + 1]) child++;
    if (a[root] >= a[child]) return;
    swap(a, root, child);
    root = child;
  }
}

static void heapsort(i32 *a, i32 len) {
  for (i32 start = len / 2 - 1; start >= 0; start--)
    sift_down(a, start, len - 1);
  for (i32 end = len - 1; end > 0; end--) {
    swap(a, 0, end);
    sift_down(a, 0, end - 1);
  }
}

BENCH_EXPORT i64 run(i32 n) {
  u64 acc = 0;
  for (i32 r = 0; r < n; r++) {
    u32 s = 0x9e3779b9u ^ (u32)(r * 2654435761u);
    if (s == 0) s = 1;
    for (i32 i = 0; i < LEN; i++)
      arr[i] = (i32)xorshift32(&s);
    if (r & 1)
      quicksort(arr, 0, LEN - 1);
    else
      heapsort(arr, LEN);
    u32 sorted = 1;
    for (i32 i = 1; i < LEN; i++)
      sorted &= arr[i - 1] <= arr[i];
    u64 h = sorted;
    for (i32 i = 0; i < LEN; i += 97)
      h = h * 1000003u + (u32)arr[i];
    acc = mix64(acc, h);
  }
  return (i64)acc;
}
