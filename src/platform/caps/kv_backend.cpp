// MakeKvBackend: `--kv-backend URL` to a KvBackend.
#include "platform/caps/kv_backend.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>

namespace weft::caps {

namespace {

Error UrlError(const std::string& url, const std::string& why) {
  Error e;
  e.message = "kv backend \"" + url + "\": " + why;
  return e;
}

bool StartsWith(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

// %XX decoding; false for a malformed escape.
bool PercentDecode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      *out += in[i];
      continue;
    }
    unsigned v = 0;
    if (i + 2 >= in.size() ||
        std::from_chars(in.data() + i + 1, in.data() + i + 3, v, 16).ptr !=
            in.data() + i + 3)
      return false;
    *out += static_cast<char>(v);
    i += 2;
  }
  return true;
}

bool Digits(std::string_view s) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Splits the query ("?k=v&k=v", values %-decoded) off `rest`; an Error
// for a key not in `allowed`, a repeated key or an empty value.
Result<std::map<std::string, std::string>>
TakeQuery(const std::string& url, std::string& rest,
          std::initializer_list<std::string_view> allowed) {
  std::map<std::string, std::string> out;
  const size_t q = rest.find('?');
  if (q == std::string::npos) return out;
  std::string_view query = std::string_view(rest).substr(q + 1);
  std::string names;
  for (std::string_view a : allowed)
    names += (names.empty() ? "" : ", ") + std::string(a) + "=";
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? "" : query.substr(amp + 1);
    const size_t eq = item.find('=');
    const std::string key(item.substr(0, eq));
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      return UrlError(url,
                      "unknown query \"" + key + "\" (it takes " + names + ")");
    std::string value;
    if (eq == std::string_view::npos || eq + 1 == item.size() ||
        !PercentDecode(item.substr(eq + 1), &value))
      return UrlError(url, "no value or a bad %-escape for " + key + "=");
    if (!out.emplace(key, value).second)
      return UrlError(url, key + "= given twice");
  }
  rest.resize(q);
  return out;
}

bool BucketChars(std::string_view s) {
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-')
      return false;
  return true;
}

} // namespace

Result<RedisKvOptions> ParseRedisUrl(const std::string& url) {
  if (!StartsWith(url, "redis://")) return UrlError(url, "not a redis:// URL");
  RedisKvOptions o;
  std::string rest = url.substr(8);
  auto query = TakeQuery(url, rest, {"prefix"});
  if (!query) return query.error();
  if (query->count("prefix")) o.key_prefix = query->at("prefix");
  std::string authority = rest, path;
  if (size_t slash = rest.find('/'); slash != std::string::npos) {
    authority = rest.substr(0, slash);
    path = rest.substr(slash + 1);
  }
  if (!path.empty()) {
    if (!Digits(path)) return UrlError(url, "the path is a database number");
    o.db = std::stoi(path);
  }
  if (size_t at = authority.rfind('@'); at != std::string::npos) {
    const std::string userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const size_t colon = userinfo.find(':');
    if (colon == std::string::npos)
      return UrlError(url, "a user needs a password (redis://user:pass@host "
                           "or redis://:pass@host)");
    if (!PercentDecode(userinfo.substr(0, colon), &o.user) ||
        !PercentDecode(userinfo.substr(colon + 1), &o.password))
      return UrlError(url, "bad %-escape in the user or password");
    if (o.password.empty()) return UrlError(url, "empty password");
  }
  std::string port;
  if (StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == std::string::npos) return UrlError(url, "unclosed [");
    o.host = authority.substr(1, close - 1);
    const std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return UrlError(url, "junk after ]");
      port = after.substr(1);
      if (port.empty()) return UrlError(url, "empty port");
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string::npos) {
    o.host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty()) return UrlError(url, "empty port");
  } else {
    o.host = authority;
  }
  if (o.host.empty()) return UrlError(url, "no host");
  if (!port.empty()) {
    if (!Digits(port) || std::stoi(port) < 1 || std::stoi(port) > 65535)
      return UrlError(url, "bad port \"" + port + "\"");
    o.port = static_cast<uint16_t>(std::stoi(port));
  }
  return o;
}

Result<std::shared_ptr<KvBackend>>
MakeKvBackend(const std::string& url, const std::filesystem::path& data_dir,
              KvEventSink events) {
  if (url.empty() || url == "sqlite")
    return std::shared_ptr<KvBackend>(
        std::make_shared<SqliteKvBackend>(data_dir));
  if (StartsWith(url, "redis://")) {
    auto o = ParseRedisUrl(url);
    if (!o) return o.error();
    o->events = std::move(events);
    return std::shared_ptr<KvBackend>(
        std::make_shared<RedisKvBackend>(std::move(*o)));
  }
  if (StartsWith(url, "nats://") || StartsWith(url, "tls://")) {
    std::string servers = url;
    auto query = TakeQuery(url, servers, {"prefix", "replicas"});
    if (!query) return query.error();
    JetStreamKvOptions o;
    if (query->count("prefix")) {
      o.bucket_prefix = query->at("prefix");
      if (!BucketChars(o.bucket_prefix))
        return UrlError(url, "a bucket prefix is [A-Za-z0-9_-] only");
    }
    if (query->count("replicas")) {
      const std::string& r = query->at("replicas");
      if (r.size() != 1 || r[0] < '1' || r[0] > '5')
        return UrlError(url, "replicas= is 1 to 5");
      o.replicas = r[0] - '0';
    }
    o.events = std::move(events);
    auto backend = ConnectJetStreamKv(servers, std::move(o));
    if (!backend) return UrlError(url, backend.error().message);
    return std::shared_ptr<KvBackend>(std::move(*backend));
  }
  return UrlError(url, "unknown scheme (sqlite, redis://, nats://, tls://)");
}

} // namespace weft::caps
