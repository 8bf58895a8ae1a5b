// p50/p99 latency of KV get and set on each backend, side by side in one
// run: SQLite (a temporary folder), Redis and NATS JetStream KV (a
// redis-server and a nats-server -js this program starts on 127.0.0.1 and
// kills at the end). Calls go through KvService, one at a time from one
// thread, as a guest's kv_get / kv_set reach the backend.
//
//   build/bench/weft_bench_kv [--ops N] [--value-bytes N] [--keys N]
//
// Prints a Markdown table (microseconds).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kv_servers.h"
#include "platform/caps/kv_backend.h"

namespace {

using namespace weft::caps;
using namespace weft_kv_test;
using Clock = std::chrono::steady_clock;

struct Row {
  std::string name;
  bool ok = false;
  std::string why;
  double set_p50 = 0, set_p99 = 0, get_p50 = 0, get_p99 = 0;
  double set_rate = 0, get_rate = 0;
  double list_p50 = 0;
  size_t listed = 0;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

Row Measure(const std::string& name, const std::string& url,
            const fs::path& data_dir, int ops, size_t value_bytes, int keys) {
  Row row;
  row.name = name;
  auto backend = MakeKvBackend(url, data_dir);
  if (!backend) {
    row.why = backend.error().message;
    return row;
  }
  auto opened = (*backend)->Open("bench");
  if (!opened) {
    row.why = opened.error().message;
    return row;
  }
  KvStore& s = **opened;
  std::string value(value_bytes, 'v');
  for (size_t i = 0; i < value.size(); ++i)
    value[i] = static_cast<char>('a' + i % 26);
  // Warm up: connect, create the bucket, fill the key set.
  CapStatus st = CapStatus::kUnavailable;
  for (int i = 0; i < 250 && st == CapStatus::kUnavailable; ++i) {
    st = KvService::Set(s, "warm", value);
    if (st == CapStatus::kUnavailable)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (st != CapStatus::kOk) {
    row.why = "warm-up set failed: " + std::to_string(static_cast<int>(st));
    return row;
  }
  for (int k = 0; k < keys; ++k)
    if (KvService::Set(s, "key-" + std::to_string(k), value) !=
        CapStatus::kOk) {
      row.why = "fill failed";
      return row;
    }
  std::vector<double> set_us, get_us;
  set_us.reserve(static_cast<size_t>(ops));
  get_us.reserve(static_cast<size_t>(ops));
  auto t_all = Clock::now();
  for (int i = 0; i < ops; ++i) {
    const std::string key = "key-" + std::to_string(i % keys);
    value[0] = static_cast<char>('A' + i % 26);
    auto t0 = Clock::now();
    if (KvService::Set(s, key, value) != CapStatus::kOk) {
      row.why = "set failed";
      return row;
    }
    set_us.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  row.set_rate =
      ops / std::chrono::duration<double>(Clock::now() - t_all).count();
  std::string out;
  t_all = Clock::now();
  for (int i = 0; i < ops; ++i) {
    const std::string key = "key-" + std::to_string((i * 7919) % keys);
    auto t0 = Clock::now();
    if (KvService::Get(s, key, &out) != CapStatus::kOk ||
        out.size() != value_bytes) {
      row.why = "get failed";
      return row;
    }
    get_us.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  row.get_rate =
      ops / std::chrono::duration<double>(Clock::now() - t_all).count();
  // Listing: the keys with one prefix ("key-1": 1/9 of them and more),
  // which every backend finds among all the store's keys.
  std::vector<double> list_us;
  std::vector<std::string> listed;
  for (int i = 0; i < 20; ++i) {
    auto t0 = Clock::now();
    if (KvService::ListKeys(s, "key-1", &listed) != CapStatus::kOk ||
        listed.empty()) {
      row.why = "list failed";
      return row;
    }
    list_us.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  row.list_p50 = Percentile(list_us, 0.50);
  row.listed = listed.size();
  row.set_p50 = Percentile(set_us, 0.50);
  row.set_p99 = Percentile(set_us, 0.99);
  row.get_p50 = Percentile(get_us, 0.50);
  row.get_p99 = Percentile(get_us, 0.99);
  row.ok = true;
  return row;
}

} // namespace

int main(int argc, char** argv) {
  int ops = 5000, keys = 1000;
  size_t value_bytes = 128;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--ops"))
      ops = std::max(1, atoi(argv[i + 1]));
    else if (!strcmp(argv[i], "--value-bytes"))
      value_bytes = static_cast<size_t>(std::max(1, atoi(argv[i + 1])));
    else if (!strcmp(argv[i], "--keys"))
      keys = std::max(1, atoi(argv[i + 1]));
    else {
      fprintf(stderr, "usage: %s [--ops N] [--value-bytes N] [--keys N]\n",
              argv[0]);
      return 2;
    }
  }
  TempDir sqlite_dir("kv-bench");
  RedisServer redis;
  NatsServer nats;
  std::vector<Row> rows;
  rows.push_back(Measure("sqlite (WAL, file)", "sqlite", sqlite_dir.path(), ops,
                         value_bytes, keys));
  if (redis.Start())
    rows.push_back(Measure("redis 7.0 (no persistence)", redis.url(),
                           sqlite_dir.path(), ops, value_bytes, keys));
  else
    rows.push_back({"redis", false, "redis-server did not start"});
  if (nats.Start())
    rows.push_back(Measure("jetstream KV (nats-server 2.9, file, R1)",
                           nats.url(), sqlite_dir.path(), ops, value_bytes,
                           keys));
  else
    rows.push_back({"jetstream", false, "nats-server did not start"});

  printf("KV latency, one client thread, %d sets then %d gets of %zu-byte "
         "values over %d keys, then 20 lists of the prefix \"key-1\" "
         "(%zu keys); microseconds\n\n",
         ops, ops, value_bytes, keys, rows.empty() ? 0 : rows[0].listed);
  printf("| backend | set p50 | set p99 | get p50 | get p99 | sets/s | "
         "gets/s | list p50 |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
  int status = 0;
  for (const Row& r : rows) {
    if (!r.ok) {
      printf("| %s | failed: %s | | | | | | |\n", r.name.c_str(),
             r.why.c_str());
      status = 1;
      continue;
    }
    printf("| %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |\n",
           r.name.c_str(), r.set_p50, r.set_p99, r.get_p50, r.get_p99,
           r.set_rate, r.get_rate, r.list_p50);
  }
  return status;
}
