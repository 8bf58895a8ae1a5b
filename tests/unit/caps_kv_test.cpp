// The KV capability: the SQLite backend for real (files in a temp dir),
// persistence across a new backend (a server restart), the limits, and
// KvService's grant checks. Also variables and the outbound allow-list.
#include <filesystem>
#include <gtest/gtest.h>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "platform/caps/caps.h"

namespace weft::caps {
namespace {

namespace fs = std::filesystem;

class TempDir {
public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "weft-kv-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

private:
  fs::path path_;
};

std::shared_ptr<KvStore> MustOpen(KvBackend& b, std::string_view name) {
  auto r = b.Open(name);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : nullptr;
}

TEST(CapsKv, SetGetDeleteList) {
  TempDir dir;
  SqliteKvBackend backend(dir.path() / "data");
  auto s = MustOpen(backend, "default");
  ASSERT_TRUE(s);
  EXPECT_TRUE(fs::exists(dir.path() / "data" / "default.sqlite"));

  std::string v;
  EXPECT_EQ(s->Get("missing", &v), CapStatus::kNotFound);
  EXPECT_EQ(s->Set("user:1", "alice"), CapStatus::kOk);
  EXPECT_EQ(s->Set("user:2", "bob"), CapStatus::kOk);
  EXPECT_EQ(s->Set("user:10", ""), CapStatus::kOk); // empty value
  EXPECT_EQ(s->Set("other", "x"), CapStatus::kOk);
  EXPECT_EQ(s->Get("user:1", &v), CapStatus::kOk);
  EXPECT_EQ(v, "alice");
  EXPECT_EQ(s->Get("user:10", &v), CapStatus::kOk);
  EXPECT_EQ(v, "");
  EXPECT_EQ(s->Set("user:1", "alice2"), CapStatus::kOk); // overwrite
  EXPECT_EQ(s->Get("user:1", &v), CapStatus::kOk);
  EXPECT_EQ(v, "alice2");

  // Binary keys and values survive unchanged.
  std::string bin_key = "b\x01\xff";
  std::string bin_val("\0\x01\x02\xff", 4);
  EXPECT_EQ(s->Set(bin_key, bin_val), CapStatus::kOk);
  EXPECT_EQ(s->Get(bin_key, &v), CapStatus::kOk);
  EXPECT_EQ(v, bin_val);

  std::vector<std::string> keys;
  EXPECT_EQ(s->ListKeys("user:", &keys), CapStatus::kOk);
  EXPECT_EQ(keys, (std::vector<std::string>{"user:1", "user:10", "user:2"}));
  EXPECT_EQ(s->ListKeys("user:1", &keys), CapStatus::kOk);
  EXPECT_EQ(keys, (std::vector<std::string>{"user:1", "user:10"}));
  EXPECT_EQ(s->ListKeys("", &keys), CapStatus::kOk);
  EXPECT_EQ(keys.size(), 5u);
  EXPECT_EQ(s->ListKeys("zzz", &keys), CapStatus::kOk);
  EXPECT_TRUE(keys.empty());
  // '%' and '_' are not wildcards.
  EXPECT_EQ(s->ListKeys("user_", &keys), CapStatus::kOk);
  EXPECT_TRUE(keys.empty());

  EXPECT_EQ(s->Delete("user:2"), CapStatus::kOk);
  EXPECT_EQ(s->Get("user:2", &v), CapStatus::kNotFound);
  EXPECT_EQ(s->Delete("user:2"), CapStatus::kOk); // idempotent
  EXPECT_EQ(s->ListKeys("user:", &keys), CapStatus::kOk);
  EXPECT_EQ(keys, (std::vector<std::string>{"user:1", "user:10"}));
}

TEST(CapsKv, StoresAreSeparateFiles) {
  TempDir dir;
  SqliteKvBackend backend(dir.path());
  auto a = MustOpen(backend, "a");
  auto b = MustOpen(backend, "b-2");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->Set("k", "in a"), CapStatus::kOk);
  std::string v;
  EXPECT_EQ(b->Get("k", &v), CapStatus::kNotFound);
  EXPECT_TRUE(fs::exists(dir.path() / "a.sqlite"));
  EXPECT_TRUE(fs::exists(dir.path() / "b-2.sqlite"));
  // Same name, same store object.
  EXPECT_EQ(MustOpen(backend, "a"), a);
}

TEST(CapsKv, InvalidStoreNamesAreRefused) {
  TempDir dir;
  SqliteKvBackend backend(dir.path());
  for (std::string bad :
       std::vector<std::string>{"", "../x", "a/b", "a.b", std::string(65, 'a'),
                                std::string("a\0b", 3)})
    EXPECT_FALSE(backend.Open(bad).ok()) << bad;
  EXPECT_TRUE(backend.Open(std::string(64, 'a')).ok());
  // Nothing escaped the data directory.
  EXPECT_FALSE(fs::exists(dir.path().parent_path() / "x.sqlite"));
}

TEST(CapsKv, DataSurvivesARestart) {
  TempDir dir;
  {
    SqliteKvBackend backend(dir.path());
    auto s = MustOpen(backend, "default");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->Set("count", "41"), CapStatus::kOk);
    EXPECT_EQ(s->Set("gone", "x"), CapStatus::kOk);
    EXPECT_EQ(s->Delete("gone"), CapStatus::kOk);
  } // backend and its connections closed, like a server shutting down
  SqliteKvBackend again(dir.path());
  auto s = MustOpen(again, "default");
  ASSERT_TRUE(s);
  std::string v;
  EXPECT_EQ(s->Get("count", &v), CapStatus::kOk);
  EXPECT_EQ(v, "41");
  EXPECT_EQ(s->Get("gone", &v), CapStatus::kNotFound);
}

TEST(CapsKv, ServiceEnforcesLimits) {
  TempDir dir;
  SqliteKvBackend backend(dir.path());
  auto s = MustOpen(backend, "default");
  ASSERT_TRUE(s);
  std::string v;
  EXPECT_EQ(KvService::Set(*s, "", "x"), CapStatus::kInvalid);
  EXPECT_EQ(KvService::Set(*s, std::string(257, 'k'), "x"),
            CapStatus::kInvalid);
  EXPECT_EQ(KvService::Set(*s, std::string("a\0b", 3), "x"),
            CapStatus::kInvalid);
  EXPECT_EQ(KvService::Set(*s, std::string(256, 'k'), "x"), CapStatus::kOk);
  EXPECT_EQ(KvService::Get(*s, std::string(257, 'k'), &v), CapStatus::kInvalid);
  EXPECT_EQ(KvService::Delete(*s, ""), CapStatus::kInvalid);
  std::string max(kMaxValueBytes, 'v');
  EXPECT_EQ(KvService::Set(*s, "big", max), CapStatus::kOk);
  EXPECT_EQ(KvService::Get(*s, "big", &v), CapStatus::kOk);
  EXPECT_EQ(v.size(), kMaxValueBytes);
  EXPECT_EQ(KvService::Set(*s, "big", max + "!"), CapStatus::kTooLarge);
  EXPECT_EQ(KvService::Get(*s, "big", &v), CapStatus::kOk);
  EXPECT_EQ(v.size(), kMaxValueBytes); // unchanged
  std::vector<std::string> keys;
  EXPECT_EQ(KvService::ListKeys(*s, std::string(257, 'k'), &keys),
            CapStatus::kInvalid);
}

TEST(CapsKv, ServiceOpensOnlyGrantedStores) {
  TempDir dir;
  SqliteKvBackend backend(dir.path());
  KvService kv(&backend);
  FunctionGrants grants;
  grants.function = "f";
  grants.kv_stores = {"default"};
  std::shared_ptr<KvStore> s;
  EXPECT_EQ(kv.Open(grants, "default", &s), CapStatus::kOk);
  EXPECT_TRUE(s);
  std::shared_ptr<KvStore> other;
  EXPECT_EQ(kv.Open(grants, "secret", &other), CapStatus::kForbidden);
  EXPECT_FALSE(other);
  EXPECT_FALSE(fs::exists(dir.path() / "secret.sqlite"));
  EXPECT_EQ(kv.Open(grants, "../default", &other), CapStatus::kInvalid);
  FunctionGrants none;
  EXPECT_EQ(kv.Open(none, "default", &other), CapStatus::kForbidden);
}

TEST(CapsKv, ConcurrentWritersFromThreads) {
  TempDir dir;
  SqliteKvBackend backend(dir.path());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      auto s = backend.Open("default");
      ASSERT_TRUE(s.ok());
      for (int i = 0; i < 50; ++i)
        EXPECT_EQ(
            (*s)->Set("t" + std::to_string(t) + ":" + std::to_string(i), "v"),
            CapStatus::kOk);
    });
  for (auto& th : threads)
    th.join();
  auto s = MustOpen(backend, "default");
  std::vector<std::string> keys;
  EXPECT_EQ(s->ListKeys("", &keys), CapStatus::kOk);
  EXPECT_EQ(keys.size(), 200u);
}

TEST(CapsVariables, EnvironmentOverridesDefaults) {
  std::map<std::string, std::string> defaults = {
      {"greeting", "hi"}, {"api-key", "dev"}, {"unset", "keep"}};
  const char* env[] = {"WEFT_VAR_GREETING=hello", "WEFT_VAR_API_KEY=prod=1",
                       "WEFT_VAR_UNDECLARED=x", "GREETING=nope", nullptr};
  auto vars = ResolveVariables(defaults, env);
  EXPECT_EQ(vars.size(), 3u);
  EXPECT_EQ(vars["greeting"], "hello");
  EXPECT_EQ(vars["api-key"], "prod=1");
  EXPECT_EQ(vars["unset"], "keep");
  EXPECT_EQ(vars.count("undeclared"), 0u);
}

TEST(CapsOutbound, AllowListMatchesWholeOrigins) {
  std::vector<std::string> allowed = {"http://127.0.0.1:8081",
                                      "https://API.example.com",
                                      "http://svc.local/v1/"};
  EXPECT_TRUE(OutboundAllowed(allowed, "http://127.0.0.1:8081/"));
  EXPECT_TRUE(OutboundAllowed(allowed, "http://127.0.0.1:8081/x?y=1"));
  EXPECT_TRUE(OutboundAllowed(allowed, "HTTP://127.0.0.1:8081"));
  EXPECT_FALSE(OutboundAllowed(allowed, "http://127.0.0.1:8082/"));
  EXPECT_FALSE(OutboundAllowed(allowed, "http://127.0.0.1/"));
  EXPECT_FALSE(OutboundAllowed(allowed, "https://127.0.0.1:8081/"));
  EXPECT_TRUE(OutboundAllowed(allowed, "https://api.example.com:443/q"));
  EXPECT_FALSE(OutboundAllowed(allowed, "https://api.example.com.evil.net/"));
  EXPECT_FALSE(OutboundAllowed(allowed, "https://evil.net/api.example.com"));
  EXPECT_FALSE(OutboundAllowed(allowed, "http://127.0.0.1:8081@evil.net/"));
  EXPECT_TRUE(OutboundAllowed(allowed, "http://svc.local/v1/items"));
  EXPECT_TRUE(OutboundAllowed(allowed, "http://svc.local/v1"));
  EXPECT_FALSE(OutboundAllowed(allowed, "http://svc.local/v2/items"));
  EXPECT_FALSE(OutboundAllowed(allowed, "http://svc.local/v10"));
  EXPECT_FALSE(OutboundAllowed(allowed, "not a url"));
  EXPECT_FALSE(OutboundAllowed({}, "http://127.0.0.1:8081/"));
}

TEST(CapsRequest, ScopedRequestCapsNestsAndRestores) {
  EXPECT_EQ(CurrentRequestCaps(), nullptr);
  RequestCaps a, b;
  {
    ScopedRequestCaps sa(&a);
    EXPECT_EQ(CurrentRequestCaps(), &a);
    {
      ScopedRequestCaps sb(&b);
      EXPECT_EQ(CurrentRequestCaps(), &b);
      std::thread([] { EXPECT_EQ(CurrentRequestCaps(), nullptr); }).join();
    }
    EXPECT_EQ(CurrentRequestCaps(), &a);
  }
  EXPECT_EQ(CurrentRequestCaps(), nullptr);
}

} // namespace
} // namespace weft::caps
