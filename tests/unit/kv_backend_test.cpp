// One KV suite, run unchanged against every backend: SQLite (a temporary
// folder), Redis (a redis-server this test starts) and NATS JetStream KV (a
// nats-server -js this test starts). Each test gets fresh servers, killed
// at its end (also when it fails: RAII, and PR_SET_PDEATHSIG should the
// test process die). Calls go through KvService, as the guest's do, so the
// shared limits are checked the way a guest meets them.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "kv_servers.h"
#include "platform/caps/caps.h"
#include "platform/caps/kv_backend.h"

namespace {

using namespace weft::caps;
using namespace weft_kv_test;
using Clock = std::chrono::steady_clock;

std::string Kind(const testing::TestParamInfo<std::string>& info) {
  return info.param;
}

class KvBackendTest : public testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    const std::string& kind = GetParam();
    if (kind == "sqlite") {
      url_ = "sqlite";
    } else if (kind == "redis") {
      if (FindProgram("redis-server").empty())
        GTEST_SKIP() << "redis-server is not installed";
      redis_ = std::make_unique<RedisServer>();
      ASSERT_TRUE(redis_->Start()) << redis_->log();
      url_ = redis_->url();
    } else {
      if (FindProgram("nats-server").empty())
        GTEST_SKIP() << "nats-server is not installed";
      nats_ = std::make_unique<NatsServer>();
      ASSERT_TRUE(nats_->Start()) << nats_->log();
      url_ = nats_->url();
    }
    backend_ = NewBackend();
    ASSERT_TRUE(backend_);
  }

  // Another backend on the same place (as a second weft process would be).
  std::shared_ptr<KvBackend> NewBackend() {
    auto b = MakeKvBackend(
        url_, data_.path(),
        [this](std::string_view level, const std::string& message) {
          std::lock_guard lock(events_mu_);
          events_.push_back(std::string(level) + ": " + message);
        });
    EXPECT_TRUE(b.ok()) << (b.ok() ? "" : b.error().message);
    return b.ok() ? *b : nullptr;
  }

  std::shared_ptr<KvStore> Open(const std::string& name,
                                KvBackend* backend = nullptr) {
    auto s = (backend ? backend : backend_.get())->Open(name);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? *s : nullptr;
  }

  std::string Get(KvStore& s, std::string_view key,
                  CapStatus want = CapStatus::kOk) {
    std::string v;
    EXPECT_EQ(KvService::Get(s, key, &v), want) << "key " << Printable(key);
    return v;
  }

  std::vector<std::string> List(KvStore& s, std::string_view prefix) {
    std::vector<std::string> keys;
    EXPECT_EQ(KvService::ListKeys(s, prefix, &keys), CapStatus::kOk);
    return keys;
  }

  static std::string Printable(std::string_view s) {
    std::string out;
    for (unsigned char c : s.substr(0, 40)) {
      if (c >= 0x21 && c < 0x7f) {
        out += static_cast<char>(c);
      } else {
        char buf[8];
        snprintf(buf, sizeof buf, "\\x%02x", c);
        out += buf;
      }
    }
    return s.size() > 40 ? out + "...(" + std::to_string(s.size()) + ")" : out;
  }

  bool HasEvent(const std::string& level) {
    std::lock_guard lock(events_mu_);
    for (const auto& e : events_)
      if (e.rfind(level + ": ", 0) == 0) return true;
    return false;
  }

  TempDir data_{"kv-sqlite"};
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<NatsServer> nats_;
  std::string url_;
  std::shared_ptr<KvBackend> backend_;
  std::mutex events_mu_;
  std::vector<std::string> events_;
};

TEST_P(KvBackendTest, BinaryValuesRoundTrip) {
  auto s = Open("default");
  ASSERT_TRUE(s);
  std::string all_bytes;
  for (int i = 0; i < 256; ++i)
    all_bytes += static_cast<char>(i);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty", ""},
      {"nul", std::string(1, '\0')},
      {"bytes", all_bytes},
      {"nuls-inside", std::string("a\0b\0\0c", 6)},
      {"crlf", "line\r\nnext\r\n\r\n"},
      {"utf8", "gr\xc3\xbc\xc3\x9f dich \xf0\x9f\x99\x82"},
  };
  for (const auto& [k, v] : cases)
    EXPECT_EQ(KvService::Set(*s, k, v), CapStatus::kOk) << k;
  for (const auto& [k, v] : cases)
    EXPECT_EQ(Get(*s, k), v) << k;
  // Overwrite, delete, delete again, get a missing key.
  EXPECT_EQ(KvService::Set(*s, "bytes", "short"), CapStatus::kOk);
  EXPECT_EQ(Get(*s, "bytes"), "short");
  EXPECT_EQ(KvService::Delete(*s, "bytes"), CapStatus::kOk);
  Get(*s, "bytes", CapStatus::kNotFound);
  EXPECT_EQ(KvService::Delete(*s, "bytes"), CapStatus::kOk);
  EXPECT_EQ(KvService::Delete(*s, "never-set"), CapStatus::kOk);
  Get(*s, "never-set", CapStatus::kNotFound);
  // A deleted key can be set again.
  EXPECT_EQ(KvService::Set(*s, "bytes", "back"), CapStatus::kOk);
  EXPECT_EQ(Get(*s, "bytes"), "back");
}

// Every key SQLite accepts (1..256 bytes, anything but NUL) round-trips,
// including what NATS subjects forbid (dots, wildcards, spaces, high
// bytes) and strings that look like the NATS key encoding itself.
TEST_P(KvBackendTest, OddKeysRoundTripAndList) {
  auto s = Open("odd");
  ASSERT_TRUE(s);
  std::set<std::string> keys;
  for (int b = 1; b < 256; ++b)
    keys.insert(std::string(1, static_cast<char>(b)));
  for (const char* k :
       {".",      "..",       ".a",       "a.",       "a..b",  "a.b.c",
        "*",      ">",        "a.*",      "a.>",      " ",     "a b",
        "=",      "==",       "=2E",      "=2e",      "=3D",   "=41",
        "%2E",    "{odd}",    "[a]",      "\\",       "$KV.x", "weft:kv:",
        "\t\r\n", "\xc3\xa9", "\xff\xfe", "_INBOX.x", "-",     "/",
        "a/b/c"})
    keys.insert(k);
  std::mt19937 rng(7); // and random ones, every byte 1..255, 1..256 long
  for (int i = 0; i < 200; ++i) {
    std::string k(1 + rng() % kMaxKeyBytes, ' ');
    for (char& c : k)
      c = static_cast<char>(1 + rng() % 255);
    keys.insert(k);
  }
  keys.insert(std::string(kMaxKeyBytes, '\xff'));
  keys.insert(std::string(kMaxKeyBytes, '.'));
  keys.insert(std::string(kMaxKeyBytes, 'a'));
  for (const std::string& k : keys)
    ASSERT_EQ(KvService::Set(*s, k, "v:" + k), CapStatus::kOk) << Printable(k);
  for (const std::string& k : keys)
    EXPECT_EQ(Get(*s, k), "v:" + k) << Printable(k);
  const std::vector<std::string> want(keys.begin(), keys.end()); // byte order
  EXPECT_EQ(List(*s, ""), want);
  // Keys SQLite refuses are refused everywhere, before the backend.
  std::string v;
  EXPECT_EQ(KvService::Set(*s, "", "x"), CapStatus::kInvalid);
  EXPECT_EQ(KvService::Set(*s, std::string("a\0b", 3), "x"),
            CapStatus::kInvalid);
  EXPECT_EQ(KvService::Set(*s, std::string(kMaxKeyBytes + 1, 'a'), "x"),
            CapStatus::kInvalid);
  EXPECT_EQ(KvService::Get(*s, "", &v), CapStatus::kInvalid);
}

TEST_P(KvBackendTest, BigValuesUpToTheLimitAndJustOver) {
  auto s = Open("big");
  ASSERT_TRUE(s);
  std::string big(kMaxValueBytes, '\0');
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>((i * 131) ^ (i >> 9));
  ASSERT_EQ(KvService::Set(*s, "big", big), CapStatus::kOk);
  EXPECT_TRUE(Get(*s, "big") == big) << "1 MiB value differs";
  // One byte over: a clear error, and the stored value is untouched.
  std::string over = big + "x";
  over[0] = 'X';
  EXPECT_EQ(KvService::Set(*s, "big", over), CapStatus::kTooLarge);
  EXPECT_TRUE(Get(*s, "big") == big);
  EXPECT_EQ(KvService::Set(*s, "other", over), CapStatus::kTooLarge);
  Get(*s, "other", CapStatus::kNotFound);
  // The largest key with the largest value.
  const std::string key(kMaxKeyBytes, 'k');
  ASSERT_EQ(KvService::Set(*s, key, big), CapStatus::kOk);
  EXPECT_TRUE(Get(*s, key) == big);
  EXPECT_EQ(List(*s, "k"), std::vector<std::string>{key});
}

TEST_P(KvBackendTest, ListsByPrefixInByteOrder) {
  auto s = Open("list");
  ASSERT_TRUE(s);
  EXPECT_TRUE(List(*s, "").empty());
  for (const char* k : {"b", "abc", "a", "ab", "a\xff", "a\xff\xff", "\xff",
                        "a*", "a[", "a?", ".", ".x", "=2E", "ac"})
    ASSERT_EQ(KvService::Set(*s, k, "1"), CapStatus::kOk);
  using V = std::vector<std::string>;
  EXPECT_EQ(List(*s, "a"), (V{"a", "a*", "a?", "a[", "ab", "abc", "ac", "a\xff",
                              "a\xff\xff"}));
  EXPECT_EQ(List(*s, "ab"), (V{"ab", "abc"}));
  EXPECT_EQ(List(*s, "abc"), (V{"abc"}));
  EXPECT_EQ(List(*s, "abcd"), V{});
  EXPECT_EQ(List(*s, "a\xff"), (V{"a\xff", "a\xff\xff"}));
  EXPECT_EQ(List(*s, "\xff"), (V{"\xff"}));
  // Glob and regex characters are literal.
  EXPECT_EQ(List(*s, "a*"), (V{"a*"}));
  EXPECT_EQ(List(*s, "a["), (V{"a["}));
  EXPECT_EQ(List(*s, "a?"), (V{"a?"}));
  // A dot is the byte '.', not the encoding of it.
  EXPECT_EQ(List(*s, "."), (V{".", ".x"}));
  EXPECT_EQ(List(*s, "="), (V{"=2E"}));
  EXPECT_EQ(List(*s, "z"), V{});
  EXPECT_EQ(List(*s, "").size(), 14u);
  ASSERT_EQ(KvService::Delete(*s, "ab"), CapStatus::kOk);
  EXPECT_EQ(List(*s, "ab"), (V{"abc"}));
  // A prefix longer than any key, or with NUL, is refused like a key.
  std::vector<std::string> keys;
  EXPECT_EQ(KvService::ListKeys(*s, std::string(kMaxKeyBytes + 1, 'a'), &keys),
            CapStatus::kInvalid);
}

TEST_P(KvBackendTest, StoresAreSeparate) {
  auto one = Open("one"), one_more = Open("one_more"), two = Open("two");
  ASSERT_TRUE(one && one_more && two);
  ASSERT_EQ(KvService::Set(*one, "k", "1"), CapStatus::kOk);
  ASSERT_EQ(KvService::Set(*one_more, "k", "1+"), CapStatus::kOk);
  ASSERT_EQ(KvService::Set(*one_more, "only-here", "x"), CapStatus::kOk);
  ASSERT_EQ(KvService::Set(*two, "k", "2"), CapStatus::kOk);
  EXPECT_EQ(Get(*one, "k"), "1");
  EXPECT_EQ(Get(*one_more, "k"), "1+");
  EXPECT_EQ(Get(*two, "k"), "2");
  Get(*one, "only-here", CapStatus::kNotFound);
  EXPECT_EQ(List(*one, ""), std::vector<std::string>{"k"});
  ASSERT_EQ(KvService::Delete(*two, "k"), CapStatus::kOk);
  EXPECT_EQ(Get(*one, "k"), "1");
  // The same name gives the same store.
  EXPECT_EQ(Open("one"), one);
}

// A second backend on the same place sees the first one's writes at once
// (two weft processes sharing the store).
TEST_P(KvBackendTest, TwoBackendsShareTheData) {
  auto other = NewBackend();
  ASSERT_TRUE(other);
  auto a = Open("shared"), b = Open("shared", other.get());
  ASSERT_TRUE(a && b);
  ASSERT_EQ(KvService::Set(*a, "x", "from a"), CapStatus::kOk);
  EXPECT_EQ(Get(*b, "x"), "from a");
  ASSERT_EQ(KvService::Set(*b, "x", "from b"), CapStatus::kOk);
  EXPECT_EQ(Get(*a, "x"), "from b");
  ASSERT_EQ(KvService::Delete(*b, "x"), CapStatus::kOk);
  Get(*a, "x", CapStatus::kNotFound);
  EXPECT_TRUE(List(*a, "").empty());
}

// Eight threads write their own keys and one shared key while readers read
// the shared key: every own key holds its last value, and every read of
// the shared key (and its final value) is one whole value some writer
// wrote, never a mix.
TEST_P(KvBackendTest, ConcurrentWritersAndReaders) {
  auto s = Open("busy");
  ASSERT_TRUE(s);
  constexpr int kWriters = 8, kRounds = 60;
  auto shared_value = [](int t, int r) {
    return std::to_string(t) + ":" + std::to_string(r) + ":" +
           std::string(2000, static_cast<char>('a' + t));
  };
  auto well_formed = [&](const std::string& v) {
    int t = -1, r = -1;
    if (sscanf(v.c_str(), "%d:%d:", &t, &r) != 2 || t < 0 || t >= kWriters ||
        r < 0 || r >= kRounds)
      return false;
    return v == shared_value(t, r);
  };
  std::atomic<int> failures{0}, torn{0}, reads{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; ++t)
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        const std::string own =
            "t" + std::to_string(t) + "-" + std::to_string(r % 20);
        if (KvService::Set(*s, own, std::to_string(r)) != CapStatus::kOk)
          ++failures;
        if (KvService::Set(*s, "shared", shared_value(t, r)) != CapStatus::kOk)
          ++failures;
      }
    });
  std::vector<std::thread> readers;
  for (int i = 0; i < 2; ++i)
    readers.emplace_back([&] {
      while (!done) {
        std::string v;
        CapStatus st = KvService::Get(*s, "shared", &v);
        if (st == CapStatus::kOk) {
          ++reads;
          if (!well_formed(v)) ++torn;
        } else if (st != CapStatus::kNotFound) {
          ++failures;
        }
      }
    });
  for (auto& t : threads)
    t.join();
  done = true;
  for (auto& t : readers)
    t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_TRUE(well_formed(Get(*s, "shared")));
  for (int t = 0; t < kWriters; ++t) {
    const std::string prefix = "t" + std::to_string(t) + "-";
    EXPECT_EQ(List(*s, prefix).size(), 20u) << prefix;
    // Round r writes key r % 20: the last write of key i was round 40 + i.
    for (int i = 0; i < 20; ++i)
      EXPECT_EQ(Get(*s, prefix + std::to_string(i)), std::to_string(40 + i));
  }
  EXPECT_EQ(List(*s, "").size(), kWriters * 20u + 1);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, KvBackendTest,
                         testing::Values("sqlite", "redis", "jetstream"), Kind);

// ---- losing the server (the networked backends) ----------------------------

class KvServerLossTest : public KvBackendTest {
protected:
  void KillServer() {
    if (redis_) redis_->Kill();
    if (nats_) nats_->Kill();
  }
  bool RestartServer() {
    if (redis_) return redis_->Start();
    return nats_->Start();
  }
};

// The server dies mid-suite: every call fails with kUnavailable well under
// a second (and a burst of calls does not wait on the network each time);
// once it is back the backend recovers by itself.
TEST_P(KvServerLossTest, FailsFastThenRecovers) {
  auto s = Open("default");
  ASSERT_TRUE(s);
  ASSERT_EQ(KvService::Set(*s, "before", "1"), CapStatus::kOk);
  EXPECT_EQ(Get(*s, "before"), "1");
  KillServer();

  std::string v;
  std::vector<std::string> keys;
  auto t0 = Clock::now();
  EXPECT_EQ(KvService::Get(*s, "before", &v), CapStatus::kUnavailable);
  auto first = Clock::now() - t0;
  EXPECT_LT(first, 500ms) << "first call after the loss";
  printf("first call after the loss: %.1f ms\n",
         std::chrono::duration<double, std::milli>(first).count());
  t0 = Clock::now();
  EXPECT_EQ(KvService::Set(*s, "k", "v"), CapStatus::kUnavailable);
  EXPECT_EQ(KvService::Delete(*s, "k"), CapStatus::kUnavailable);
  EXPECT_EQ(KvService::ListKeys(*s, "", &keys), CapStatus::kUnavailable);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(KvService::Get(*s, "before", &v), CapStatus::kUnavailable);
  EXPECT_LT(Clock::now() - t0, 500ms) << "103 calls while down";
  // A store first opened while the server is down fails fast too.
  auto late = Open("late");
  ASSERT_TRUE(late);
  t0 = Clock::now();
  EXPECT_EQ(KvService::Set(*late, "k", "v"), CapStatus::kUnavailable);
  EXPECT_LT(Clock::now() - t0, 500ms);
  EXPECT_TRUE(HasEvent("warn"));

  ASSERT_TRUE(RestartServer());
  CapStatus st = CapStatus::kUnavailable;
  const auto until = Clock::now() + 15s;
  while (Clock::now() < until &&
         (st = KvService::Set(*s, "after", "2")) != CapStatus::kOk)
    std::this_thread::sleep_for(20ms);
  ASSERT_EQ(st, CapStatus::kOk) << "no recovery within 15 s";
  EXPECT_EQ(Get(*s, "after"), "2");
  EXPECT_EQ(KvService::Set(*late, "k", "v"), CapStatus::kOk);
  EXPECT_EQ(Get(*late, "k"), "v");
  if (nats_) {
    EXPECT_EQ(Get(*s, "before"), "1"); // JetStream kept its files
  }
  EXPECT_TRUE(HasEvent("info"));
}

// No server at all when the backend is made: it still starts, calls fail
// fast, and it works once a server appears on that address.
TEST_P(KvServerLossTest, StartsWithoutAServer) {
  KillServer();
  auto backend = NewBackend();
  ASSERT_TRUE(backend);
  auto s = Open("default", backend.get());
  ASSERT_TRUE(s);
  std::string v;
  auto t0 = Clock::now();
  EXPECT_EQ(KvService::Get(*s, "k", &v), CapStatus::kUnavailable);
  EXPECT_LT(Clock::now() - t0, 500ms);
  ASSERT_TRUE(RestartServer());
  CapStatus st = CapStatus::kUnavailable;
  const auto until = Clock::now() + 15s;
  while (Clock::now() < until &&
         (st = KvService::Set(*s, "k", "v")) != CapStatus::kOk)
    std::this_thread::sleep_for(20ms);
  ASSERT_EQ(st, CapStatus::kOk);
  EXPECT_EQ(Get(*s, "k"), "v");
}

// The server hangs (SIGSTOP: connections are accepted, nothing answers):
// the first call ends with kUnavailable once its timeout passes, the next
// ones at once (no call waits again on a server known not to answer), and
// the backend recovers when the server answers again.
TEST_P(KvServerLossTest, HungServerCostsOneTimeoutThenFailsFast) {
  auto s = Open("default");
  ASSERT_TRUE(s);
  ASSERT_EQ(KvService::Set(*s, "k", "1"), CapStatus::kOk);
  if (redis_) redis_->Pause();
  if (nats_) nats_->Pause();
  std::string v;
  auto t0 = Clock::now();
  EXPECT_EQ(KvService::Get(*s, "k", &v), CapStatus::kUnavailable);
  const auto first = Clock::now() - t0;
  EXPECT_LT(first, 2500ms);
  t0 = Clock::now();
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(KvService::Get(*s, "k", &v), CapStatus::kUnavailable);
  EXPECT_LT(Clock::now() - t0, 100ms) << "20 calls on a hung server";
  printf("first call on the hung server: %.0f ms\n",
         std::chrono::duration<double, std::milli>(first).count());
  EXPECT_TRUE(HasEvent("warn"));
  if (redis_) redis_->Resume();
  if (nats_) nats_->Resume();
  CapStatus st = CapStatus::kUnavailable;
  const auto until = Clock::now() + 20s;
  while (Clock::now() < until &&
         (st = KvService::Get(*s, "k", &v)) != CapStatus::kOk)
    std::this_thread::sleep_for(20ms);
  ASSERT_EQ(st, CapStatus::kOk);
  EXPECT_EQ(v, "1");
}

INSTANTIATE_TEST_SUITE_P(Networked, KvServerLossTest,
                         testing::Values("redis", "jetstream"), Kind);

// ---- backend specifics
// -------------------------------------------------------

TEST(NatsKeyEncoding, EveryByteRoundTripsIntoAllowedCharacters) {
  auto allowed = [](const std::string& enc) {
    for (unsigned char c : enc)
      if (!std::isalnum(c) && c != '_' && c != '-' && c != '/' && c != '=')
        return false;
    return !enc.empty();
  };
  for (int b = 1; b < 256; ++b) {
    const std::string key(1, static_cast<char>(b));
    const std::string enc = EncodeNatsKey(key);
    EXPECT_TRUE(allowed(enc)) << b << " -> " << enc;
    EXPECT_EQ(DecodeNatsKey(enc), key) << b;
  }
  EXPECT_EQ(EncodeNatsKey("a.b"), "a=2Eb");
  EXPECT_EQ(EncodeNatsKey("="), "=3D");
  EXPECT_EQ(EncodeNatsKey("Az09_-/"), "Az09_-/");
  EXPECT_EQ(EncodeNatsKey(std::string(kMaxKeyBytes, '\xff')).size(),
            3 * kMaxKeyBytes);
  std::mt19937 rng(12);
  for (int i = 0; i < 2000; ++i) {
    std::string key(1 + rng() % kMaxKeyBytes, ' ');
    for (char& c : key)
      c = static_cast<char>(1 + rng() % 255);
    const std::string enc = EncodeNatsKey(key);
    ASSERT_TRUE(allowed(enc));
    ASSERT_EQ(DecodeNatsKey(enc), key);
  }
  // Only the canonical spelling decodes (one key, one subject).
  for (const char* bad : {"=", "=4", "=2e", "=41", "=00", "a.b", "a b", "=G0",
                          "=2E=", "\xc3\xa9"})
    EXPECT_EQ(DecodeNatsKey(bad), std::nullopt) << bad;
}

TEST(RedisUrl, ParsesEveryPart) {
  auto o = ParseRedisUrl("redis://127.0.0.1:6380/3");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->host, "127.0.0.1");
  EXPECT_EQ(o->port, 6380);
  EXPECT_EQ(o->db, 3);
  EXPECT_EQ(o->password, "");
  o = ParseRedisUrl("redis://:p%40ss%3Aw@cache.local");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->host, "cache.local");
  EXPECT_EQ(o->port, 6379);
  EXPECT_EQ(o->user, "");
  EXPECT_EQ(o->password, "p@ss:w");
  o = ParseRedisUrl("redis://app:pw@[::1]:7000/0?prefix=t1:");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->host, "::1");
  EXPECT_EQ(o->port, 7000);
  EXPECT_EQ(o->user, "app");
  EXPECT_EQ(o->password, "pw");
  EXPECT_EQ(o->key_prefix, "t1:");
  for (const char* bad :
       {"redis://", "redis://host:0", "redis://host:65536", "redis://host:x",
        "redis://host:", "redis://host/x", "redis://user@host",
        "redis://:@host", "redis://:%4@host", "redis://[::1",
        "redis://host?db=1", "redis://host?prefix="})
    EXPECT_FALSE(ParseRedisUrl(bad).ok()) << bad;
  TempDir dir("kv-url");
  for (const char* bad :
       {"http://x", "sqlite:x", "nats://h:1?prefix=a.b", "redis://h:1?x=1",
        "nats://h:1?replicas=0", "nats://h:1?replicas=7", "nats://h:1?x=1",
        "nats://h:1?prefix=a&prefix=b", "redis://h:1?replicas=3",
        "nats://h:1?prefix="})
    EXPECT_FALSE(MakeKvBackend(bad, dir.path()).ok()) << bad;
  // Good ones (nothing listens there: the backend connects in the
  // background, and is dropped at once).
  for (const char* good : {"sqlite", "redis://127.0.0.1:1?prefix=p%3A",
                           "nats://127.0.0.1:1?prefix=p_&replicas=3"}) {
    auto b = MakeKvBackend(good, dir.path());
    EXPECT_TRUE(b.ok()) << good << ": " << (b.ok() ? "" : b.error().message);
  }
}

// A password-protected Redis: the right password works; a wrong one is
// kIo (the server answered: not a reachability problem), ...
TEST(RedisKv, AuthAndDatabases) {
  if (FindProgram("redis-server").empty()) GTEST_SKIP() << "no redis-server";
  RedisServer server({"--requirepass", "s3cret"});
  ASSERT_TRUE(server.Start()) << server.log();
  TempDir dir("kv-redis");
  const std::string host = "127.0.0.1:" + std::to_string(server.port());
  auto good = MakeKvBackend("redis://:s3cret@" + host + "/2", dir.path());
  auto other_db = MakeKvBackend("redis://:s3cret@" + host + "/3", dir.path());
  auto bad = MakeKvBackend("redis://:wrong@" + host, dir.path());
  auto none = MakeKvBackend("redis://" + host, dir.path());
  ASSERT_TRUE(good.ok() && other_db.ok() && bad.ok() && none.ok());
  auto s = (*good)->Open("default").value();
  ASSERT_EQ(KvService::Set(*s, "k", "db2"), CapStatus::kOk);
  std::string v;
  EXPECT_EQ(KvService::Get(*s, "k", &v), CapStatus::kOk);
  EXPECT_EQ(v, "db2");
  auto s3 = (*other_db)->Open("default").value();
  EXPECT_EQ(KvService::Get(*s3, "k", &v), CapStatus::kNotFound);
  // ... also while it waits before connecting again.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(KvService::Get(*(*bad)->Open("default").value(), "k", &v),
              CapStatus::kIo);
  // Without AUTH the server refuses the command itself.
  EXPECT_EQ(KvService::Get(*(*none)->Open("default").value(), "k", &v),
            CapStatus::kIo);
}

// A nats-server whose max_payload is below 1 MiB: values up to it are
// stored, one byte more is kTooLarge before anything is sent.
TEST(JetStreamKv, ServerPayloadLimitIsAnExplicitError) {
  if (FindProgram("nats-server").empty()) GTEST_SKIP() << "no nats-server";
  NatsServer server("max_payload: 65536");
  ASSERT_TRUE(server.Start()) << server.log();
  TempDir dir("kv-nats");
  auto backend = MakeKvBackend(server.url(), dir.path());
  ASSERT_TRUE(backend.ok());
  auto s = (*backend)->Open("small").value();
  std::string v;
  CapStatus st = CapStatus::kUnavailable;
  for (int i = 0; i < 100 && st == CapStatus::kUnavailable; ++i) {
    st = KvService::Set(*s, "k", std::string(65536, 'a'));
    if (st == CapStatus::kUnavailable) std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(st, CapStatus::kOk);
  EXPECT_EQ(KvService::Set(*s, "k", std::string(65537, 'b')),
            CapStatus::kTooLarge);
  EXPECT_EQ(KvService::Get(*s, "k", &v), CapStatus::kOk);
  EXPECT_EQ(v, std::string(65536, 'a'));
}

// A nats-server without JetStream: calls fail (fast) and the log says why.
TEST(JetStreamKv, ServerWithoutJetStream) {
  const std::string bin = FindProgram("nats-server");
  if (bin.empty()) GTEST_SKIP() << "no nats-server";
  TempDir dir("kv-nojs");
  ServerProcess server(
      [&](int port) {
        return std::vector<std::string>{bin, "-p", std::to_string(port), "-a",
                                        "127.0.0.1"};
      },
      dir.path() / "nats.log");
  ASSERT_TRUE(server.Start()) << server.log();
  const int port = server.port();
  std::vector<std::string> events;
  std::mutex mu;
  auto backend =
      MakeKvBackend("nats://127.0.0.1:" + std::to_string(port), dir.path(),
                    [&](std::string_view level, const std::string& message) {
                      std::lock_guard lock(mu);
                      events.push_back(std::string(level) + ": " + message);
                    });
  ASSERT_TRUE(backend.ok());
  auto s = (*backend)->Open("default").value();
  CapStatus st = CapStatus::kOk;
  Clock::duration took{};
  for (int i = 0; i < 50; ++i) { // until the background connect is done
    const auto t0 = Clock::now();
    st = KvService::Set(*s, "k", "v");
    took = Clock::now() - t0;
    std::lock_guard lock(mu);
    if (!events.empty() && events.back().find("bucket") != std::string::npos)
      break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_NE(st, CapStatus::kOk);
  EXPECT_LT(took, 1500ms);
  std::lock_guard lock(mu);
  ASSERT_FALSE(events.empty());
  EXPECT_NE(events.back().find("bucket weft_kv_default cannot be created"),
            std::string::npos)
      << events.back();
  printf("status %d after %.0f ms; event: %s\n", static_cast<int>(st),
         std::chrono::duration<double, std::milli>(took).count(),
         events.back().c_str());
}

// The cluster layer's way: a connection made elsewhere, borrowed by the
// backend, still open and usable after the backend is gone.
TEST(JetStreamKv, BorrowsAConnection) {
  if (FindProgram("nats-server").empty()) GTEST_SKIP() << "no nats-server";
  NatsServer server;
  ASSERT_TRUE(server.Start()) << server.log();
  natsConnection* nc = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&nc, server.url().c_str()), NATS_OK);
  {
    JetStreamKvOptions o;
    o.bucket_prefix = "node_a_";
    auto backend = JetStreamKvBackend::Create(nc, o);
    ASSERT_TRUE(backend.ok());
    auto s = (*backend)->Open("default").value();
    ASSERT_EQ(KvService::Set(*s, "k", "v"), CapStatus::kOk);
    std::string v;
    EXPECT_EQ(KvService::Get(*s, "k", &v), CapStatus::kOk);
    EXPECT_EQ(v, "v");
  }
  EXPECT_EQ(natsConnection_Status(nc), NATS_CONN_STATUS_CONNECTED);
  {
    // Other settings for the same bucket (memory storage): the existing
    // bucket is used as it is, with a warning.
    JetStreamKvOptions o;
    o.bucket_prefix = "node_a_";
    o.memory_storage = true;
    std::vector<std::string> events;
    o.events = [&](std::string_view, const std::string& m) {
      events.push_back(m);
    };
    auto backend = JetStreamKvBackend::Create(nc, o);
    ASSERT_TRUE(backend.ok());
    auto s = (*backend)->Open("default").value();
    std::string v;
    EXPECT_EQ(KvService::Get(*s, "k", &v), CapStatus::kOk);
    EXPECT_EQ(v, "v");
    ASSERT_EQ(events.size(), 1u);
    EXPECT_NE(events[0].find("exists with other settings"), std::string::npos)
        << events[0];
  }
  // The bucket is there under the prefix.
  jsCtx* js = nullptr;
  ASSERT_EQ(natsConnection_JetStream(&js, nc, nullptr), NATS_OK);
  kvStore* kv = nullptr;
  EXPECT_EQ(js_KeyValue(&kv, js, "node_a_default"), NATS_OK);
  kvEntry* e = nullptr;
  EXPECT_EQ(kvStore_Get(&e, kv, "k"), NATS_OK);
  kvEntry_Destroy(e);
  kvStore_Destroy(kv);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
}

} // namespace
