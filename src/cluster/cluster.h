// `weft serve --cluster nats://...`: this node's part in a cluster of weft
// nodes joined through NATS JetStream (docs/cluster.md). NATS is never on
// the HTTP request path: every node serves HTTP from its own copy of the
// app; NATS carries
//   - membership: a heartbeat per node, every second, in the KV bucket
//     weft-<cluster>-nodes (TTL: a node that stops heartbeating is gone
//     after it), listed by GET /v1/cluster;
//   - the app: every deployed version stored once, chunked, in the KV
//     bucket weft-<cluster>-app, with the key "current" naming the version
//     every node serves. Each node loads a new current version through
//     AppHost::Reload (validated first, like a --watch reload); a node that
//     cannot load it keeps its old version and says why in its heartbeat.
// One thread per node does the heartbeats and watches "current"; the admin
// API's deploys and rollbacks call in from the admin thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "nats/nats_client.h"
#include "platform/admin.h"
#include "platform/reload.h"
#include "platform/telemetry.h"

namespace weft::cluster {

struct ClusterOptions {
  nats::ConnectOptions nats;
  std::string cluster_name = "weft"; // letters, digits, '-', '_'
  std::string node_name;             // default: <hostname>-<pid>
  std::string admin_address;         // HOST:PORT, "" without an admin API
  std::filesystem::path data_dir;    // versions go to <data-dir>/cluster/...
  std::chrono::milliseconds heartbeat{1000};
  std::chrono::milliseconds ttl{5000}; // the node bucket's TTL
  std::chrono::milliseconds poll{250}; // how often "current" is read
};

// Bucket and key names: letters, digits, '-' and '_' (anything else
// becomes '_'; KV keys and bucket names allow no more).
std::string SafeName(std::string_view name);

class Node : public platform::ClusterControl {
public:
  Node(platform::AppHost& host, ClusterOptions options,
       const platform::Logger& logger);
  ~Node() override; // stops the thread, deletes this node's heartbeat
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Connects (in the background when NATS is not reachable yet) and starts
  // the heartbeat thread. False with `error` for options NATS refuses.
  bool Start(std::string& error);
  // The HTTP listener's HOST:PORT, once it is bound.
  void SetHttpAddress(const std::string& address);
  // The admin API's HOST:PORT, once it is bound.
  void SetAdminAddress(const std::string& address);

  Reply Deploy(std::string_view archive) override;
  Reply Rollback(uint64_t version) override;
  Reply Status() override;

  // weft_cluster_nodes, weft_cluster_app_version, weft_nats_*.
  std::string RenderMetrics() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace weft::cluster
