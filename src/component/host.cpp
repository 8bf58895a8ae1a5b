// SemVer, interface names, and the HostLinker: WIT packages parsed into one
// Resolve (so `use` across packages shares types and resources), one
// HostInterface per named interface, and name resolution with the semver
// rules of host.h.
#include "component/host.h"

#include <algorithm>
#include <tuple>

#include "component/wit.h"

namespace weft::component {

namespace {

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<uint32_t> Numeric(std::string_view s) {
  if (!IsDigits(s) || (s.size() > 1 && s[0] == '0') || s.size() > 10)
    return std::nullopt;
  uint64_t v = 0;
  for (char c : s)
    v = v * 10 + static_cast<uint64_t>(c - '0');
  if (v > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(v);
}

// Dot-separated identifiers of [0-9A-Za-z-]; numeric ones (pre-release
// only) without leading zeros.
bool ValidIdents(std::string_view s, bool numeric_rule) {
  if (s.empty()) return false;
  size_t i = 0;
  while (true) {
    size_t j = s.find('.', i);
    std::string_view id =
        s.substr(i, j == std::string_view::npos ? s.npos : j - i);
    if (id.empty()) return false;
    for (char c : id)
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
            (c >= 'A' && c <= 'Z') || c == '-'))
        return false;
    if (numeric_rule && IsDigits(id) && id.size() > 1 && id[0] == '0')
      return false;
    if (j == std::string_view::npos) return true;
    i = j + 1;
  }
}

bool IsLabel(std::string_view s) {
  if (s.empty()) return false;
  size_t i = 0;
  while (true) {
    size_t j = s.find('-', i);
    std::string_view w =
        s.substr(i, j == std::string_view::npos ? s.npos : j - i);
    if (w.empty()) return false;
    bool lower = w[0] >= 'a' && w[0] <= 'z';
    bool upper = w[0] >= 'A' && w[0] <= 'Z';
    if (!lower && !upper) return false;
    for (char c : w) {
      if (c >= '0' && c <= '9') continue;
      if (lower ? !(c >= 'a' && c <= 'z') : !(c >= 'A' && c <= 'Z'))
        return false;
    }
    if (j == std::string_view::npos) return true;
    i = j + 1;
  }
}

bool SemVerEqual(const SemVer& a, const SemVer& b) {
  return a.major == b.major && a.minor == b.minor && a.patch == b.patch &&
         a.pre == b.pre;
}

bool SemVerLess(const SemVer& a, const SemVer& b) {
  if (std::tie(a.major, a.minor, a.patch) !=
      std::tie(b.major, b.minor, b.patch))
    return std::tie(a.major, a.minor, a.patch) <
           std::tie(b.major, b.minor, b.patch);
  // A pre-release ranks below its release.
  if (a.pre.empty() != b.pre.empty()) return !a.pre.empty();
  return a.pre < b.pre;
}

Error Fail(std::string message) {
  Error e;
  e.message = std::move(message);
  return e;
}

std::string FullName(const InterfaceName& n) {
  std::string s = n.Unversioned();
  if (n.version) s += "@" + n.version->ToString();
  return s;
}

} // namespace

std::optional<SemVer> SemVer::Parse(std::string_view s) {
  SemVer v;
  size_t plus = s.find('+');
  if (plus != std::string_view::npos) {
    if (!ValidIdents(s.substr(plus + 1), false)) return std::nullopt;
    s = s.substr(0, plus); // build metadata: no part in precedence
  }
  size_t dash = s.find('-');
  if (dash != std::string_view::npos) {
    std::string_view pre = s.substr(dash + 1);
    if (!ValidIdents(pre, true)) return std::nullopt;
    v.pre = std::string(pre);
    s = s.substr(0, dash);
  }
  size_t d1 = s.find('.');
  if (d1 == std::string_view::npos) return std::nullopt;
  size_t d2 = s.find('.', d1 + 1);
  if (d2 == std::string_view::npos) return std::nullopt;
  auto major = Numeric(s.substr(0, d1));
  auto minor = Numeric(s.substr(d1 + 1, d2 - d1 - 1));
  auto patch = Numeric(s.substr(d2 + 1));
  if (!major || !minor || !patch) return std::nullopt;
  v.major = *major;
  v.minor = *minor;
  v.patch = *patch;
  return v;
}

std::string SemVer::ToString() const {
  std::string s = std::to_string(major) + "." + std::to_string(minor) + "." +
                  std::to_string(patch);
  if (!pre.empty()) s += "-" + pre;
  return s;
}

bool SemVerCompatible(const SemVer& want, const SemVer& host) {
  // A pre-release promises nothing beyond itself.
  if (!want.pre.empty() || !host.pre.empty()) return SemVerEqual(want, host);
  if (want.major != host.major) return false;
  if (want.major > 0) return true;
  if (want.minor != host.minor) return false;
  if (want.minor > 0) return true;
  return want.patch == host.patch; // 0.0.x: every patch may break
}

std::optional<InterfaceName> InterfaceName::Parse(std::string_view s) {
  InterfaceName n;
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) {
    if (!IsLabel(s)) return std::nullopt;
    n.interface = std::string(s);
    return n;
  }
  size_t slash = s.find('/', colon);
  if (slash == std::string_view::npos) return std::nullopt;
  size_t at = s.find('@', slash);
  std::string_view ns = s.substr(0, colon);
  std::string_view pkg = s.substr(colon + 1, slash - colon - 1);
  std::string_view iface = s.substr(
      slash + 1, at == std::string_view::npos ? s.npos : at - slash - 1);
  if (!IsLabel(ns) || !IsLabel(pkg) || !IsLabel(iface)) return std::nullopt;
  n.ns = std::string(ns);
  n.package = std::string(pkg);
  n.interface = std::string(iface);
  if (at != std::string_view::npos) {
    n.version = SemVer::Parse(s.substr(at + 1));
    if (!n.version) return std::nullopt;
  }
  return n;
}

std::string InterfaceName::Unversioned() const {
  if (ns.empty()) return interface;
  return ns + ":" + package + "/" + interface;
}

struct HostLinker::Impl {
  wit::Resolve resolve;
  std::vector<std::unique_ptr<HostInterface>> ifaces;
  std::map<std::string, HostInterface*, std::less<>> by_name; // full name
  std::map<const HostInterface*, uint32_t> wit_index;

  explicit Impl(wit::Options o) : resolve(std::move(o)) {}

  HostInterface* Find(std::string_view name) {
    auto n = InterfaceName::Parse(name);
    if (!n) return nullptr;
    auto it = by_name.find(FullName(*n));
    return it == by_name.end() ? nullptr : it->second;
  }
};

HostLinker::HostLinker() : impl_(std::make_unique<Impl>(wit::Options{})) {}
HostLinker::HostLinker(const wit::Options& options)
    : impl_(std::make_unique<Impl>(options)) {}
HostLinker::~HostLinker() = default;

Result<bool> HostLinker::AddWit(std::string_view source,
                                std::string_view file_name) {
  wit::SourceFile f{source, file_name};
  return AddWitFiles(std::span<const wit::SourceFile>(&f, 1));
}

Result<bool> HostLinker::AddWitFiles(std::span<const wit::SourceFile> files) {
  auto added = impl_->resolve.Add(files);
  if (!added.ok()) return added.error();
  for (uint32_t p : *added) {
    const wit::Package& pkg = impl_->resolve.packages()[p];
    for (const auto& [name, idx] : pkg.interfaces) {
      auto hi = std::make_unique<HostInterface>();
      auto parsed = InterfaceName::Parse(impl_->resolve.InterfaceName(idx));
      if (!parsed) continue; // WIT names always parse; be safe
      hi->name = *parsed;
      hi->type = impl_->resolve.interfaces()[idx].type;
      impl_->by_name[FullName(hi->name)] = hi.get();
      impl_->wit_index[hi.get()] = idx;
      impl_->ifaces.push_back(std::move(hi));
    }
  }
  return true;
}

Result<bool> HostLinker::Define(std::string_view interface,
                                std::string_view func, HostFn fn) {
  HostInterface* hi = impl_->Find(interface);
  if (!hi)
    return Fail("no WIT interface `" + std::string(interface) +
                "` has been added");
  bool found = false;
  for (const NamedExtern& e : hi->type.exports)
    if (e.name == func && e.type.kind == ExternType::Kind::Func) found = true;
  if (!found)
    return Fail("interface `" + FullName(hi->name) + "` has no function `" +
                std::string(func) + "`");
  hi->funcs.insert_or_assign(std::string(func), std::move(fn));
  return true;
}

Result<bool> HostLinker::DefineDrop(std::string_view interface,
                                    std::string_view resource, HostDropFn fn) {
  HostInterface* hi = impl_->Find(interface);
  if (!hi)
    return Fail("no WIT interface `" + std::string(interface) +
                "` has been added");
  const NamedExtern* found = nullptr;
  for (const NamedExtern& e : hi->type.exports)
    if (e.name == resource && e.type.kind == ExternType::Kind::Type &&
        e.type.resource)
      found = &e;
  if (!found)
    return Fail("interface `" + FullName(hi->name) + "` has no resource `" +
                std::string(resource) + "`");
  auto owner = impl_->resolve.ResourceOwner(found->type.id);
  if (owner && *owner != impl_->wit_index[hi])
    return Fail("resource `" + std::string(resource) + "` of `" +
                FullName(hi->name) + "` is defined by `" +
                impl_->resolve.InterfaceName(*owner) +
                "`: define its drop there");
  hi->drops.insert_or_assign(std::string(resource), std::move(fn));
  return true;
}

const HostInterface* HostLinker::Resolve(std::string_view import_name) const {
  auto want = InterfaceName::Parse(import_name);
  if (!want || want->ns.empty()) return nullptr;
  const HostInterface* best = nullptr;
  for (const auto& hi : impl_->ifaces) {
    const InterfaceName& n = hi->name;
    if (n.ns != want->ns || n.package != want->package ||
        n.interface != want->interface)
      continue;
    if (!want->version || !n.version) {
      if (!want->version && !n.version) return hi.get();
      continue;
    }
    if (!SemVerCompatible(*want->version, *n.version)) continue;
    if (!best || SemVerLess(*best->name.version, *n.version)) best = hi.get();
  }
  return best;
}

const TypeArena& HostLinker::types() const { return impl_->resolve.arena(); }

const wit::Resolve& HostLinker::wit() const { return impl_->resolve; }

std::vector<const HostInterface*> HostLinker::Interfaces() const {
  std::vector<const HostInterface*> out;
  for (const auto& hi : impl_->ifaces)
    out.push_back(hi.get());
  return out;
}

} // namespace weft::component
