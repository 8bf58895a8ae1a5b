// MakeKvBackend: `--kv-backend URL` to a KvBackend.
#include "platform/caps/kv_backend.h"

#include <cctype>
#include <charconv>

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

// Splits "?prefix=P" off `rest`; an Error for any other query.
Result<std::string> TakePrefix(const std::string& url, std::string& rest,
                               bool bucket_chars) {
  const size_t q = rest.find('?');
  if (q == std::string::npos) return std::string();
  const std::string query = rest.substr(q + 1);
  rest.resize(q);
  if (!StartsWith(query, "prefix=") || query.size() == 7 ||
      query.find('&') != std::string::npos)
    return UrlError(url, "the only query it takes is ?prefix=NAME");
  std::string prefix;
  if (!PercentDecode(query.substr(7), &prefix))
    return UrlError(url, "bad %-escape in the prefix");
  if (bucket_chars)
    for (char c : prefix)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-')
        return UrlError(url, "a bucket prefix is [A-Za-z0-9_-] only");
  return prefix;
}

} // namespace

Result<RedisKvOptions> ParseRedisUrl(const std::string& url) {
  if (!StartsWith(url, "redis://")) return UrlError(url, "not a redis:// URL");
  RedisKvOptions o;
  std::string rest = url.substr(8);
  auto prefix = TakePrefix(url, rest, false);
  if (!prefix) return prefix.error();
  if (!prefix->empty()) o.key_prefix = *prefix;
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
    auto prefix = TakePrefix(url, servers, true);
    if (!prefix) return prefix.error();
    JetStreamKvOptions o;
    if (!prefix->empty()) o.bucket_prefix = *prefix;
    o.events = std::move(events);
    auto backend = ConnectJetStreamKv(servers, std::move(o));
    if (!backend) return UrlError(url, backend.error().message);
    return std::shared_ptr<KvBackend>(std::move(*backend));
  }
  return UrlError(url, "unknown scheme (sqlite, redis://, nats://, tls://)");
}

} // namespace weft::caps
