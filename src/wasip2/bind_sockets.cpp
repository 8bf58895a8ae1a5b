// wasi:sockets, present so that components importing it link, with every
// operation denied: no grant for the network exists yet. instance-network
// hands out a network handle (it names no capability by itself);
// create-tcp-socket, create-udp-socket and resolve-addresses fail with
// `access-denied`, so no socket or lookup stream is ever made, and the
// methods on them (unreachable) deny or trap.
#include "wasip2/bind.h"

namespace weft::wasip2 {
namespace {

// wasi:sockets/network.error-code.access-denied
constexpr uint32_t kAccessDenied = 1;

using Args = std::span<const Val>;
using Results = std::vector<Val>;

std::optional<Trap> InstanceNetwork(WasiP2Context& ctx, HostCall&, Args,
                                    Results& r) {
  Outcome<uint32_t> o = ctx.Add(std::make_unique<NetworkObj>());
  if (!o.ok()) return o.failure().trap;
  r.push_back(OwnRep(o.value()));
  return std::nullopt;
}

std::optional<Trap> NetworkErrorCode(WasiP2Context& ctx, HostCall&, Args a,
                                     Results& r) {
  std::optional<Trap> t;
  if (!Self<ErrorObj>(ctx, a[0], &t)) return t;
  // No error ever comes from a socket.
  r.push_back(Val::None());
  return std::nullopt;
}

} // namespace

void AppendSocketRows(std::vector<FuncRow>& f, std::vector<DropRow>& d) {
  f.push_back({"wasi:sockets/instance-network", "instance-network", 0,
               InstanceNetwork});
  f.push_back({"wasi:sockets/network", "network-error-code", 1,
               NetworkErrorCode, true});
  d.push_back({"wasi:sockets/network", "network", ObjKind::kNetwork});
  // Never made: their drops free nothing.
  d.push_back({"wasi:sockets/tcp", "tcp-socket", ObjKind::kNeverIssued});
  d.push_back({"wasi:sockets/udp", "udp-socket", ObjKind::kNeverIssued});
  d.push_back(
      {"wasi:sockets/udp", "incoming-datagram-stream", ObjKind::kNeverIssued});
  d.push_back(
      {"wasi:sockets/udp", "outgoing-datagram-stream", ObjKind::kNeverIssued});
  d.push_back({"wasi:sockets/ip-name-lookup", "resolve-address-stream",
               ObjKind::kNeverIssued});
}

HostFn DeniedSocketFn(std::string name, bool returns_result) {
  return [name = std::move(name),
          returns_result](HostCall&, std::span<const Val>,
                          std::vector<Val>& results) -> std::optional<Trap> {
    if (returns_result) {
      results.push_back(Val::Err(Val::EnumCase(kAccessDenied)));
      return std::nullopt;
    }
    return Trap{TrapKind::Host,
                "wasi:sockets: " + name + ": network access is not granted", 0};
  };
}

} // namespace weft::wasip2
