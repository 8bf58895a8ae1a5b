// src/nats against a real nats-server (started here on a free port): the
// connection (retried in the background when no server is up yet, and
// reconnected after the server restarts, both counted), and JetStream KV
// buckets (get/put, compare-and-set, keys, a TTL that expires entries).
#include <gtest/gtest.h>

#include <atomic>
#include <unistd.h>

#include "nats/nats_client.h"
#include "nats_server_helper.h"

namespace {

using namespace weft_serve_test;
using namespace std::chrono_literals;
using weft::nats::Bucket;
using weft::nats::BucketOptions;
using weft::nats::Connection;
using weft::nats::ConnectOptions;

class ClusterNatsTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("weft-nats-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::unique_ptr<Connection> Open(const std::string& url,
                                   const std::string& user = "",
                                   const std::string& password = "") {
    ConnectOptions o;
    o.urls = {url};
    o.user = user;
    o.password = password;
    o.reconnect_wait = 100ms;
    auto c = Connection::Open(
        o, [this](std::string_view, std::string_view msg, std::string_view) {
          logged_ += std::string(msg) + "\n";
        });
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
    return c.ok() ? std::move(*c) : nullptr;
  }
  fs::path dir_;
  std::string logged_;
};

TEST(ClusterNatsUrls, ParsesAndRefuses) {
  auto u = weft::nats::ParseUrls("nats://a:1, tls://b:2,");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(*u, (std::vector<std::string>{"nats://a:1", "tls://b:2"}));
  EXPECT_FALSE(weft::nats::ParseUrls("").ok());
  EXPECT_FALSE(weft::nats::ParseUrls("http://a:1").ok());
}

TEST_F(ClusterNatsTest, BucketGetPutUpdateKeys) {
  NatsServer server(dir_ / "nats");
  ASSERT_TRUE(server.Start());
  auto c = Open(server.url());
  ASSERT_TRUE(c);
  WaitFor([&] { return c->connected(); }, 5s);
  ASSERT_TRUE(c->connected());
  EXPECT_NE(c->nc(), nullptr);
  EXPECT_NE(c->js(), nullptr);
  auto b = weft::nats::OpenBucket(*c, BucketOptions{"weft-test-kv"});
  ASSERT_TRUE(b.ok()) << b.error().message;
  auto missing = b->Get("nothing");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->found);
  auto keys = b->Keys();
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  EXPECT_TRUE(keys->empty());

  auto r1 = b->Put("a", std::string("one\0two", 7));
  ASSERT_TRUE(r1.ok()) << r1.error().message;
  auto e = b->Get("a");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->found);
  EXPECT_EQ(e->value, std::string("one\0two", 7));
  EXPECT_EQ(e->revision, *r1);
  // Compare-and-set: the right revision writes, a stale one does not, and
  // "must not exist" fails on an existing key.
  auto r2 = b->Update("a", "three", *r1);
  ASSERT_TRUE(r2.ok()) << r2.error().message;
  EXPECT_FALSE(b->Update("a", "four", *r1).ok());
  EXPECT_FALSE(b->Update("a", "five", 0).ok());
  EXPECT_TRUE(b->Update("b", "new", 0).ok());
  EXPECT_EQ(b->Get("a")->value, "three");
  keys = b->Keys();
  ASSERT_TRUE(keys.ok());
  std::sort(keys->begin(), keys->end());
  EXPECT_EQ(*keys, (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(b->Delete("a").ok());
  EXPECT_FALSE(b->Get("a")->found);

  // Bound again (not re-created): the data is there.
  auto again = weft::nats::OpenBucket(*c, BucketOptions{"weft-test-kv"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->Get("b")->value, "new");
}

TEST_F(ClusterNatsTest, BucketTtlExpiresEntries) {
  NatsServer server(dir_ / "nats");
  ASSERT_TRUE(server.Start());
  auto c = Open(server.url());
  ASSERT_TRUE(c);
  WaitFor([&] { return c->connected(); }, 5s);
  BucketOptions o{"weft-test-ttl"};
  o.ttl = 1000ms;
  auto b = weft::nats::OpenBucket(*c, o);
  ASSERT_TRUE(b.ok()) << b.error().message;
  ASSERT_TRUE(b->Put("k", "v").ok());
  EXPECT_TRUE(b->Get("k")->found);
  bool gone = false;
  WaitFor(
      [&] {
        auto e = b->Get("k");
        gone = e.ok() && !e->found;
        return gone;
      },
      5s);
  EXPECT_TRUE(gone) << "an entry of a bucket with a 1 s TTL is still there";
}

TEST_F(ClusterNatsTest, ConnectsLaterAndReconnects) {
  const int port = FreePort();
  auto c = Open("nats://127.0.0.1:" + std::to_string(port));
  ASSERT_TRUE(c); // no server yet: not an error
  EXPECT_FALSE(c->connected());
  EXPECT_NE(c->RenderMetrics().find("weft_nats_connected 0\n"),
            std::string::npos);
  EXPECT_NE(logged_.find("not reachable yet"), std::string::npos) << logged_;
  // A bucket cannot be opened meanwhile; the call fails, it does not hang.
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(weft::nats::OpenBucket(*c, BucketOptions{"x"}).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 8s);

  NatsServer server(dir_ / "nats", port);
  ASSERT_TRUE(server.Start());
  WaitFor([&] { return c->connected(); }, 10s);
  ASSERT_TRUE(c->connected()) << logged_;
  EXPECT_EQ(c->reconnects(), 0u);

  server.Stop();
  WaitFor([&] { return !c->connected(); }, 10s);
  EXPECT_FALSE(c->connected());
  ASSERT_TRUE(server.Start());
  WaitFor([&] { return c->connected(); }, 10s);
  ASSERT_TRUE(c->connected()) << logged_;
  EXPECT_EQ(c->reconnects(), 1u);
  EXPECT_GE(c->disconnects(), 1u);
  EXPECT_NE(c->RenderMetrics().find("weft_nats_connected 1\n"),
            std::string::npos);
  EXPECT_NE(c->RenderMetrics().find("weft_nats_reconnects_total 1\n"),
            std::string::npos);
}

TEST_F(ClusterNatsTest, UserAndPassword) {
  NatsServer server(dir_ / "nats", 0, {"--user", "weft", "--pass", "s3cret"});
  ASSERT_TRUE(server.Start());
  auto good = Open(server.url(), "weft", "s3cret");
  ASSERT_TRUE(good);
  WaitFor([&] { return good->connected(); }, 5s);
  EXPECT_TRUE(good->connected()) << logged_;
  EXPECT_TRUE(weft::nats::OpenBucket(*good, BucketOptions{"weft-auth"}).ok());
  // A wrong password never connects (whether Open refuses it at once or
  // keeps retrying).
  ConnectOptions o;
  o.urls = {server.url()};
  o.user = "weft";
  o.password = "wrong";
  auto bad = Connection::Open(o, nullptr);
  if (bad.ok()) {
    std::this_thread::sleep_for(1s);
    EXPECT_FALSE((*bad)->connected());
  }
  // In the URL works too.
  auto in_url =
      Open("nats://weft:s3cret@127.0.0.1:" + std::to_string(server.port()));
  ASSERT_TRUE(in_url);
  WaitFor([&] { return in_url->connected(); }, 5s);
  EXPECT_TRUE(in_url->connected()) << logged_;
}

} // namespace
