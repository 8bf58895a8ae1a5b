// Adapters for wasi:cli: environment, exit, stdio and the terminal
// interfaces (stdio is never a terminal here: every get-terminal-* is none).
#include "wasip2/bind.h"

namespace weft::wasip2 {
namespace {

using Args = std::span<const Val>;
using Results = std::vector<Val>;

std::optional<Trap> GetEnvironment(WasiP2Context& ctx, HostCall&, Args,
                                   Results& r) {
  Val list = Val::Of(ValKind::List, 0);
  for (const auto& [k, v] : ctx.env())
    list.items.push_back(Val::Tuple({Val::Str(k), Val::Str(v)}));
  r.push_back(std::move(list));
  return std::nullopt;
}

std::optional<Trap> GetArguments(WasiP2Context& ctx, HostCall&, Args,
                                 Results& r) {
  Val list = Val::Of(ValKind::List, 0);
  for (const std::string& a : ctx.args())
    list.items.push_back(Val::Str(a));
  r.push_back(std::move(list));
  return std::nullopt;
}

std::optional<Trap> InitialCwd(WasiP2Context& ctx, HostCall&, Args,
                               Results& r) {
  r.push_back(ctx.initial_cwd() ? Val::Some(Val::Str(*ctx.initial_cwd()))
                                : Val::None());
  return std::nullopt;
}

// exit(result): ok is status 0, err is 1.
std::optional<Trap> Exit(WasiP2Context&, HostCall&, Args a, Results&) {
  return Trap::ExitWith(a[0].u == 0 ? 0 : 1);
}

std::optional<Trap> ExitWithCode(WasiP2Context&, HostCall&, Args a, Results&) {
  return Trap::ExitWith(static_cast<uint32_t>(a[0].u & 0xff));
}

std::optional<Trap> Stdio(Outcome<uint32_t> o, Results& r) {
  if (!o.ok()) return o.failure().trap;
  r.push_back(OwnRep(o.value()));
  return std::nullopt;
}

std::optional<Trap> NoTerminal(WasiP2Context&, HostCall&, Args, Results& r) {
  r.push_back(Val::None());
  return std::nullopt;
}

} // namespace

void AppendCliRows(std::vector<FuncRow>& f, std::vector<DropRow>& d) {
  const std::string_view env = "wasi:cli/environment";
  f.push_back({env, "get-environment", 0, GetEnvironment});
  f.push_back({env, "get-arguments", 0, GetArguments});
  f.push_back({env, "initial-cwd", 0, InitialCwd});
  f.push_back({"wasi:cli/exit", "exit", 1, Exit});
  f.push_back({"wasi:cli/exit", "exit-with-code", 1, ExitWithCode});
  f.push_back({"wasi:cli/stdin", "get-stdin", 0,
               [](WasiP2Context& ctx, HostCall&, Args, Results& r) {
                 return Stdio(ctx.GetStdin(), r);
               }});
  f.push_back({"wasi:cli/stdout", "get-stdout", 0,
               [](WasiP2Context& ctx, HostCall&, Args, Results& r) {
                 return Stdio(ctx.GetStdout(), r);
               }});
  f.push_back({"wasi:cli/stderr", "get-stderr", 0,
               [](WasiP2Context& ctx, HostCall&, Args, Results& r) {
                 return Stdio(ctx.GetStderr(), r);
               }});
  f.push_back({"wasi:cli/terminal-stdin", "get-terminal-stdin", 0, NoTerminal});
  f.push_back(
      {"wasi:cli/terminal-stdout", "get-terminal-stdout", 0, NoTerminal});
  f.push_back(
      {"wasi:cli/terminal-stderr", "get-terminal-stderr", 0, NoTerminal});
  // Never handed out; a drop of one (impossible) frees nothing.
  d.push_back(
      {"wasi:cli/terminal-input", "terminal-input", ObjKind::kNeverIssued});
  d.push_back(
      {"wasi:cli/terminal-output", "terminal-output", ObjKind::kNeverIssued});
}

} // namespace weft::wasip2
