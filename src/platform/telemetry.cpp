#include "platform/telemetry.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>

#include "platform/app.h"
#include "runtime/runtime.h"
#include "runtime/store_impl.h"

namespace weft::platform {
namespace {

std::string NowRfc3339() {
  using namespace std::chrono;
  auto now = system_clock::now();
  std::time_t t = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

void WriteAll(const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(2, s.data() + off, s.size() - off);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

std::string Escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void Redact(std::string& s, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets)
    for (size_t at = s.find(secret); at != std::string::npos;
         at = s.find(secret, at + 10))
      s.replace(at, secret.size(), "[redacted]");
}

} // namespace

struct Logger::Shard {
  std::thread::id owner;
  std::mutex mu; // the owner's appends, Flush
  std::string buf;
};

Logger::Logger(bool json) : json_(json) {}

Logger::~Logger() { Flush(); }

uint64_t Logger::NextId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

namespace {
// The calling thread's shard and secrets snapshot for the logger it used
// last (`logger` is Logger::id_, never reused).
struct LoggerThreadCache {
  uint64_t logger = 0;
  void* shard = nullptr;
  uint64_t secrets_version = 0;
  std::vector<std::string> secrets;
};
thread_local LoggerThreadCache t_logger;

LoggerThreadCache& CacheFor(uint64_t logger) {
  if (t_logger.logger != logger) {
    t_logger.logger = logger;
    t_logger.shard = nullptr;
    t_logger.secrets_version = 0;
    t_logger.secrets.clear();
  }
  return t_logger;
}
} // namespace

Logger::Shard& Logger::LocalShard() const {
  LoggerThreadCache& c = CacheFor(id_);
  if (c.shard == nullptr) {
    // A thread's first record with this logger (or after using another):
    // its own shard, found again if it had one.
    std::lock_guard<std::mutex> g(shards_mu_);
    const auto me = std::this_thread::get_id();
    for (const auto& sh : shards_)
      if (sh->owner == me) c.shard = sh.get();
    if (c.shard == nullptr) {
      shards_.push_back(std::make_unique<Shard>());
      shards_.back()->owner = me;
      c.shard = shards_.back().get();
    }
  }
  return *static_cast<Shard*>(c.shard);
}

const std::vector<std::string>* Logger::Secrets() const {
  const uint64_t v = secrets_version_.load(std::memory_order_acquire);
  if (v == 0) return nullptr;
  LoggerThreadCache& c = CacheFor(id_);
  if (c.secrets_version != v) {
    std::lock_guard<std::mutex> g(secrets_mu_);
    c.secrets = secrets_;
    c.secrets_version = v;
  }
  return &c.secrets;
}

void Logger::AddSecrets(const std::vector<std::string>& values) {
  std::lock_guard<std::mutex> g(secrets_mu_);
  for (const std::string& v : values)
    if (!v.empty() &&
        std::find(secrets_.begin(), secrets_.end(), v) == secrets_.end())
      secrets_.push_back(v);
  // Longest first: a secret containing another is redacted whole.
  std::sort(secrets_.begin(), secrets_.end(),
            [](const std::string& a, const std::string& b) {
              return a.size() > b.size();
            });
  if (!secrets_.empty())
    secrets_version_.fetch_add(1, std::memory_order_acq_rel);
}

void Logger::Log(std::string_view level, std::string_view msg,
                 const nlohmann::json& fields) const {
  const std::string line = Format(level, msg, fields);
  Shard& sh = LocalShard();
  std::lock_guard<std::mutex> g(sh.mu);
  if (sh.buf.empty()) {
    WriteAll(line);
    return;
  }
  sh.buf += line;
  WriteAll(sh.buf);
  sh.buf.clear();
}

void Logger::Buffer(std::string_view line) const {
  Shard& sh = LocalShard();
  std::lock_guard<std::mutex> g(sh.mu);
  sh.buf += line;
  if (sh.buf.size() >= 16 * 1024) {
    WriteAll(sh.buf);
    sh.buf.clear();
  }
}

void Logger::Access(std::string_view level, std::string_view msg,
                    const nlohmann::json& fields) const {
  Buffer(Format(level, msg, fields));
}

namespace {

// Appends `v` as the body of a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD (as
// nlohmann's dump with error_handler_t::replace does for Format's records).
void AppendJsonString(std::string& out, std::string_view v) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < v.size();) {
    // A run of characters that need no escaping, appended at once.
    size_t j = i;
    while (j < v.size()) {
      const auto d = static_cast<unsigned char>(v[j]);
      if (d < 0x20 || d >= 0x80 || d == '"' || d == '\\') break;
      ++j;
    }
    if (j > i) {
      out.append(v.data() + i, j - i);
      i = j;
      continue;
    }
    const auto c = static_cast<unsigned char>(v[i]);
    if (c < 0x80) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < 0x20) {
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // A multi-byte sequence: its length from the lead byte, then checked
    // (continuation bytes, no overlong forms, no surrogates, <= U+10FFFF).
    size_t len = c >= 0xf0 && c <= 0xf4   ? 4
                 : c >= 0xe0              ? 3
                 : c >= 0xc2 && c <= 0xdf ? 2
                                          : 0;
    bool ok = len != 0 && i + len <= v.size();
    for (size_t k = 1; ok && k < len; ++k)
      ok = (static_cast<unsigned char>(v[i + k]) & 0xc0) == 0x80;
    if (ok && len >= 3) {
      const auto c1 = static_cast<unsigned char>(v[i + 1]);
      if (c == 0xe0) ok = c1 >= 0xa0;
      if (c == 0xed) ok = c1 < 0xa0;
      if (c == 0xf0) ok = c1 >= 0x90;
      if (c == 0xf4) ok = c1 < 0x90;
      if (c > 0xf4) ok = false;
    }
    if (!ok) {
      out += "\xef\xbf\xbd"; // U+FFFD
      ++i;
      continue;
    }
    out.append(v.data() + i, len);
    i += len;
  }
}

void AppendField(std::string& out, std::string_view key, std::string_view v) {
  out += ",\"";
  out += key;
  out += "\":\"";
  AppendJsonString(out, v);
  out += '"';
}

// NowRfc3339 with the date and time formatted once per second per thread.
void AppendNow(std::string& out) {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto ms_total = duration_cast<milliseconds>(now.time_since_epoch());
  const int64_t sec = ms_total.count() / 1000;
  thread_local int64_t cached_sec = -1;
  thread_local char cached[80];
  if (sec != cached_sec) {
    std::time_t t = static_cast<std::time_t>(sec);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d",
                  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                  tm.tm_min, tm.tm_sec);
    cached_sec = sec;
  }
  char ms[8];
  std::snprintf(ms, sizeof ms, ".%03dZ",
                static_cast<int>(ms_total.count() % 1000));
  out += cached;
  out += ms;
}

} // namespace

void Logger::AccessRequest(const AccessRecord& r) const {
  if (!json_) {
    nlohmann::json f{{"request_id", r.request_id},
                     {"function", r.function},
                     {"method", r.method},
                     {"path", r.path},
                     {"status", r.status},
                     {"duration_ms", static_cast<double>(r.duration_ns) / 1e6},
                     {"bytes", r.bytes},
                     {"remote", r.remote}};
    Access("info",
           std::string(r.method) + " " + std::string(r.path) + " -> " +
               std::to_string(r.status),
           f);
    return;
  }
  thread_local std::string line;
  line.clear();
  line += "{\"time\":\"";
  AppendNow(line);
  line += "\",\"level\":\"info\",\"msg\":\"request\"";
  AppendField(line, "request_id", r.request_id);
  AppendField(line, "function", r.function);
  AppendField(line, "method", r.method);
  AppendField(line, "path", r.path);
  // Numbers with to_chars (no locale, no format parsing): this runs once
  // per request. The duration in ms with 3 decimals, from integer µs.
  char num[32];
  auto put = [&](auto v) {
    line.append(num, std::to_chars(num, num + sizeof num, v).ptr);
  };
  line += ",\"status\":";
  put(r.status);
  const uint64_t us = (r.duration_ns + 500) / 1000;
  line += ",\"duration_ms\":";
  put(us / 1000);
  line += '.';
  const auto frac = static_cast<unsigned>(us % 1000);
  line += static_cast<char>('0' + frac / 100);
  line += static_cast<char>('0' + frac / 10 % 10);
  line += static_cast<char>('0' + frac % 10);
  line += ",\"bytes\":";
  put(r.bytes);
  AppendField(line, "remote", r.remote);
  line += "}\n";
  if (const auto* secrets = Secrets()) Redact(line, *secrets);
  Buffer(line);
}

void Logger::Flush() const {
  std::lock_guard<std::mutex> g(shards_mu_);
  for (const auto& sh : shards_) {
    std::lock_guard<std::mutex> sg(sh->mu);
    if (sh->buf.empty()) continue;
    WriteAll(sh->buf);
    sh->buf.clear();
  }
}

std::string Logger::Format(std::string_view level, std::string_view msg_in,
                           const nlohmann::json& fields_in) const {
  std::string_view msg = msg_in;
  const nlohmann::json* fields_ptr = &fields_in;
  std::string redacted_msg;
  nlohmann::json redacted_fields;
  static const std::vector<std::string> kNone;
  const std::vector<std::string>* secrets_ptr = Secrets();
  const std::vector<std::string>& secrets = secrets_ptr ? *secrets_ptr : kNone;
  if (!secrets.empty()) {
    redacted_msg = msg_in;
    Redact(redacted_msg, secrets);
    msg = redacted_msg;
    redacted_fields = fields_in;
    for (auto it = redacted_fields.begin(); it != redacted_fields.end(); ++it)
      if (it.value().is_string()) {
        std::string v = it.value().get<std::string>();
        Redact(v, secrets);
        it.value() = v;
      }
    fields_ptr = &redacted_fields;
  }
  const nlohmann::json& fields = *fields_ptr;
  std::string line;
  if (json_) {
    nlohmann::json j = nlohmann::json::object();
    j["time"] = NowRfc3339();
    j["level"] = level;
    j["msg"] = msg;
    for (auto it = fields.begin(); it != fields.end(); ++it)
      j[it.key()] = it.value();
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = NowRfc3339() + " " + std::string(level) + " " + std::string(msg);
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      line += " " + it.key() + "=";
      line += it.value().is_string() ? it.value().get<std::string>()
                                     : it.value().dump();
    }
  }
  if (!secrets.empty()) Redact(line, secrets);
  line += "\n";
  return line;
}

void StatusCounts::Add(int status) {
  if (status <= 0 || status > 0xffff) {
    other.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const auto want = static_cast<uint16_t>(status);
  for (size_t i = 0; i < kStatusSlots; ++i) {
    uint16_t c = code[i].load(std::memory_order_acquire);
    if (c == 0) {
      uint16_t expected = 0;
      if (code[i].compare_exchange_strong(expected, want,
                                          std::memory_order_acq_rel))
        c = want;
      else
        c = expected; // another thread claimed it meanwhile
    }
    if (c == want) {
      count[i].fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  other.fetch_add(1, std::memory_order_relaxed);
}

Metrics::Metrics(size_t workers, std::vector<std::string> names)
    : workers_(workers), no_function_(names.size()),
      capacity_(names.size() + 1 + 1024), names_(std::move(names)),
      slots_(new std::atomic<FunctionCounters*>[capacity_]) {
  names_.emplace_back();
  blocks_.emplace_back(new FunctionCounters[workers * names_.size()]);
  for (size_t s = 0; s < names_.size(); ++s)
    slots_[s].store(blocks_.back().get() + s * workers,
                    std::memory_order_release);
}

size_t Metrics::Slot(const std::string& name) {
  std::lock_guard<std::mutex> g(mu_);
  for (size_t s = 0; s < names_.size(); ++s)
    if (s != no_function_ && names_[s] == name) return s;
  if (names_.size() >= capacity_) return no_function_;
  blocks_.emplace_back(new FunctionCounters[workers_]);
  slots_[names_.size()].store(blocks_.back().get(), std::memory_order_release);
  names_.push_back(name);
  return names_.size() - 1;
}

void Metrics::Request(size_t worker, size_t function, int status, uint64_t ns) {
  FunctionCounters& c = At(worker, function);
  c.by_status.Add(status);
  const double s = static_cast<double>(ns) / 1e9;
  size_t b = 0;
  while (b < kLatencyBuckets.size() && s > kLatencyBuckets[b])
    ++b;
  c.latency[b].fetch_add(1, std::memory_order_relaxed);
  c.latency_sum_ns.fetch_add(ns, std::memory_order_relaxed);
}

uint64_t Metrics::RequestsTotal() const {
  size_t slots;
  {
    std::lock_guard<std::mutex> g(mu_);
    slots = names_.size();
  }
  uint64_t total = 0;
  for (size_t f = 0; f < slots; ++f) {
    const FunctionCounters* c = slots_[f].load(std::memory_order_acquire);
    for (size_t w = 0; w < workers_; ++w) {
      const StatusCounts& s = c[w].by_status;
      for (size_t i = 0; i < kStatusSlots; ++i)
        total += s.count[i].load(std::memory_order_relaxed);
      total += s.other.load(std::memory_order_relaxed);
    }
  }
  return total;
}

std::string Metrics::Render() const {
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> g(mu_);
    names = names_;
  }
  // Every slot (the no-function one last), then the functions' only.
  std::vector<size_t> all, fns;
  for (size_t s = 0; s < names.size(); ++s)
    if (s != no_function_) all.push_back(s);
  fns = all;
  all.push_back(no_function_);
  auto label = [&](size_t f) { return Escape(names[f]); };
  auto sum = [&](size_t f, auto get) {
    const FunctionCounters* c = slots_[f].load(std::memory_order_acquire);
    uint64_t total = 0;
    for (size_t w = 0; w < workers_; ++w)
      total += get(c[w]);
    return total;
  };
  std::string out;
  out += "# HELP weft_requests_total HTTP requests by function and status "
         "(function=\"\": no function, e.g. 404, /healthz).\n"
         "# TYPE weft_requests_total counter\n";
  for (size_t f : all) {
    std::map<int, uint64_t> by_status; // -1: other
    const FunctionCounters* c = slots_[f].load(std::memory_order_acquire);
    for (size_t w = 0; w < workers_; ++w) {
      const StatusCounts& s = c[w].by_status;
      for (size_t i = 0; i < kStatusSlots; ++i)
        if (uint16_t code = s.code[i].load(std::memory_order_acquire))
          by_status[code] += s.count[i].load(std::memory_order_relaxed);
      if (uint64_t o = s.other.load(std::memory_order_relaxed))
        by_status[-1] += o;
    }
    for (const auto& [st, n] : by_status)
      if (n)
        out += "weft_requests_total{function=\"" + label(f) + "\",status=\"" +
               (st < 0 ? std::string("other") : std::to_string(st)) + "\"} " +
               std::to_string(n) + "\n";
  }
  out += "# HELP weft_request_duration_seconds Time from a request's last "
         "byte read to its response, by function.\n"
         "# TYPE weft_request_duration_seconds histogram\n";
  for (size_t f : fns) {
    uint64_t cum = 0;
    const std::string l = "function=\"" + label(f) + "\"";
    for (size_t b = 0; b <= kLatencyBuckets.size(); ++b) {
      cum += sum(f, [&](const FunctionCounters& c) {
        return c.latency[b].load(std::memory_order_relaxed);
      });
      char le[32];
      if (b < kLatencyBuckets.size())
        std::snprintf(le, sizeof le, "%g", kLatencyBuckets[b]);
      else
        std::snprintf(le, sizeof le, "+Inf");
      out += "weft_request_duration_seconds_bucket{" + l + ",le=\"" + le +
             "\"} " + std::to_string(cum) + "\n";
    }
    uint64_t ns = sum(f, [&](const FunctionCounters& c) {
      return c.latency_sum_ns.load(std::memory_order_relaxed);
    });
    char s[64];
    std::snprintf(s, sizeof s, "%.9f", static_cast<double>(ns) / 1e9);
    out += "weft_request_duration_seconds_sum{" + l + "} " + s + "\n";
    out += "weft_request_duration_seconds_count{" + l + "} " +
           std::to_string(cum) + "\n";
  }
  out += "# HELP weft_traps_total Guest traps by function and kind.\n"
         "# TYPE weft_traps_total counter\n";
  for (size_t f : fns)
    for (size_t k = 0; k < kTrapKinds; ++k) {
      uint64_t n = sum(f, [&](const FunctionCounters& c) {
        return c.traps[k].load(std::memory_order_relaxed);
      });
      if (n)
        out += "weft_traps_total{function=\"" + label(f) + "\",kind=\"" +
               Escape(TrapKindMessage(static_cast<TrapKind>(k))) + "\"} " +
               std::to_string(n) + "\n";
    }
  out += "# HELP weft_timeouts_total Requests whose guest ran past the "
         "function's timeout.\n# TYPE weft_timeouts_total counter\n";
  for (size_t f : fns)
    out +=
        "weft_timeouts_total{function=\"" + label(f) + "\"} " +
        std::to_string(sum(f,
                           [&](const FunctionCounters& c) {
                             return c.timeouts.load(std::memory_order_relaxed);
                           })) +
        "\n";
  out += "# HELP weft_guest_output_truncated_total Requests whose guest "
         "wrote past its output cap (stream=\"stdout\": max_response_size, "
         "the request failed; \"stderr\": max_log_size).\n"
         "# TYPE weft_guest_output_truncated_total counter\n";
  for (size_t f : fns)
    for (size_t k = 0; k < 2; ++k)
      out += "weft_guest_output_truncated_total{function=\"" + label(f) +
             "\",stream=\"" + (k ? "stderr" : "stdout") + "\"} " +
             std::to_string(sum(f,
                                [&](const FunctionCounters& c) {
                                  return c.output_truncated[k].load(
                                      std::memory_order_relaxed);
                                })) +
             "\n";
  out += "# HELP weft_instances_live Guest instances running a request "
         "now.\n"
         "# TYPE weft_instances_live gauge\nweft_instances_live " +
         std::to_string(instances_live.Sum()) + "\n";
  out += "# HELP weft_instances_pooled Instances made ready ahead of a "
         "request (one per function and worker thread that served it).\n"
         "# TYPE weft_instances_pooled gauge\nweft_instances_pooled " +
         std::to_string(ReadyInstanceCount()) + "\n";
  out += "# HELP weft_instances_made_total Instances built (store, imports, "
         "instantiation).\n"
         "# TYPE weft_instances_made_total counter\n"
         "weft_instances_made_total " +
         std::to_string(InstancesMadeTotal()) + "\n";
  out += "# HELP weft_instances_reset_total Instances reset in place to a "
         "fresh instance's state for another request (after a clean end).\n"
         "# TYPE weft_instances_reset_total counter\n"
         "weft_instances_reset_total " +
         std::to_string(InstancesResetTotal()) + "\n";
  out += "# HELP weft_memory_bytes_in_use Bytes of guest linear memory "
         "committed (read-write) in live and ready instances.\n"
         "# TYPE weft_memory_bytes_in_use gauge\nweft_memory_bytes_in_use " +
         std::to_string(LinearMemoryBytesInUse()) + "\n";
  out += "# HELP weft_memory_slots_pooled Reset 8 GiB memory reservations "
         "kept for reuse by the next instances.\n"
         "# TYPE weft_memory_slots_pooled gauge\nweft_memory_slots_pooled " +
         std::to_string(PooledMemorySlots()) + "\n";
  out += "# HELP weft_connections_open Client connections open now.\n"
         "# TYPE weft_connections_open gauge\nweft_connections_open " +
         std::to_string(connections_open.load()) + "\n";
  return out;
}

} // namespace weft::platform
