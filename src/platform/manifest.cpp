#include "platform/manifest.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <set>
#include <string_view>

#include <toml++/toml.h>

namespace weft::platform {
namespace {

// Thrown inside the loader only; LoadManifest turns it into `error`.
struct ManifestError {
  toml::source_position pos;
  std::string what;
};

[[noreturn]] void Fail(const toml::source_region& where, std::string what) {
  throw ManifestError{where.begin, std::move(what)};
}

void CheckKeys(const toml::table& table, const std::set<std::string>& allowed,
               const std::string& context) {
  for (auto&& [key, value] : table) {
    if (!allowed.count(std::string(key.str()))) {
      std::string list;
      for (const std::string& a : allowed)
        list += (list.empty() ? "" : ", ") + a;
      Fail(key.source(), "unknown key \"" + std::string(key.str()) + "\" in " +
                             context + " (allowed: " + list + ")");
    }
  }
}

std::string GetString(const toml::node& node, const std::string& what) {
  const auto* s = node.as_string();
  if (!s) Fail(node.source(), what + " must be a string");
  return s->get();
}

const toml::table& GetTable(const toml::node& node, const std::string& what) {
  const auto* t = node.as_table();
  if (!t) Fail(node.source(), what + " must be a table");
  return *t;
}

const toml::array& GetArray(const toml::node& node, const std::string& what) {
  const auto* a = node.as_array();
  if (!a) Fail(node.source(), what + " must be an array");
  return *a;
}

std::vector<std::string> GetStringArray(const toml::node& node,
                                        const std::string& what) {
  std::vector<std::string> out;
  for (const toml::node& item : GetArray(node, what))
    out.push_back(GetString(item, "every element of " + what));
  return out;
}

bool ValidEnvName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name)
    if (c == '=' || c == '\0') return false;
  return true;
}

Route ParseRoute(const toml::node& node) {
  Route r;
  r.text = GetString(node, "route");
  const toml::source_region& at = node.source();
  if (r.text.empty() || r.text[0] != '/')
    Fail(at, "route \"" + r.text + "\" must start with \"/\"");
  if (r.text.find_first_of("?# \t") != std::string::npos)
    Fail(at, "route \"" + r.text + "\" may not contain '?', '#' or spaces");
  constexpr std::string_view kWild = "/...";
  if (r.text.size() >= kWild.size() &&
      r.text.compare(r.text.size() - kWild.size(), kWild.size(), kWild) == 0) {
    r.prefix = true;
    r.path = r.text.substr(0, r.text.size() - kWild.size());
  } else {
    r.path = r.text;
  }
  if (r.path.find("...") != std::string::npos)
    Fail(at, "route \"" + r.text +
                 "\": \"...\" is only allowed as the last segment (\"/...\")");
  if (!r.path.empty() && r.path.back() == '/' && r.path != "/")
    Fail(at, "route \"" + r.text + "\" may not end with \"/\"");
  return r;
}

// Whether some request path is matched by both routes.
bool Overlap(const Route& a, const Route& b) {
  auto covers = [](const Route& prefix, const std::string& path) {
    Route p = prefix;
    return p.Matches(path);
  };
  if (!a.prefix && !b.prefix) return a.path == b.path;
  if (a.prefix && !b.prefix) return covers(a, b.path);
  if (!a.prefix && b.prefix) return covers(b, a.path);
  return covers(a, b.path.empty() ? "/" : b.path) ||
         covers(b, a.path.empty() ? "/" : a.path);
}

FunctionSpec ParseFunction(const toml::table& t,
                           const std::filesystem::path& base) {
  static const std::set<std::string> kKeys = {"name",
                                              "route",
                                              "module",
                                              "env",
                                              "files",
                                              "kv",
                                              "allowed_outbound_hosts",
                                              "memory_limit",
                                              "timeout",
                                              "max_concurrency",
                                              "max_response_size",
                                              "max_log_size"};
  CheckKeys(t, kKeys, "[[function]]");
  FunctionSpec f;
  f.line = t.source().begin.line;
  for (const char* required : {"name", "route", "module"})
    if (!t.contains(required))
      Fail(t.source(),
           std::string("[[function]] needs a \"") + required + "\" key");
  f.name = GetString(*t.get("name"), "name");
  if (f.name.empty()) Fail(t.get("name")->source(), "name may not be empty");
  f.route = ParseRoute(*t.get("route"));
  const toml::node& mod = *t.get("module");
  f.module = base / GetString(mod, "module");
  f.module_line = mod.source().begin.line;
  if (const toml::node* env = t.get("env")) {
    for (auto&& [k, v] : GetTable(*env, "env")) {
      if (!ValidEnvName(k.str()))
        Fail(k.source(),
             "env name \"" + std::string(k.str()) + "\" is invalid");
      f.env[std::string(k.str())] = GetString(v, "env." + std::string(k.str()));
    }
  }
  if (const toml::node* files = t.get("files")) {
    for (const toml::node& item : GetArray(*files, "files")) {
      const toml::table& ft = GetTable(item, "every element of files");
      CheckKeys(ft, {"host", "guest"}, "a files entry");
      if (!ft.contains("host") || !ft.contains("guest"))
        Fail(ft.source(), "a files entry needs \"host\" and \"guest\"");
      WasiPreopen p;
      std::filesystem::path host = base / GetString(*ft.get("host"), "host");
      std::error_code ec;
      if (!std::filesystem::is_directory(host, ec))
        Fail(ft.get("host")->source(),
             "files: host directory " + host.string() + " does not exist");
      p.host_path = host.string();
      p.guest_path = GetString(*ft.get("guest"), "guest");
      if (p.guest_path.empty())
        Fail(ft.get("guest")->source(), "files: guest may not be empty");
      p.read_only = true;
      f.files.push_back(p);
    }
  }
  if (const toml::node* kv = t.get("kv")) f.kv = GetStringArray(*kv, "kv");
  if (const toml::node* h = t.get("allowed_outbound_hosts"))
    f.allowed_outbound_hosts = GetStringArray(*h, "allowed_outbound_hosts");
  if (const toml::node* m = t.get("memory_limit")) {
    std::optional<uint64_t> bytes;
    if (m->is_integer() && m->as_integer()->get() > 0)
      bytes = static_cast<uint64_t>(m->as_integer()->get());
    else if (m->is_string())
      bytes = ParseByteSize(m->as_string()->get());
    if (!bytes || *bytes < 65536)
      Fail(m->source(), "memory_limit must be a size of at least 64KiB, like "
                        "\"32MiB\"");
    f.memory_limit = bytes;
  }
  if (const toml::node* d = t.get("timeout")) {
    std::optional<std::chrono::nanoseconds> span;
    if (d->is_string()) span = ParseTimeSpan(d->as_string()->get());
    if (!span)
      Fail(d->source(), "timeout must be a duration like \"500ms\" or \"2s\"");
    f.timeout = *span;
  }
  if (const toml::node* c = t.get("max_concurrency")) {
    if (!c->is_integer() || c->as_integer()->get() < 1 ||
        c->as_integer()->get() > 1000000)
      Fail(c->source(), "max_concurrency must be an integer from 1 to 1000000");
    f.max_concurrency = static_cast<uint32_t>(c->as_integer()->get());
  }
  for (auto [key, out] : {std::pair{"max_response_size", &f.max_response_size},
                          std::pair{"max_log_size", &f.max_log_size}}) {
    const toml::node* n = t.get(key);
    if (!n) continue;
    std::optional<uint64_t> bytes;
    if (n->is_integer() && n->as_integer()->get() > 0)
      bytes = static_cast<uint64_t>(n->as_integer()->get());
    else if (n->is_string())
      bytes = ParseByteSize(n->as_string()->get());
    if (!bytes || *bytes < 1024 || *bytes > (uint64_t{1} << 30))
      Fail(n->source(), std::string(key) +
                            " must be a size from 1KiB to 1GiB, like "
                            "\"16MiB\"");
    *out = *bytes;
  }
  return f;
}

} // namespace

bool Route::Matches(const std::string& p) const {
  if (!prefix) return p == path;
  if (path.empty()) return true; // "/..."
  if (p.size() < path.size() || p.compare(0, path.size(), path) != 0)
    return false;
  return p.size() == path.size() || p[path.size()] == '/';
}

std::optional<uint64_t> ParseByteSize(const std::string& text) {
  size_t i = 0;
  uint64_t n = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    if (n > (UINT64_MAX - 9) / 10) return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(text[i] - '0');
    ++i;
  }
  if (i == 0) return std::nullopt;
  std::string unit;
  for (; i < text.size(); ++i)
    unit +=
        static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
  uint64_t mul = 0;
  if (unit.empty() || unit == "b")
    mul = 1;
  else if (unit == "k" || unit == "kb" || unit == "kib")
    mul = 1ull << 10;
  else if (unit == "m" || unit == "mb" || unit == "mib")
    mul = 1ull << 20;
  else if (unit == "g" || unit == "gb" || unit == "gib")
    mul = 1ull << 30;
  else
    return std::nullopt;
  if (n > UINT64_MAX / mul) return std::nullopt;
  return n * mul;
}

std::optional<std::chrono::nanoseconds> ParseTimeSpan(const std::string& text) {
  size_t i = 0;
  while (i < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
    ++i;
  if (i == 0) return std::nullopt;
  double v = 0;
  try {
    v = std::stod(text.substr(0, i));
  } catch (...) {
    return std::nullopt;
  }
  const std::string unit = text.substr(i);
  double ns_per = 0;
  if (unit == "us")
    ns_per = 1e3;
  else if (unit == "ms")
    ns_per = 1e6;
  else if (unit == "s")
    ns_per = 1e9;
  else if (unit == "m")
    ns_per = 60e9;
  else if (unit == "h")
    ns_per = 3600e9;
  else
    return std::nullopt;
  double ns = v * ns_per;
  if (!(ns >= 1) || ns > 1e18) return std::nullopt;
  return std::chrono::nanoseconds(static_cast<int64_t>(std::llround(ns)));
}

std::optional<Manifest> LoadManifest(const std::filesystem::path& path,
                                     std::string& error) {
  const std::string file = path.string();
  auto where = [&](uint32_t line, uint32_t col) {
    std::string s = file;
    if (line) s += ":" + std::to_string(line);
    if (col) s += ":" + std::to_string(col);
    return s + ": error: ";
  };
  toml::table root;
  try {
    root = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    error = where(e.source().begin.line, e.source().begin.column) +
            std::string(e.description());
    return std::nullopt;
  }
  const std::filesystem::path base = path.parent_path();
  Manifest m;
  m.path = path;
  try {
    CheckKeys(root, {"app", "function", "variables"}, "the manifest");
    if (!root.contains("app"))
      Fail(root.source(), "missing [app] table with the app's name");
    const toml::table& app = GetTable(*root.get("app"), "[app]");
    CheckKeys(app, {"name"}, "[app]");
    if (!app.contains("name")) Fail(app.source(), "[app] needs a \"name\"");
    m.app_name = GetString(*app.get("name"), "[app] name");
    if (const toml::node* vars = root.get("variables")) {
      for (auto&& [k, v] : GetTable(*vars, "[variables]")) {
        const std::string name(k.str());
        if (!v.is_table()) {
          m.variables[name] = GetString(v, "variable " + name);
          continue;
        }
        // name = { default = "...", secret = true }
        const toml::table& t = *v.as_table();
        CheckKeys(t, {"default", "secret"}, "variable " + name);
        if (const toml::node* s = t.get("secret")) {
          if (!s->is_boolean())
            Fail(s->source(), "secret must be true or false");
          if (s->as_boolean()->get()) m.secret_variables.insert(name);
        }
        if (const toml::node* d = t.get("default")) {
          m.variables[name] = GetString(*d, "default of variable " + name);
          continue;
        }
        // No default: the server's environment must give it.
        std::string env = "WEFT_VAR_";
        for (char c : name)
          env += c == '-' ? '_'
                          : static_cast<char>(
                                std::toupper(static_cast<unsigned char>(c)));
        if (!std::getenv(env.c_str()))
          Fail(k.source(), "variable \"" + name + "\" has no default: set " +
                               env + " in weft serve's environment");
        m.variables[name] = "";
      }
    }
    if (!root.contains("function"))
      Fail(root.source(), "no [[function]]: the app has nothing to serve");
    const toml::array& fns = GetArray(*root.get("function"), "[[function]]");
    std::map<std::string, uint32_t> names;
    for (const toml::node& item : fns) {
      FunctionSpec f =
          ParseFunction(GetTable(item, "every [[function]]"), base);
      const toml::table& t = *item.as_table();
      if (auto it = names.find(f.name); it != names.end())
        Fail(t.get("name")->source(), "function \"" + f.name +
                                          "\" is already defined at line " +
                                          std::to_string(it->second));
      names[f.name] = f.line;
      for (const FunctionSpec& g : m.functions)
        if (Overlap(f.route, g.route))
          Fail(t.get("route")->source(),
               "route \"" + f.route.text + "\" of function \"" + f.name +
                   "\" overlaps route \"" + g.route.text + "\" of function \"" +
                   g.name + "\" (line " + std::to_string(g.line) + ")");
      m.functions.push_back(std::move(f));
    }
  } catch (const ManifestError& e) {
    error = where(e.pos.line, e.pos.column) + e.what;
    return std::nullopt;
  }
  return m;
}

} // namespace weft::platform
