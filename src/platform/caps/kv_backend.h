// Which store the KV capability uses (`weft serve --kv-backend URL`).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "platform/caps/caps.h"
#include "platform/caps/kv_jetstream.h"
#include "platform/caps/kv_redis.h"

namespace weft::caps {

// The backend for `url`:
//   "" or "sqlite"   SqliteKvBackend in `data_dir` (the default)
//   redis://[[user]:password@]host[:port][/db]
//                    RedisKvBackend (port 6379, db 0 by default; user and
//                    password percent-decoded)
//   nats://host:port[,nats://host:port...]  (or tls://, user:pass@ as
//                    libnats reads them)
//                    JetStreamKvBackend on its own connection
// Redis and NATS URLs may end in "?prefix=P": the key prefix (Redis,
// default "weft:kv:") or bucket prefix (NATS, default "weft_kv_", only
// [A-Za-z0-9_-]); NATS URLs also take "replicas=N" (1..5, of the buckets
// it creates; "?prefix=p_&replicas=3"). An Error names what is wrong with
// the URL.
//
// Under `weft serve --cluster` the cluster layer makes the default backend
// itself, on its own connection: JetStreamKvBackend::Create(nc, options)
// (kv_jetstream.h), handed to LoadApp like this one.
Result<std::shared_ptr<KvBackend>>
MakeKvBackend(const std::string& url, const std::filesystem::path& data_dir,
              KvEventSink events = {});

// The parsed form of a redis:// URL (for MakeKvBackend and its tests).
Result<RedisKvOptions> ParseRedisUrl(const std::string& url);

} // namespace weft::caps
