// Grants, variables, the per-request context and the outbound allow-list.
#include <cctype>
#include <cstring>

#include "platform/caps/caps.h"
#include "platform/caps/url.h"

namespace weft::caps {

namespace {

thread_local RequestCaps* g_current = nullptr;

std::string EnvNameFor(std::string_view variable) {
  std::string out = "WEFT_VAR_";
  for (char c : variable)
    out += c == '-'
               ? '_'
               : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

} // namespace

std::map<std::string, std::string>
ResolveVariables(const std::map<std::string, std::string>& defaults,
                 const std::map<std::string, std::string>& env) {
  std::map<std::string, std::string> out = defaults;
  for (auto& [name, value] : out) {
    auto it = env.find(EnvNameFor(name));
    if (it != env.end()) value = it->second;
  }
  return out;
}

std::map<std::string, std::string>
ResolveVariables(const std::map<std::string, std::string>& defaults,
                 const char* const* environ) {
  std::map<std::string, std::string> env;
  for (const char* const* e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    if (!kv.starts_with("WEFT_VAR_")) continue;
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return ResolveVariables(defaults, env);
}

bool ValidStoreName(std::string_view name) {
  if (name.empty() || name.size() > kMaxStoreNameBytes) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-')
      return false;
  return true;
}

bool ValidKey(std::string_view key) {
  return !key.empty() && key.size() <= kMaxKeyBytes &&
         key.find('\0') == std::string_view::npos;
}

const char* LogLevelName(LogLevel level) {
  switch (level) {
  case LogLevel::kDebug: return "debug";
  case LogLevel::kInfo: return "info";
  case LogLevel::kWarn: return "warn";
  case LogLevel::kError: return "error";
  }
  return "?";
}

RequestCaps* CurrentRequestCaps() { return g_current; }

ScopedRequestCaps::ScopedRequestCaps(RequestCaps* caps) : prev_(g_current) {
  g_current = caps;
}
ScopedRequestCaps::~ScopedRequestCaps() { g_current = prev_; }

bool ParseUrl(std::string_view text, Url* out) {
  size_t sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) return false;
  Url u;
  u.scheme = Lower(text.substr(0, sep));
  for (char c : u.scheme)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' &&
        c != '.')
      return false;
  std::string_view rest = text.substr(sep + 3);
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view target =
      end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (authority.empty() || authority.find('@') != std::string_view::npos)
    return false;
  size_t colon = authority.find(':');
  std::string_view host = authority.substr(0, colon);
  if (host.empty()) return false;
  for (char c : host)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' &&
        c != '_')
      return false;
  u.host = Lower(host);
  if (colon != std::string_view::npos) {
    std::string_view port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5) return false;
    uint32_t p = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return false;
      p = p * 10 + static_cast<uint32_t>(c - '0');
    }
    if (p == 0 || p > 65535) return false;
    u.port = static_cast<uint16_t>(p);
  } else if (u.scheme == "http") {
    u.port = 80;
  } else if (u.scheme == "https") {
    u.port = 443;
  } else {
    return false;
  }
  size_t hash = target.find('#');
  if (hash != std::string_view::npos) target = target.substr(0, hash);
  u.target = target.empty() ? "/" : std::string(target);
  if (u.target[0] == '?') u.target = "/" + u.target;
  for (char c : u.target)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  *out = std::move(u);
  return true;
}

bool OutboundAllowed(const std::vector<std::string>& allowed,
                     std::string_view url) {
  Url want;
  if (!ParseUrl(url, &want)) return false;
  for (const std::string& a : allowed) {
    Url grant;
    if (!ParseUrl(a, &grant)) continue;
    if (grant.scheme != want.scheme || grant.host != want.host ||
        grant.port != want.port)
      continue;
    // A grant with a path allows that path and what lies beneath it.
    std::string_view prefix = grant.target;
    if (prefix == "/") return true;
    if (prefix.back() == '/') prefix.remove_suffix(1);
    std::string_view path = want.target;
    if (path.starts_with(prefix) &&
        (path.size() == prefix.size() || path[prefix.size()] == '/' ||
         path[prefix.size()] == '?'))
      return true;
  }
  return false;
}

} // namespace weft::caps
