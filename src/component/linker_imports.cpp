// Matching a component's imports against the host: each root import is an
// instance named by an interface ("wasi:io/streams@0.2.12"), resolved by
// HostLinker::Resolve with semver compatibility, then checked export by
// export against the host's WIT — resources first (binding the component's
// abstract resource types to the host's, by name), then value types and
// functions with that binding as the resource equality.
#include <algorithm>
#include <string>

#include "component/linker.h"
#include "component/linker_internal.h"

namespace weft::component::linking {
namespace {

struct ResourceBinding {
  const std::map<uint32_t, uint32_t>* map;
};

bool BoundResourcesEqual(const void* ctx, uint32_t component_res,
                         uint32_t host_res) {
  const auto& m = *static_cast<const ResourceBinding*>(ctx)->map;
  auto it = m.find(component_res);
  return it != m.end() && it->second == host_res;
}

const NamedExtern* FindExport(const InstanceType& t, std::string_view name) {
  for (const NamedExtern& e : t.exports)
    if (e.name == name) return &e;
  return nullptr;
}

Error ImportError(const std::string& import, const std::string& what) {
  return Error{"import `" + import + "`: " + what, kNoOffset, ""};
}

// "the host has wasi:io/streams@0.2.12" when another version of the
// interface is there, to explain a semver mismatch.
std::string OtherVersions(const HostLinker& host, std::string_view name) {
  auto want = InterfaceName::Parse(name);
  if (!want) return "";
  std::string have;
  for (const HostInterface* i : host.Interfaces()) {
    if (i->name.Unversioned() != want->Unversioned()) continue;
    if (!have.empty()) have += ", ";
    have += i->name.Unversioned();
    if (i->name.version) have += "@" + i->name.version->ToString();
  }
  return have.empty() ? "" : " (the host has " + have + ")";
}

std::string ExternKindText(const ExternType& t) {
  switch (t.kind) {
  case ExternType::Kind::CoreModule: return "a core module";
  case ExternType::Kind::Func: return "a function";
  case ExternType::Kind::Value: return "a value";
  case ExternType::Kind::Type: return t.resource ? "a resource" : "a type";
  case ExternType::Kind::Instance: return "an instance";
  case ExternType::Kind::Component: return "a component";
  }
  return "?";
}

} // namespace

Result<HostBindings> BindHostImports(const ValidatedComponent& component,
                                     const HostLinker& host) {
  HostBindings out;
  const Scope& root = component.scopes[0];
  const TypeArena& ct = component.types;
  const TypeArena& ht = host.types();
  ResourceBinding binding{&out.resources};
  for (uint32_t d = 0; d < root.component->definitions.size(); ++d) {
    const Definition& def = root.component->definitions[d];
    if (def.kind != Definition::Kind::Import) continue;
    const std::string& name = def.import.name.name;
    const ExternType& type = root.defs[d].type;
    if (type.kind != ExternType::Kind::Instance) {
      return ImportError(name, ExternKindText(type) +
                                   " import; the host provides interfaces "
                                   "(instances) only");
    }
    const HostInterface* iface = host.Resolve(name);
    if (!iface) {
      return ImportError(name, "interface not provided by the host" +
                                   OtherVersions(host, name));
    }
    const InstanceType& want = ct.instances[type.id];
    // Resources first: functions and types below refer to them.
    for (const NamedExtern& e : want.exports) {
      if (e.type.kind != ExternType::Kind::Type || !e.type.resource) continue;
      const NamedExtern* h = FindExport(iface->type, e.name);
      if (!h || h->type.kind != ExternType::Kind::Type || !h->type.resource)
        return ImportError(name, "resource `" + e.name +
                                     "` not provided by the host");
      auto [it, inserted] = out.resources.emplace(e.type.id, h->type.id);
      if (!inserted && it->second != h->type.id) {
        return ImportError(name, "resource `" + e.name +
                                     "` is bound to two different host "
                                     "resources");
      }
    }
    for (const NamedExtern& e : want.exports) {
      const NamedExtern* h = FindExport(iface->type, e.name);
      switch (e.type.kind) {
      case ExternType::Kind::Type:
        if (e.type.resource) break;
        if (!h || h->type.kind != ExternType::Kind::Type || h->type.resource)
          return ImportError(name,
                             "type `" + e.name + "` not provided by the host");
        if (!ValTypesEqual(ct, e.type.id, ht, h->type.id, BoundResourcesEqual,
                           &binding)) {
          return ImportError(
              name, "type `" + e.name + "` is " + TypeToString(ct, e.type.id) +
                        " but the host has " + TypeToString(ht, h->type.id));
        }
        break;
      case ExternType::Kind::Func: {
        if (!h || h->type.kind != ExternType::Kind::Func)
          return ImportError(name, "function `" + e.name +
                                       "` not provided by the host");
        const FuncType& wf = ct.funcs[e.type.id];
        const FuncType& hf = ht.funcs[h->type.id];
        if (!FuncTypesEqual(ct, wf, ht, hf, BoundResourcesEqual, &binding)) {
          return ImportError(name, "function `" + e.name + "` has type " +
                                       FuncTypeToString(ct, wf) +
                                       " but the host provides " +
                                       FuncTypeToString(ht, hf));
        }
        if (iface->funcs.find(e.name) == iface->funcs.end()) {
          return ImportError(name, "function `" + e.name +
                                       "` not provided by the host (declared "
                                       "in its WIT, not implemented)");
        }
        break;
      }
      default:
        return ImportError(name, ExternKindText(e.type) + " export `" + e.name +
                                     "` is not supported");
      }
    }
    out.imports.push_back({d, iface});
  }
  return out;
}

} // namespace weft::component::linking

namespace weft::component {

std::optional<Error> CheckImports(const ValidatedComponent& component,
                                  const HostLinker& host) {
  auto r = linking::BindHostImports(component, host);
  if (!r) return r.error();
  return std::nullopt;
}

} // namespace weft::component
