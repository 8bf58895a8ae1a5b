// RedisKvBackend: see kv_redis.h for the layout of a store in Redis and the
// connection policy.
#include "platform/caps/kv_redis.h"

#include <hiredis/hiredis.h>
#include <signal.h>

#include <cerrno>
#include <ctime>
#include <optional>
#include <string_view>
#include <vector>

namespace weft::caps {

namespace {

using Clock = std::chrono::steady_clock;

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

// hiredis writes with write(2): a server that has gone would raise SIGPIPE
// and kill the host. Blocked on this thread around each exchange; a signal
// the exchange raised is consumed before unblocking.
class ScopedNoSigpipe {
public:
  ScopedNoSigpipe() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    ::sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    ::pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  ~ScopedNoSigpipe() {
    if (!was_pending_) {
      sigset_t pending;
      sigemptyset(&pending);
      ::sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        timespec zero{};
        while (::sigtimedwait(&set_, nullptr, &zero) < 0 && errno == EINTR) {
        }
      }
    }
    ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  ScopedNoSigpipe(const ScopedNoSigpipe&) = delete;
  ScopedNoSigpipe& operator=(const ScopedNoSigpipe&) = delete;

private:
  sigset_t set_, old_;
  bool was_pending_ = false;
};

struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

// One command from binary-safe arguments.
struct Command {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  void Arg(std::string_view a) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
};

Reply Send(redisContext* c, const Command& cmd) {
  return Reply(static_cast<redisReply*>(redisCommandArgv(
      c, static_cast<int>(cmd.argv.size()),
      const_cast<const char**>(cmd.argv.data()), cmd.lens.data())));
}

bool IsOkStatus(const redisReply* r) {
  return r && r->type == REDIS_REPLY_STATUS &&
         std::string_view(r->str, r->len) == "OK";
}

} // namespace

// The connections of one backend and its circuit breaker.
class RedisPool {
public:
  explicit RedisPool(RedisKvOptions o) : o_(std::move(o)) {}
  ~RedisPool() {
    for (redisContext* c : idle_)
      redisFree(c);
  }

  // Runs `fn` on a connection. `fn` returns the call's status; when it
  // leaves the connection broken (c->err set: reset, EOF, timeout), the
  // connection is dropped and the result is kUnavailable, after one retry
  // on a fresh connection when a pooled one had gone stale (a restarted
  // server) and the failure was quick (not a timeout).
  template <typename Fn> CapStatus Run(Fn&& fn) {
    ScopedNoSigpipe no_sigpipe;
    for (int attempt = 0; attempt < 2; ++attempt) {
      redisContext* c = nullptr;
      bool reused = false;
      if (CapStatus s = Acquire(&c, &reused); s != CapStatus::kOk) return s;
      const auto start = Clock::now();
      CapStatus s = fn(c);
      if (c->err == 0) {
        Release(c);
        return s;
      }
      std::string why = c->errstr;
      redisFree(c);
      const bool quick = Clock::now() - start < o_.command_timeout / 2;
      if (reused && quick && attempt == 0) {
        DropIdle();
        continue;
      }
      Trip(why);
      return CapStatus::kUnavailable;
    }
    return CapStatus::kUnavailable;
  }

private:
  CapStatus Acquire(redisContext** out, bool* reused) {
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        *out = idle_.back();
        idle_.pop_back();
        *reused = true;
        return CapStatus::kOk;
      }
      if (down_) {
        const auto now = Clock::now();
        if (now < retry_at_) return down_status_;
        // This call probes; the others keep failing fast meanwhile.
        retry_at_ = now + backoff_;
      }
    }
    std::string why;
    bool refused = false; // reached, but AUTH or SELECT failed
    redisContext* c = Connect(&why, &refused);
    if (!c) {
      const CapStatus status =
          refused ? CapStatus::kIo : CapStatus::kUnavailable;
      Trip(why, status);
      return status;
    }
    bool was_down;
    {
      std::lock_guard lock(mu_);
      was_down = down_;
      down_ = false;
      backoff_ = o_.backoff_min;
    }
    if (was_down && o_.events)
      o_.events("info", "kv: redis " + Where() + " reachable again");
    *out = c;
    *reused = false;
    return CapStatus::kOk;
  }

  void Release(redisContext* c) {
    std::lock_guard lock(mu_);
    if (idle_.size() < o_.max_idle) {
      idle_.push_back(c);
      return;
    }
    redisFree(c);
  }

  void DropIdle() {
    std::vector<redisContext*> idle;
    {
      std::lock_guard lock(mu_);
      idle.swap(idle_);
    }
    for (redisContext* c : idle)
      redisFree(c);
  }

  // The server could not be reached (kUnavailable) or refused the
  // connection's AUTH or SELECT (kIo): calls fail fast with that status
  // until the backoff passes (a wrong password must not make every call
  // connect again either).
  void Trip(const std::string& why,
            CapStatus status = CapStatus::kUnavailable) {
    bool first;
    std::chrono::milliseconds wait;
    {
      std::lock_guard lock(mu_);
      first = !down_;
      if (first)
        backoff_ = o_.backoff_min;
      else
        backoff_ = std::min(backoff_ * 2, o_.backoff_max);
      down_ = true;
      down_status_ = status;
      retry_at_ = Clock::now() + backoff_;
      wait = backoff_;
    }
    DropIdle();
    if (first && o_.events)
      o_.events("warn",
                "kv: redis " + Where() +
                    (status == CapStatus::kIo ? " refused the connection ("
                                              : " unreachable (") +
                    why + "); KV calls fail with " +
                    (status == CapStatus::kIo ? "WEFT_ERR_IO"
                                              : "WEFT_ERR_UNAVAILABLE") +
                    ", retrying in " + std::to_string(wait.count()) +
                    " ms and later");
  }

  std::string Where() const { return o_.host + ":" + std::to_string(o_.port); }

  redisContext* Connect(std::string* why, bool* refused) {
    redisContext* c = redisConnectWithTimeout(o_.host.c_str(), o_.port,
                                              ToTimeval(o_.connect_timeout));
    if (!c) {
      *why = "cannot allocate a connection";
      return nullptr;
    }
    if (c->err) {
      *why = c->errstr;
      redisFree(c);
      return nullptr;
    }
    if (redisSetTimeout(c, ToTimeval(o_.command_timeout)) != REDIS_OK) {
      *why = "cannot set the command timeout";
      redisFree(c);
      return nullptr;
    }
    redisEnableKeepAlive(c);
    auto setup = [&](const Command& cmd, const char* what) {
      Reply r = Send(c, cmd);
      if (IsOkStatus(r.get())) return true;
      if (c->err) {
        *why = c->errstr;
      } else {
        *refused = true;
        *why = std::string(what) + " failed";
        if (r && r->type == REDIS_REPLY_ERROR)
          *why += ": " + std::string(r->str, r->len);
      }
      return false;
    };
    if (!o_.password.empty()) {
      Command auth;
      auth.Arg("AUTH");
      if (!o_.user.empty()) auth.Arg(o_.user);
      auth.Arg(o_.password);
      if (!setup(auth, "AUTH")) {
        redisFree(c);
        return nullptr;
      }
    }
    if (o_.db != 0) {
      const std::string db = std::to_string(o_.db);
      Command select;
      select.Arg("SELECT");
      select.Arg(db);
      if (!setup(select, "SELECT")) {
        redisFree(c);
        return nullptr;
      }
    }
    return c;
  }

  const RedisKvOptions o_;
  std::mutex mu_;
  std::vector<redisContext*> idle_;
  bool down_ = false;
  CapStatus down_status_ = CapStatus::kUnavailable;
  Clock::time_point retry_at_;
  std::chrono::milliseconds backoff_{100};
};

namespace {

class RedisStore final : public KvStore {
public:
  RedisStore(std::shared_ptr<RedisPool> pool, std::string hash)
      : pool_(std::move(pool)), hash_(std::move(hash)),
        index_(hash_ + ":keys") {}

  CapStatus Get(std::string_view key, std::string* value) override {
    return pool_->Run([&](redisContext* c) {
      Command cmd;
      cmd.Arg("HGET");
      cmd.Arg(hash_);
      cmd.Arg(key);
      Reply r = Send(c, cmd);
      if (!r) return CapStatus::kIo;
      if (r->type == REDIS_REPLY_NIL) return CapStatus::kNotFound;
      if (r->type != REDIS_REPLY_STRING) return CapStatus::kIo;
      value->assign(r->str, r->len);
      return CapStatus::kOk;
    });
  }

  CapStatus Set(std::string_view key, std::string_view value) override {
    return pool_->Run([&](redisContext* c) {
      Command hset;
      hset.Arg("HSET");
      hset.Arg(hash_);
      hset.Arg(key);
      hset.Arg(value);
      Command zadd;
      zadd.Arg("ZADD");
      zadd.Arg(index_);
      zadd.Arg("0");
      zadd.Arg(key);
      return Transaction(c, hset, zadd);
    });
  }

  CapStatus Delete(std::string_view key) override {
    return pool_->Run([&](redisContext* c) {
      Command hdel;
      hdel.Arg("HDEL");
      hdel.Arg(hash_);
      hdel.Arg(key);
      Command zrem;
      zrem.Arg("ZREM");
      zrem.Arg(index_);
      zrem.Arg(key);
      return Transaction(c, hdel, zrem);
    });
  }

  CapStatus ListKeys(std::string_view prefix,
                     std::vector<std::string>* keys) override {
    return pool_->Run([&](redisContext* c) {
      const std::string min = prefix.empty() ? "-" : "[" + std::string(prefix);
      const std::optional<std::string> end = KvPrefixEnd(prefix);
      const std::string max = end ? "(" + *end : "+";
      Command cmd;
      cmd.Arg("ZRANGEBYLEX");
      cmd.Arg(index_);
      cmd.Arg(min);
      cmd.Arg(max);
      Reply r = Send(c, cmd);
      if (!r || r->type != REDIS_REPLY_ARRAY) return CapStatus::kIo;
      keys->clear();
      keys->reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) {
        const redisReply* e = r->element[i];
        if (e->type != REDIS_REPLY_STRING) return CapStatus::kIo;
        keys->emplace_back(e->str, e->len);
      }
      return CapStatus::kOk;
    });
  }

private:
  // MULTI, a, b, EXEC in one round trip; kOk when EXEC ran both.
  static CapStatus Transaction(redisContext* c, const Command& a,
                               const Command& b) {
    Command multi, exec;
    multi.Arg("MULTI");
    exec.Arg("EXEC");
    const Command* cmds[] = {&multi, &a, &b, &exec};
    for (const Command* cmd : cmds)
      if (redisAppendCommandArgv(c, static_cast<int>(cmd->argv.size()),
                                 const_cast<const char**>(cmd->argv.data()),
                                 cmd->lens.data()) != REDIS_OK)
        return CapStatus::kIo;
    CapStatus status = CapStatus::kOk;
    for (int i = 0; i < 4; ++i) {
      void* raw = nullptr;
      if (redisGetReply(c, &raw) != REDIS_OK) return CapStatus::kIo;
      Reply r(static_cast<redisReply*>(raw));
      if (!r || r->type == REDIS_REPLY_ERROR) status = CapStatus::kIo;
      // EXEC: an array of the two results (nil when the transaction was
      // discarded).
      if (i == 3 && (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2))
        status = CapStatus::kIo;
    }
    return status;
  }

  std::shared_ptr<RedisPool> pool_;
  const std::string hash_, index_;
};

} // namespace

RedisKvBackend::RedisKvBackend(RedisKvOptions options)
    : prefix_(options.key_prefix) {
  pool_ = std::make_shared<RedisPool>(std::move(options));
}

RedisKvBackend::~RedisKvBackend() = default;

Result<std::shared_ptr<KvStore>> RedisKvBackend::Open(std::string_view name) {
  if (!ValidStoreName(name)) {
    Error e;
    e.message = "kv: invalid store name \"" + std::string(name) + "\"";
    return e;
  }
  std::lock_guard lock(mu_);
  if (auto it = open_.find(name); it != open_.end()) return it->second;
  auto store = std::make_shared<RedisStore>(pool_, prefix_ + "{" +
                                                       std::string(name) + "}");
  open_.emplace(std::string(name), store);
  return std::shared_ptr<KvStore>(store);
}

} // namespace weft::caps
