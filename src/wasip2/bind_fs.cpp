// Adapters for wasi:filesystem/types and wasi:filesystem/preopens.
#include "wasip2/bind.h"

namespace weft::wasip2 {
namespace {

using Args = std::span<const Val>;
using Results = std::vector<Val>;

template <typename T, typename F>
std::optional<Trap> Fs(Outcome<T> o, Results& r, F make) {
  if (!o.ok()) return FsResult(&o.failure(), std::nullopt, r);
  return FsResult(nullptr, make(o.value()), r);
}

std::optional<Val> NoPayload(const Unit&) { return std::nullopt; }
std::optional<Val> OwnPayload(uint32_t rep) { return OwnRep(rep); }
std::optional<Val> U64Payload(uint64_t n) { return Val::U64(n); }

Val StatVal(const DescStat& s) {
  return Val::Record(
      {Val::EnumCase(static_cast<uint32_t>(s.type)), Val::U64(s.link_count),
       Val::U64(s.size), Val::Some(DatetimeVal(s.atime)),
       Val::Some(DatetimeVal(s.mtime)), Val::Some(DatetimeVal(s.ctime))});
}

Val HashVal(const std::pair<uint64_t, uint64_t>& h) {
  return Val::Record({Val::U64(h.first), Val::U64(h.second)});
}

// new-timestamp: no-change | now | timestamp(datetime).
NewTime TimeArg(const Val& v) {
  NewTime t;
  if (v.u == 1) {
    t.kind = NewTime::Kind::kNow;
  } else if (v.u == 2 && !v.items.empty() && v.items[0].items.size() == 2) {
    t.kind = NewTime::Kind::kTime;
    t.time.seconds = v.items[0].items[0].u;
    t.time.nanoseconds = static_cast<uint32_t>(v.items[0].items[1].u);
  }
  return t;
}

uint32_t FlagsArg(const Val& v) { return static_cast<uint32_t>(v.u); }

std::optional<Trap> ReadViaStream(WasiP2Context& ctx, HostCall&, Args a,
                                  Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  return Fs(ctx.ReadViaStream(*d, a[1].u), r, OwnPayload);
}
std::optional<Trap> WriteViaStream(WasiP2Context& ctx, HostCall&, Args a,
                                   Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  return Fs(ctx.WriteViaStream(*d, a[1].u), r, OwnPayload);
}
std::optional<Trap> AppendViaStream(WasiP2Context& ctx, HostCall&, Args a,
                                    Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  return Fs(ctx.AppendViaStream(*d), r, OwnPayload);
}
std::optional<Trap> Advise(WasiP2Context& ctx, HostCall&, Args a, Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  return Fs(ctx.Advise(*d, a[1].u, a[2].u, static_cast<uint32_t>(a[3].u)), r,
            NoPayload);
}
std::optional<Trap> SyncData(WasiP2Context& ctx, HostCall&, Args a,
                             Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  return Fs(ctx.SyncData(*d), r, NoPayload);
}
std::optional<Trap> Sync(WasiP2Context& ctx, HostCall&, Args a, Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  return Fs(ctx.Sync(*d), r, NoPayload);
}
std::optional<Trap> GetFlags(WasiP2Context& ctx, HostCall&, Args a,
                             Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  return FsResult(nullptr, Val::Of(ValKind::Flags, d->flags), r);
}
std::optional<Trap> GetType(WasiP2Context& ctx, HostCall&, Args a, Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  return FsResult(nullptr, Val::EnumCase(static_cast<uint32_t>(d->type)), r);
}
std::optional<Trap> SetSize(WasiP2Context& ctx, HostCall&, Args a, Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  return Fs(ctx.SetSize(*d, a[1].u), r, NoPayload);
}
std::optional<Trap> SetTimes(WasiP2Context& ctx, HostCall&, Args a,
                             Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  return Fs(ctx.SetTimes(*d, TimeArg(a[1]), TimeArg(a[2])), r, NoPayload);
}
std::optional<Trap> Read(WasiP2Context& ctx, HostCall&, Args a, Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  return Fs(ctx.ReadAt(*d, a[1].u, a[2].u), r,
            [](std::pair<std::string, bool>& p) -> std::optional<Val> {
              return Val::Tuple(
                  {Val::Bytes(std::move(p.first)), Val::Bool(p.second)});
            });
}
std::optional<Trap> Write(WasiP2Context& ctx, HostCall&, Args a, Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  return Fs(ctx.WriteAt(*d, a[1].s, a[2].u), r, U64Payload);
}
std::optional<Trap> ReadDirectory(WasiP2Context& ctx, HostCall&, Args a,
                                  Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  return Fs(ctx.ReadDirectory(*d), r, OwnPayload);
}
std::optional<Trap> CreateDirectoryAt(WasiP2Context& ctx, HostCall&, Args a,
                                      Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  return Fs(ctx.CreateDirectoryAt(*d, a[1].s), r, NoPayload);
}
std::optional<Trap> Stat(WasiP2Context& ctx, HostCall&, Args a, Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  return Fs(ctx.Stat(*d), r,
            [](DescStat& s) -> std::optional<Val> { return StatVal(s); });
}
std::optional<Trap> StatAt(WasiP2Context& ctx, HostCall&, Args a, Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  return Fs(ctx.StatAt(*d, FlagsArg(a[1]), a[2].s), r,
            [](DescStat& s) -> std::optional<Val> { return StatVal(s); });
}
std::optional<Trap> SetTimesAt(WasiP2Context& ctx, HostCall&, Args a,
                               Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  return Fs(
      ctx.SetTimesAt(*d, FlagsArg(a[1]), a[2].s, TimeArg(a[3]), TimeArg(a[4])),
      r, NoPayload);
}
std::optional<Trap> LinkAt(WasiP2Context& ctx, HostCall&, Args a, Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  std::optional<Trap> nd_trap;
  auto* nd = Self<DescriptorObj>(ctx, a[3], &nd_trap);
  if (!nd) return nd_trap;
  return Fs(ctx.LinkAt(*d, FlagsArg(a[1]), a[2].s, *nd, a[4].s), r, NoPayload);
}
std::optional<Trap> OpenAt(WasiP2Context& ctx, HostCall&, Args a, Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  return Fs(
      ctx.OpenAt(*d, FlagsArg(a[1]), a[2].s, FlagsArg(a[3]), FlagsArg(a[4])), r,
      OwnPayload);
}
std::optional<Trap> ReadlinkAt(WasiP2Context& ctx, HostCall&, Args a,
                               Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  return Fs(ctx.ReadlinkAt(*d, a[1].s), r,
            [](std::string& s) -> std::optional<Val> {
              return Val::Str(std::move(s));
            });
}
std::optional<Trap> RemoveDirectoryAt(WasiP2Context& ctx, HostCall&, Args a,
                                      Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  return Fs(ctx.RemoveDirectoryAt(*d, a[1].s), r, NoPayload);
}
std::optional<Trap> RenameAt(WasiP2Context& ctx, HostCall&, Args a,
                             Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  std::optional<Trap> nd_trap;
  auto* nd = Self<DescriptorObj>(ctx, a[2], &nd_trap);
  if (!nd) return nd_trap;
  return Fs(ctx.RenameAt(*d, a[1].s, *nd, a[3].s), r, NoPayload);
}
std::optional<Trap> SymlinkAt(WasiP2Context& ctx, HostCall&, Args a,
                              Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  return Fs(ctx.SymlinkAt(*d, a[1].s, a[2].s), r, NoPayload);
}
std::optional<Trap> UnlinkFileAt(WasiP2Context& ctx, HostCall&, Args a,
                                 Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  return Fs(ctx.UnlinkFileAt(*d, a[1].s), r, NoPayload);
}
std::optional<Trap> IsSameObject(WasiP2Context& ctx, HostCall&, Args a,
                                 Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  std::optional<Trap> other_trap;
  auto* other = Self<DescriptorObj>(ctx, a[1], &other_trap);
  if (!other) return other_trap;
  r.push_back(Val::Bool(ctx.IsSameObject(*d, *other)));
  return std::nullopt;
}
std::optional<Trap> MetadataHash(WasiP2Context& ctx, HostCall&, Args a,
                                 Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  return Fs(ctx.MetadataHash(*d), r,
            [](std::pair<uint64_t, uint64_t>& h) -> std::optional<Val> {
              return HashVal(h);
            });
}
std::optional<Trap> MetadataHashAt(WasiP2Context& ctx, HostCall&, Args a,
                                   Results& r) {
  std::optional<Trap> d_trap;
  auto* d = Self<DescriptorObj>(ctx, a[0], &d_trap);
  if (!d) return d_trap;
  return Fs(ctx.MetadataHashAt(*d, FlagsArg(a[1]), a[2].s), r,
            [](std::pair<uint64_t, uint64_t>& h) -> std::optional<Val> {
              return HashVal(h);
            });
}

std::optional<Trap> ReadDirectoryEntry(WasiP2Context& ctx, HostCall&, Args a,
                                       Results& r) {
  std::optional<Trap> t;
  auto* s = Self<DirStreamObj>(ctx, a[0], &t);
  if (!s) return t;
  return Fs(ctx.ReadDirectoryEntry(*s), r,
            [](std::optional<DirEntry>& e) -> std::optional<Val> {
              if (!e) return Val::None();
              return Val::Some(
                  Val::Record({Val::EnumCase(static_cast<uint32_t>(e->type)),
                               Val::Str(std::move(e->name))}));
            });
}

std::optional<Trap> FilesystemErrorCode(WasiP2Context& ctx, HostCall&, Args a,
                                        Results& r) {
  std::optional<Trap> t;
  auto* e = Self<ErrorObj>(ctx, a[0], &t);
  if (!e) return t;
  r.push_back(e->code
                  ? Val::Some(Val::EnumCase(static_cast<uint32_t>(*e->code)))
                  : Val::None());
  return std::nullopt;
}

std::optional<Trap> GetDirectories(WasiP2Context& ctx, HostCall&, Args,
                                   Results& r) {
  auto o = ctx.GetDirectories();
  if (!o.ok()) {
    if (o.failure().trap) return o.failure().trap;
    return Trap{TrapKind::Host, "wasi: " + o.failure().message, 0};
  }
  Val list = Val::Of(ValKind::List, 0);
  for (auto& [rep, name] : o.value())
    list.items.push_back(Val::Tuple({OwnRep(rep), Val::Str(name)}));
  r.push_back(std::move(list));
  return std::nullopt;
}

} // namespace

void AppendFsRows(std::vector<FuncRow>& f, std::vector<DropRow>& d) {
  const std::string_view t = "wasi:filesystem/types";
  struct M {
    std::string_view name;
    uint32_t arity;
    Adapter fn;
  };
  const M methods[] = {
      {"read-via-stream", 2, ReadViaStream},
      {"write-via-stream", 2, WriteViaStream},
      {"append-via-stream", 1, AppendViaStream},
      {"advise", 4, Advise},
      {"sync-data", 1, SyncData},
      {"get-flags", 1, GetFlags},
      {"get-type", 1, GetType},
      {"set-size", 2, SetSize},
      {"set-times", 3, SetTimes},
      {"read", 3, Read},
      {"write", 3, Write},
      {"read-directory", 1, ReadDirectory},
      {"sync", 1, Sync},
      {"create-directory-at", 2, CreateDirectoryAt},
      {"stat", 1, Stat},
      {"stat-at", 3, StatAt},
      {"set-times-at", 5, SetTimesAt},
      {"link-at", 5, LinkAt},
      {"open-at", 5, OpenAt},
      {"readlink-at", 2, ReadlinkAt},
      {"remove-directory-at", 2, RemoveDirectoryAt},
      {"rename-at", 4, RenameAt},
      {"symlink-at", 3, SymlinkAt},
      {"unlink-file-at", 2, UnlinkFileAt},
      {"is-same-object", 2, IsSameObject},
      {"metadata-hash", 1, MetadataHash},
      {"metadata-hash-at", 3, MetadataHashAt},
  };
  // The row's name must outlive the table: keep the "[method]..." strings.
  static const std::vector<std::string> names = [&] {
    std::vector<std::string> v;
    for (const M& m : methods)
      v.push_back("[method]descriptor." + std::string(m.name));
    return v;
  }();
  for (size_t i = 0; i < std::size(methods); ++i)
    f.push_back({t, names[i], methods[i].arity, methods[i].fn});
  f.push_back({t, "[method]directory-entry-stream.read-directory-entry", 1,
               ReadDirectoryEntry});
  f.push_back({t, "filesystem-error-code", 1, FilesystemErrorCode});
  f.push_back(
      {"wasi:filesystem/preopens", "get-directories", 0, GetDirectories});
  d.push_back({t, "descriptor", ObjKind::kDescriptor});
  d.push_back({t, "directory-entry-stream", ObjKind::kDirStream});
}

} // namespace weft::wasip2
