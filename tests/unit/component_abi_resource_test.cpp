// Resources through the canonical ABI: handle tables, resource.new/drop/
// rep, own handles moving between instances, borrows lent for a call
// (and the traps when one outlives it or an own is moved or dropped while
// lent), destructors (the host's, and a guest's run through Store::Call),
// and unknown, dropped or foreign-typed handles.
#include <gtest/gtest.h>

#include "component/abi.h"
#include "component_abi_helper.h"

namespace weft::component {
namespace {

class ComponentAbiResource : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_NE(g.instance, nullptr);
    r_decl = T.Resource("file");
    other_decl = T.Resource("socket");
    own_t = T.Handle(ValKind::Own, r_decl);
    borrow_t = T.Handle(ValKind::Borrow, r_decl);
    own_other = T.Handle(ValKind::Own, other_decl);
    file.name = "file";
    file.host_drop = [this](uint32_t rep) { dropped.push_back(rep); };
    socket.name = "socket";
    rts = {&file, &socket};
  }
  Site MakeSite(const FuncType& f, InstanceState* in = nullptr) {
    Site s;
    s.store = &store;
    s.types = &T.a;
    s.type = &f;
    s.opts.memory = g.memory;
    s.opts.realloc = g.realloc;
    s.instance = in ? in : &inst;
    s.resources = &rts;
    return s;
  }
  uint32_t New(ResourceType* t, uint32_t rep, InstanceState* in = nullptr) {
    uint32_t h = 0;
    EXPECT_FALSE(ResourceNew(in ? *in : inst, t, rep, &h));
    return h;
  }
  // The guest calls an import of type `f` with `core` args; the host
  // callee sees the lifted args (and may act during the call).
  std::optional<Trap> GuestCalls(
      const FuncType& f, std::vector<Value> core,
      std::function<std::optional<Trap>(std::span<const Val>)> during = {}) {
    Site site = MakeSite(f);
    seen.clear();
    return CallLowered(site, core, {},
                       [&](std::span<const Val> a, std::vector<Val>&) {
                         seen.assign(a.begin(), a.end());
                         return during ? during(a) : std::optional<Trap>();
                       });
  }
  static std::string Msg(const std::optional<Trap>& t) {
    return t ? t->message : "(no trap)";
  }

  Engine engine;
  Store store{engine};
  test::Guest g = test::MakeGuest(store);
  test::Types T;
  InstanceState inst;
  ResourceType file, socket;
  std::vector<ResourceType*> rts;
  uint32_t r_decl = 0, other_decl = 0;
  TypeId own_t = 0, borrow_t = 0, own_other = 0;
  std::vector<uint32_t> dropped;
  std::vector<Val> seen;
};

TEST_F(ComponentAbiResource, HandleTableReusesFreedSlotsAndRefusesIndexZero) {
  HandleTable t;
  EXPECT_EQ(t.Get(0), nullptr);
  HandleElem e;
  e.rep = 5;
  const uint32_t a = *t.Add(e), b = *t.Add(e);
  EXPECT_EQ(a, 1u);
  EXPECT_EQ(b, 2u);
  EXPECT_TRUE(t.Remove(a));
  EXPECT_FALSE(t.Remove(a)); // twice
  EXPECT_EQ(t.Get(a), nullptr);
  EXPECT_EQ(*t.Add(e), a);
  EXPECT_EQ(t.live(), 2u);
  EXPECT_EQ(t.Get(99), nullptr);
}

TEST_F(ComponentAbiResource, NewRepDropAndTheHostsDestructor) {
  const uint32_t h = New(&file, 42);
  uint32_t rep = 0;
  ASSERT_FALSE(ResourceRep(inst, &file, h, &rep));
  EXPECT_EQ(rep, 42u);
  EXPECT_NE(Msg(ResourceRep(inst, &socket, h, &rep)).find("is a 'file'"),
            std::string::npos);
  ASSERT_FALSE(ResourceDrop(store, inst, &file, h));
  EXPECT_EQ(dropped, std::vector<uint32_t>{42});
  EXPECT_NE(Msg(ResourceDrop(store, inst, &file, h)).find("unknown handle"),
            std::string::npos);
  EXPECT_NE(Msg(ResourceRep(inst, &file, 0, &rep)).find("unknown handle 0"),
            std::string::npos);
}

TEST_F(ComponentAbiResource, GuestDestructorRunsThroughTheStore) {
  InstanceState definer; // the instance that defines the resource
  ResourceType mine;
  mine.name = "counter";
  mine.owner = &definer;
  mine.dtor = g.dtor;
  const uint32_t h = New(&mine, 77);
  ASSERT_FALSE(ResourceDrop(store, inst, &mine, h));
  EXPECT_EQ(g.Global("dtor_rep"), 77u);
  // While a call into the definer is in progress its dtor cannot run.
  const uint32_t h2 = New(&mine, 78);
  definer.may_enter = false;
  EXPECT_NE(Msg(ResourceDrop(store, inst, &mine, h2)).find("cannot enter"),
            std::string::npos);
  EXPECT_EQ(g.Global("dtor_rep"), 77u);
}

TEST_F(ComponentAbiResource, OwnMovesOutOfTheCallersTable) {
  FuncType f;
  f.params = {{"f", own_t}};
  const uint32_t h = New(&file, 9);
  ASSERT_FALSE(GuestCalls(f, {Value::I32(h)}));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, ValKind::Own);
  EXPECT_EQ(seen[0].u, 9u);
  EXPECT_EQ(seen[0].resource, &file);
  EXPECT_EQ(inst.handles.Get(h), nullptr); // moved
  // Passing it again: it is gone.
  EXPECT_NE(Msg(GuestCalls(f, {Value::I32(h)})).find("unknown handle"),
            std::string::npos);
}

TEST_F(ComponentAbiResource, HandleViolations) {
  FuncType own_f, borrow_f;
  own_f.params = {{"f", own_t}};
  borrow_f.params = {{"f", borrow_t}};
  const uint32_t sock = New(&socket, 1);
  struct Row {
    const char* name;
    const FuncType* f;
    uint32_t handle;
    const char* message;
  } rows[] = {
      {"unknown own", &own_f, 12345, "own<file>: unknown handle 12345"},
      {"unknown borrow", &borrow_f, 7, "borrow<file>: unknown handle 7"},
      {"index zero", &own_f, 0, "unknown handle 0"},
      {"foreign own", &own_f, sock, "is a 'socket'"},
      {"foreign borrow", &borrow_f, sock, "is a 'socket'"},
  };
  for (const Row& r : rows)
    EXPECT_NE(Msg(GuestCalls(*r.f, {Value::I32(r.handle)})).find(r.message),
              std::string::npos)
        << r.name << ": " << Msg(GuestCalls(*r.f, {Value::I32(r.handle)}));
  // A borrow handle cannot be passed as an own.
  FuncType lift_f;
  lift_f.params = {{"b", borrow_t}};
  uint32_t borrowed = 0;
  FuncInst* core = store.CreateHostFunc(
      CoreFuncType(T.a, lift_f, false),
      [&](Store&, std::span<const Value> a, std::span<Value>) {
        borrowed = a[0].i32;
        return GuestCalls(own_f, {Value::I32(borrowed)});
      });
  Site site = MakeSite(lift_f);
  std::vector<Val> results;
  const Val arg = Val::Of(ValKind::Borrow, 5);
  EXPECT_NE(Msg(CallLifted(site, core, std::span(&arg, 1), results))
                .find("is a borrow"),
            std::string::npos);
}

TEST_F(ComponentAbiResource, BorrowsAreLentForTheCallAndReturned) {
  FuncType f;
  f.params = {{"f", borrow_t}};
  const uint32_t h = New(&file, 3);
  // During the call the own is lent: it can be neither dropped nor moved.
  FuncType move_f;
  move_f.params = {{"f", own_t}};
  std::optional<Trap> drop_during, move_during;
  ASSERT_FALSE(GuestCalls(f, {Value::I32(h)}, [&](std::span<const Val> a) {
    EXPECT_EQ(a[0].kind, ValKind::Borrow);
    EXPECT_EQ(a[0].u, 3u);
    EXPECT_EQ(inst.handles.Get(h)->lend_count, 1u);
    drop_during = ResourceDrop(store, inst, &file, h);
    return std::optional<Trap>();
  }));
  EXPECT_NE(Msg(drop_during).find("is lent out"), std::string::npos);
  EXPECT_EQ(inst.handles.Get(h)->lend_count, 0u); // returned
  // The same handle as borrow and own of one call: the own cannot move.
  FuncType both;
  both.params = {{"b", borrow_t}, {"o", own_t}};
  EXPECT_NE(Msg(GuestCalls(both, {Value::I32(h), Value::I32(h)}))
                .find("lent out to a call in progress and cannot be moved"),
            std::string::npos);
  EXPECT_EQ(inst.handles.Get(h)->lend_count, 0u); // returned after the trap
  ASSERT_FALSE(ResourceDrop(store, inst, &file, h));
  EXPECT_EQ(dropped, std::vector<uint32_t>{3});
}

TEST_F(ComponentAbiResource,
       BorrowLoweredIntoACallMustBeDroppedBeforeItReturns) {
  FuncType f;
  f.params = {{"f", borrow_t}};
  Site site = MakeSite(f);
  const Val arg = Val::Of(ValKind::Borrow, 11);
  bool drop = true;
  std::optional<Trap> drop_trap;
  FuncInst* core = store.CreateHostFunc(
      CoreFuncType(T.a, f, false),
      [&](Store& s, std::span<const Value> a, std::span<Value>) {
        const uint32_t h = a[0].i32;
        HandleElem* e = inst.handles.Get(h);
        EXPECT_TRUE(e && !e->own && e->rep == 11u);
        if (drop) drop_trap = ResourceDrop(s, inst, &file, h);
        return std::optional<Trap>();
      });
  std::vector<Val> results;
  ASSERT_FALSE(CallLifted(site, core, std::span(&arg, 1), results));
  EXPECT_FALSE(drop_trap);
  EXPECT_TRUE(dropped.empty()); // dropping a borrow does not free the rep
  EXPECT_EQ(inst.handles.live(), 0u);
  drop = false;
  std::optional<Trap> t = CallLifted(site, core, std::span(&arg, 1), results);
  EXPECT_NE(Msg(t).find("borrow handle 1 of 'file' lent for the call was not "
                        "dropped before it returned"),
            std::string::npos)
      << Msg(t);
  EXPECT_EQ(inst.handles.live(), 0u); // the stray borrow is gone
  EXPECT_TRUE(inst.may_enter);
  EXPECT_TRUE(inst.tasks.empty());
}

TEST_F(ComponentAbiResource, BorrowIntoTheDefiningInstancePassesTheRep) {
  ResourceType mine;
  mine.name = "file";
  mine.owner = &inst;
  rts[r_decl] = &mine;
  FuncType f;
  f.params = {{"f", borrow_t}};
  Site site = MakeSite(f);
  uint32_t got = 0;
  FuncInst* core = store.CreateHostFunc(
      CoreFuncType(T.a, f, false),
      [&](Store&, std::span<const Value> a, std::span<Value>) {
        got = a[0].i32;
        return std::optional<Trap>();
      });
  const Val arg = Val::Of(ValKind::Borrow, 1234);
  std::vector<Val> results;
  ASSERT_FALSE(CallLifted(site, core, std::span(&arg, 1), results));
  EXPECT_EQ(got, 1234u);
  EXPECT_EQ(inst.handles.live(), 0u);
}

TEST_F(ComponentAbiResource, OwnResultsAndForeignHostValues) {
  // A host function returns a new host resource (resource == null): it
  // becomes an own handle of the site's type in the caller's table.
  FuncType f;
  f.results = {own_t};
  Site site = MakeSite(f);
  std::vector<Value> out(1);
  ASSERT_FALSE(
      CallLowered(site, {}, out, [](std::span<const Val>, std::vector<Val>& r) {
        r.push_back(Val::Own(nullptr, 55));
        return std::optional<Trap>();
      }));
  HandleElem* e = inst.handles.Get(out[0].i32);
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(e->own);
  EXPECT_EQ(e->type, &file);
  EXPECT_EQ(e->rep, 55u);
  // One of another resource type is refused.
  std::optional<Trap> t = CallLowered(
      site, {}, out, [&](std::span<const Val>, std::vector<Val>& r) {
        r.push_back(Val::Own(&socket, 56));
        return std::optional<Trap>();
      });
  EXPECT_NE(Msg(t).find("a handle of resource 'socket'"), std::string::npos)
      << Msg(t);
  // An unbound resource type traps, it is not dereferenced.
  rts[r_decl] = nullptr;
  t = CallLowered(site, {}, out, [](std::span<const Val>, std::vector<Val>& r) {
    r.push_back(Val::Own(nullptr, 1));
    return std::optional<Trap>();
  });
  EXPECT_NE(Msg(t).find("not bound"), std::string::npos) << Msg(t);
}

TEST_F(ComponentAbiResource, OwnHandlesMoveBetweenTwoGuests) {
  // Instance A passes its own handle to B's export: A loses it, B gets a
  // new index for the same rep; the lifted call's borrow scope is B's.
  InstanceState b;
  FuncType f;
  f.params = {{"f", own_t}, {"g", borrow_t}};
  const uint32_t moved = New(&file, 100), lent = New(&file, 200);
  uint32_t b_own = 0, b_borrow = 0;
  FuncInst* b_core = store.CreateHostFunc(
      CoreFuncType(T.a, f, false),
      [&](Store& s, std::span<const Value> a, std::span<Value>) {
        b_own = a[0].i32;
        b_borrow = a[1].i32;
        return ResourceDrop(s, b, &file, b_borrow);
      });
  Site a_site = MakeSite(f, &inst), b_site = MakeSite(f, &b);
  const Value core[] = {Value::I32(moved), Value::I32(lent)};
  ASSERT_FALSE(CallLowered(a_site, core, {},
                           [&](std::span<const Val> args, std::vector<Val>& r) {
                             return CallLifted(b_site, b_core, args, r);
                           }));
  EXPECT_EQ(inst.handles.Get(moved), nullptr);
  ASSERT_NE(inst.handles.Get(lent), nullptr);
  EXPECT_EQ(inst.handles.Get(lent)->lend_count, 0u);
  ASSERT_NE(b.handles.Get(b_own), nullptr);
  EXPECT_EQ(b.handles.Get(b_own)->rep, 100u);
  EXPECT_EQ(b.handles.live(), 1u); // the borrow was dropped
}

TEST_F(ComponentAbiResource, ResourceBuiltinsRespectMayLeave) {
  inst.may_leave = false;
  uint32_t h = 0;
  EXPECT_NE(Msg(ResourceNew(inst, &file, 1, &h)).find("may not leave"),
            std::string::npos);
  EXPECT_NE(Msg(ResourceDrop(store, inst, &file, 1)).find("may not leave"),
            std::string::npos);
}

} // namespace
} // namespace weft::component
