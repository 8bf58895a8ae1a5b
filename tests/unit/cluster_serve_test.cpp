// `weft serve --cluster` end to end: a real nats-server (JetStream, started
// here on a free port) and real `weft serve` nodes. A deploy through one
// node's admin API reaches every node; rollback is one call; a node that
// cannot load a version keeps serving its old one and says why in
// /v1/cluster; a node started before NATS joins when it comes up, and a
// node started later loads the current version; a node that stops
// heartbeating leaves /v1/cluster after the TTL.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "nats_server_helper.h"
#include "serve_helper.h"
#include "wagi_wat.h"

namespace {

using namespace weft_serve_test;
using namespace std::chrono_literals;
using json = nlohmann::json;

constexpr const char* kToken = "cluster-admin-token";

constexpr const char* kManifest = "[app]\nname = \"c\"\n"
                                  "[[function]]\nname = \"v\"\n"
                                  "route = \"/v\"\nmodule = \"v.wat\"\n";

class ClusterServeTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("weft-cluster-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ::setenv("WEFT_ADMIN_TOKEN", kToken, 1);
    nats_ = std::make_unique<NatsServer>(dir_ / "nats");
  }
  void TearDown() override {
    nodes_.clear();
    nats_.reset();
    ::unsetenv("WEFT_ADMIN_TOKEN");
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // A node serving "<name> local\n" at /v until the cluster gives it
  // another version.
  Server& StartNode(const std::string& name) {
    const fs::path d = dir_ / name;
    fs::create_directories(d);
    ReplaceFile(d / "v.wat", WagiTextModule(name + " local\n"));
    nodes_.push_back(std::make_unique<Server>(
        d, kManifest,
        std::vector<std::string>{"--admin-listen", "127.0.0.1:0", "--cluster",
                                 nats_->url(), "--node-name", name,
                                 "--cluster-name", "t"}));
    return *nodes_.back();
  }
  static Response Admin(const Server& s, const std::string& method,
                        const std::string& target,
                        const std::string& body = "") {
    std::string headers =
        "Authorization: Bearer " + std::string(kToken) + "\r\n";
    if (method == "PUT") headers += "Content-Type: application/x-tar\r\n";
    return Request(AdminPort(s), method, target, body, headers);
  }
  static std::string Body(const Server& s) {
    return Request(s.port(), "GET", "/v").body;
  }
  static json Cluster(const Server& s) {
    return json::parse(Admin(s, "GET", "/v1/cluster").body, nullptr, false);
  }
  // The node names /v1/cluster on `s` lists.
  static std::vector<std::string> Names(const Server& s) {
    std::vector<std::string> out;
    json j = Cluster(s);
    if (j.is_object() && j["nodes"].is_array())
      for (const json& n : j["nodes"])
        out.push_back(n.value("name", ""));
    return out;
  }
  // The heartbeat of node `name` as /v1/cluster on `s` lists it (null when
  // it is not listed).
  static json NodeOf(const Server& s, const std::string& name) {
    json j = Cluster(s);
    if (j.is_object() && j["nodes"].is_array())
      for (const json& n : j["nodes"])
        if (n.value("name", "") == name) return n;
    return nullptr;
  }
  static bool WaitBody(const Server& s, const std::string& want,
                       std::chrono::milliseconds limit = 15s) {
    WaitFor([&] { return Body(s) == want; }, limit);
    return Body(s) == want;
  }
  static std::string App(const std::string& text,
                         const std::string& extra_manifest = "") {
    return Tar({{"weft.toml", std::string(kManifest) + extra_manifest},
                {"v.wat", WagiTextModule(text)}});
  }

  fs::path dir_;
  std::unique_ptr<NatsServer> nats_;
  std::vector<std::unique_ptr<Server>> nodes_;
};

TEST_F(ClusterServeTest, DeployOnOneNodeReachesAllAndRollsBack) {
  ASSERT_TRUE(nats_->Start());
  Server& a = StartNode("a");
  Server& b = StartNode("b");
  Server& c = StartNode("c");
  for (Server* s : {&a, &b, &c})
    ASSERT_GT(s->port(), 0) << s->log();
  const std::vector<std::string> all = {"a", "b", "c"};
  WaitFor([&] { return Names(a) == all && Names(c) == all; }, 15s);
  ASSERT_EQ(Names(a), all) << a.log();
  ASSERT_EQ(Names(c), all) << c.log();
  // Each heartbeat carries the node's own addresses.
  const json listed = Cluster(b);
  for (const json& n : listed["nodes"]) {
    const Server& s = n["name"] == "a" ? a : n["name"] == "b" ? b : c;
    EXPECT_EQ(n["http"], "127.0.0.1:" + std::to_string(s.port())) << n;
    EXPECT_EQ(n["admin"], "127.0.0.1:" + std::to_string(AdminPort(s))) << n;
    EXPECT_EQ(n["app_version"], 0) << n;
    EXPECT_TRUE(n["app_error"].is_null()) << n;
  }
  EXPECT_EQ(Body(a), "a local\n");

  Response r = Admin(b, "PUT", "/v1/app", App("version one\n"));
  ASSERT_EQ(r.status, 200) << r.body << b.log();
  json j = json::parse(r.body);
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["loaded"], true);
  for (Server* s : {&a, &b, &c})
    EXPECT_TRUE(WaitBody(*s, "version one\n")) << s->log();

  r = Admin(c, "PUT", "/v1/app", App("version two\n"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["version"], 2);
  for (Server* s : {&a, &b, &c})
    EXPECT_TRUE(WaitBody(*s, "version two\n")) << s->log();
  // /metrics and /v1/cluster say so.
  WaitFor(
      [&] {
        return Gauge(Request(a.port(), "GET", "/metrics").body,
                     "weft_cluster_app_version") == 2;
      },
      5s);
  const std::string m = Request(a.port(), "GET", "/metrics").body;
  EXPECT_EQ(Gauge(m, "weft_cluster_app_version"), 2) << m;
  EXPECT_EQ(Gauge(m, "weft_cluster_nodes"), 3) << m;
  EXPECT_EQ(Gauge(m, "weft_nats_connected"), 1) << m;
  EXPECT_EQ(Gauge(m, "weft_nats_reconnects_total"), 0) << m;
  EXPECT_EQ(Cluster(a)["app_version"], 2);

  // Rollback: one call on any node, every node serves version 1 again.
  r = Admin(a, "POST", "/v1/app/rollback?version=1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["loaded"], true);
  for (Server* s : {&a, &b, &c})
    EXPECT_TRUE(WaitBody(*s, "version one\n")) << s->log();
  EXPECT_EQ(Admin(a, "POST", "/v1/app/rollback?version=99").status, 404);
  EXPECT_EQ(Admin(a, "POST", "/v1/app/rollback?version=x").status, 400);
  EXPECT_EQ(Admin(a, "GET", "/v1/app/rollback?version=1").status, 405);
  // A deploy that does not load on the node it is sent to is refused
  // there and never stored.
  r = Admin(a, "PUT", "/v1/app",
            Tar({{"weft.toml", kManifest}, {"v.wat", "(module (func"}}));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(Cluster(a)["app_version"], 1);
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(Body(b), "version one\n");
}

TEST_F(ClusterServeTest, VersionANodeCannotLoadIsReportedAndOldServes) {
  ASSERT_TRUE(nats_->Start());
  // Version 1 needs the variable "region" from the node's environment:
  // node a has it, node b does not.
  ::setenv("WEFT_VAR_REGION", "eu", 1);
  Server& a = StartNode("a");
  ::unsetenv("WEFT_VAR_REGION");
  Server& b = StartNode("b");
  ASSERT_GT(a.port(), 0) << a.log();
  ASSERT_GT(b.port(), 0) << b.log();
  WaitFor([&] { return Names(a).size() == 2; }, 15s);

  Response r = Admin(a, "PUT", "/v1/app",
                     App("needs region\n", "[variables]\nregion = {}\n"));
  ASSERT_EQ(r.status, 200) << r.body << a.log();
  EXPECT_TRUE(WaitBody(a, "needs region\n")) << a.log();
  // b refuses it, keeps serving its own app, and says why.
  json nb;
  WaitFor(
      [&] {
        nb = NodeOf(a, "b");
        return nb.is_object() && !nb["app_error"].is_null();
      },
      15s);
  ASSERT_TRUE(nb.is_object() && !nb["app_error"].is_null()) << nb << b.log();
  EXPECT_EQ(nb["app_version"], 0) << nb;
  EXPECT_EQ(nb["app_error"]["version"], 1) << nb;
  EXPECT_NE(nb["app_error"]["error"].get<std::string>().find("WEFT_VAR_REGION"),
            std::string::npos)
      << nb;
  EXPECT_EQ(Body(b), "b local\n");
  EXPECT_NE(b.log().find("version refused"), std::string::npos);
  const std::string mb = Request(b.port(), "GET", "/metrics").body;
  EXPECT_EQ(Gauge(mb, "weft_cluster_app_version"), 0) << mb;

  // The next version loads everywhere; b's error is cleared.
  r = Admin(a, "PUT", "/v1/app", App("plain\n"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(WaitBody(b, "plain\n")) << b.log();
  WaitFor([&] { return NodeOf(a, "b").value("app_error", json(1)).is_null(); },
          5s);
  nb = NodeOf(a, "b");
  EXPECT_TRUE(nb["app_error"].is_null()) << nb;
  EXPECT_EQ(nb["app_version"], 2) << nb;
}

TEST_F(ClusterServeTest, NodeStartedBeforeNatsJoinsAndLateNodeLoadsCurrent) {
  // No NATS yet: the node starts anyway and serves its own app.
  Server& a = StartNode("a");
  ASSERT_GT(a.port(), 0) << a.log();
  EXPECT_EQ(Body(a), "a local\n");
  EXPECT_EQ(
      Gauge(Request(a.port(), "GET", "/metrics").body, "weft_nats_connected"),
      0);
  EXPECT_EQ(Cluster(a)["nats_connected"], false);
  EXPECT_EQ(Admin(a, "PUT", "/v1/app", App("early\n")).status, 503);
  EXPECT_EQ(Body(a), "a local\n");

  ASSERT_TRUE(nats_->Start());
  WaitFor([&] { return Names(a) == std::vector<std::string>{"a"}; }, 20s);
  ASSERT_EQ(Names(a), std::vector<std::string>{"a"}) << a.log();
  EXPECT_EQ(Cluster(a)["nats_connected"], true);
  Response r = Admin(a, "PUT", "/v1/app", App("shared\n"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(WaitBody(a, "shared\n"));

  // A node that joins now loads the current version.
  Server& b = StartNode("b");
  ASSERT_GT(b.port(), 0) << b.log();
  EXPECT_TRUE(WaitBody(b, "shared\n")) << b.log();
}

TEST_F(ClusterServeTest, SilentNodeLeavesAfterTtlStoppedNodeAtOnce) {
  ASSERT_TRUE(nats_->Start());
  Server& a = StartNode("a");
  Server& b = StartNode("b");
  Server& c = StartNode("c");
  const std::vector<std::string> all = {"a", "b", "c"};
  WaitFor([&] { return Names(a) == all; }, 15s);
  ASSERT_EQ(Names(a), all) << a.log();

  // SIGKILL: no goodbye; b stays listed until its heartbeat is older than
  // the TTL (5 s), then is gone.
  ASSERT_EQ(b.Stop(SIGKILL), 128 + SIGKILL);
  const auto killed = std::chrono::steady_clock::now();
  EXPECT_EQ(Names(a), all);
  WaitFor([&] { return Names(a) == std::vector<std::string>{"a", "c"}; }, 12s);
  const auto gone = std::chrono::steady_clock::now() - killed;
  EXPECT_EQ(Names(a), (std::vector<std::string>{"a", "c"}));
  EXPECT_GE(gone, 3s); // not before the TTL (less a heartbeat period)
  EXPECT_EQ(
      Gauge(Request(a.port(), "GET", "/metrics").body, "weft_cluster_nodes"),
      2);

  // A clean stop deletes the node's heartbeat at once.
  ASSERT_EQ(c.Stop(SIGTERM), 0);
  WaitFor([&] { return Names(a) == std::vector<std::string>{"a"}; }, 3s);
  EXPECT_EQ(Names(a), std::vector<std::string>{"a"});
}

TEST_F(ClusterServeTest, NatsRestartKeepsHttpAndNodesReconnect) {
  ASSERT_TRUE(nats_->Start());
  Server& a = StartNode("a");
  Server& b = StartNode("b");
  WaitFor([&] { return Names(a).size() == 2; }, 15s);
  ASSERT_EQ(Names(a), (std::vector<std::string>{"a", "b"})) << a.log();
  // An archive above JetStream's 1 MiB message limit: stored in chunks.
  std::string blob(1536 * 1024, '\0');
  for (size_t i = 0; i < blob.size(); ++i)
    blob[i] = static_cast<char>((i * 2654435761u) >> 13);
  Response r = Admin(a, "PUT", "/v1/app",
                     Tar({{"weft.toml", kManifest},
                          {"v.wat", WagiTextModule("before\n")},
                          {"blob.bin", blob}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(WaitBody(b, "before\n")) << b.log();
  EXPECT_EQ(ReadAll(dir_ / "b" / "data" / "cluster" / "t" / "1" / "blob.bin"),
            blob);

  nats_->Stop();
  // HTTP never waits for NATS.
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(Body(a), "before\n");
    EXPECT_EQ(Body(b), "before\n");
    std::this_thread::sleep_for(50ms);
  }
  auto metric = [](const Server& s, const std::string& name) {
    return Gauge(Request(s.port(), "GET", "/metrics").body, name);
  };
  WaitFor([&] { return metric(a, "weft_nats_connected") == 0; }, 10s);
  EXPECT_EQ(metric(a, "weft_nats_connected"), 0);
  EXPECT_EQ(Admin(b, "PUT", "/v1/app", App("lost\n")).status, 503);

  ASSERT_TRUE(nats_->Start()); // same port, same storage
  for (Server* s : {&a, &b}) {
    WaitFor([&] { return metric(*s, "weft_nats_reconnects_total") == 1; }, 15s);
    EXPECT_EQ(metric(*s, "weft_nats_reconnects_total"), 1) << s->log();
    EXPECT_EQ(metric(*s, "weft_nats_connected"), 1);
  }
  r = Admin(b, "PUT", "/v1/app", App("after\n"));
  ASSERT_EQ(r.status, 200) << r.body << b.log();
  EXPECT_EQ(json::parse(r.body)["version"], 2); // numbering survived
  EXPECT_TRUE(WaitBody(a, "after\n")) << a.log();
  EXPECT_TRUE(WaitBody(b, "after\n"));
}

TEST_F(ClusterServeTest, RestartedNodeServesItsLastVersionWithoutNats) {
  ASSERT_TRUE(nats_->Start());
  {
    Server& a = StartNode("a");
    WaitFor([&] { return Names(a).size() == 1; }, 15s);
    Response r = Admin(a, "PUT", "/v1/app", App("remembered\n"));
    ASSERT_EQ(r.status, 200) << r.body << a.log();
    EXPECT_EQ(Body(a), "remembered\n");
    ASSERT_EQ(a.Stop(SIGTERM), 0);
  }
  nats_->Stop();
  Server& again = StartNode("a");
  ASSERT_GT(again.port(), 0) << again.log();
  EXPECT_EQ(Body(again), "remembered\n") << again.log();
  EXPECT_EQ(Gauge(Request(again.port(), "GET", "/metrics").body,
                  "weft_cluster_app_version"),
            1);
}

TEST_F(ClusterServeTest, BadClusterUrlIsUsageError) {
  ReplaceFile(dir_ / "v.wat", WagiTextModule("x\n"));
  Server s(dir_, kManifest, {"--cluster", "redis://localhost:6379"});
  EXPECT_EQ(s.port(), 0);
  EXPECT_EQ(s.exit_status(), 2);
  EXPECT_NE(s.log().find("nats:// or tls://"), std::string::npos) << s.log();
}

} // namespace
