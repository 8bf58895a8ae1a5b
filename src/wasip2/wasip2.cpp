// AddWasiP2: loads the WASI 0.2 WIT and defines every function and
// resource drop of the interfaces this host implements, at the version of
// the WIT loaded (imports of other 0.2.x patch versions resolve to it by
// HostLinker's semver rule).
#include "wasip2/wasip2.h"

#include <map>
#include <set>

#include "wasip2/bind.h"
#include "wasip2/wit.h"

namespace weft::wasip2 {
namespace {

Error P2Error(std::string message) {
  Error e;
  e.message = std::move(message);
  return e;
}

bool HasFunc(const component::HostInterface& iface, std::string_view name) {
  for (const component::NamedExtern& e : iface.type.exports)
    if (e.type.kind == component::ExternType::Kind::Func && e.name == name)
      return true;
  return false;
}

} // namespace

Result<bool> AddWasiP2(component::HostLinker& linker) {
  WEFT_TRY(LoadWasiP2Wit(linker));
  // "wasi:io/streams" -> "wasi:io/streams@0.2.12" for every interface
  // loaded.
  std::map<std::string, const component::HostInterface*, std::less<>> by_name;
  for (const component::HostInterface* i : linker.Interfaces())
    if (i->name.ns == "wasi") by_name[i->name.Unversioned()] = i;
  auto versioned = [&](std::string_view iface) -> std::optional<std::string> {
    auto it = by_name.find(iface);
    if (it == by_name.end()) return std::nullopt;
    std::string s(iface);
    if (it->second->name.version)
      s += "@" + it->second->name.version->ToString();
    return s;
  };

  std::vector<FuncRow> funcs;
  std::vector<DropRow> drops;
  AppendIoRows(funcs, drops);
  AppendCliRows(funcs, drops);
  AppendFsRows(funcs, drops);
  AppendSocketRows(funcs, drops);
  std::set<std::pair<std::string, std::string>> defined;
  for (const FuncRow& row : funcs) {
    std::optional<std::string> name = versioned(row.interface);
    if (!name)
      return P2Error("WASI 0.2 WIT has no interface " +
                     std::string(row.interface));
    if (row.optional &&
        !HasFunc(*by_name.find(row.interface)->second, row.name))
      continue;
    WEFT_TRY(linker.Define(*name, row.name, MakeHostFn(row)));
    defined.emplace(std::string(row.interface), std::string(row.name));
  }
  for (const DropRow& row : drops) {
    std::optional<std::string> name = versioned(row.interface);
    if (!name)
      return P2Error("WASI 0.2 WIT has no interface " +
                     std::string(row.interface));
    WEFT_TRY(linker.DefineDrop(*name, row.resource, MakeDropFn(row)));
  }
  // The rest of wasi:sockets: denied, by the function's WIT result type.
  const component::TypeArena& types = linker.types();
  for (const auto& [unversioned, iface] : by_name) {
    if (iface->name.package != "sockets") continue;
    const std::string name = *versioned(unversioned);
    for (const component::NamedExtern& e : iface->type.exports) {
      if (e.type.kind != component::ExternType::Kind::Func) continue;
      if (defined.count({unversioned, e.name})) continue;
      bool returns_result = false;
      if (e.type.id < types.funcs.size()) {
        const component::FuncType& ft = types.funcs[e.type.id];
        returns_result = !ft.results.empty() &&
                         ft.results[0] < types.vals.size() &&
                         types.vals[ft.results[0]].kind == ValKind::Result;
      }
      WEFT_TRY(linker.Define(
          name, e.name,
          DeniedSocketFn(unversioned + "#" + e.name, returns_result)));
    }
  }
  return true;
}

} // namespace weft::wasip2
