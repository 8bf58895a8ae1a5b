// The embedded KV backend (one SQLite file per store) and KvService, which
// applies grants and limits in front of any backend.
#include <sqlite3.h>

#include <system_error>

#include "platform/caps/caps.h"

namespace weft::caps {

namespace {

Error KvError(std::string message) {
  Error e;
  e.message = std::move(message);
  return e;
}

// RAII for a prepared statement; reset on destruction so it can be reused.
class Stmt {
public:
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  ~Stmt() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  sqlite3_stmt* get() const { return s_; }
  bool Bind(int i, std::string_view text) {
    return sqlite3_bind_blob(s_, i, text.data(), static_cast<int>(text.size()),
                             SQLITE_STATIC) == SQLITE_OK;
  }

private:
  sqlite3_stmt* s_;
};

class SqliteStore final : public KvStore {
public:
  SqliteStore(sqlite3* db) : db_(db) {}
  ~SqliteStore() override {
    for (sqlite3_stmt* s : {get_, set_, del_, list_, list_range_, list_all_})
      sqlite3_finalize(s);
    sqlite3_close(db_);
  }

  Status Prepare() {
    const char* schema =
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "CREATE TABLE IF NOT EXISTS kv (key BLOB PRIMARY KEY, value BLOB NOT "
        "NULL) WITHOUT ROWID;";
    char* err = nullptr;
    if (sqlite3_exec(db_, schema, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      return KvError("kv: cannot initialize store: " + msg);
    }
    sqlite3_busy_timeout(db_, 5000);
    struct {
      sqlite3_stmt** out;
      const char* sql;
    } stmts[] = {
        {&get_, "SELECT value FROM kv WHERE key = ?1"},
        {&set_, "INSERT INTO kv (key, value) VALUES (?1, ?2) ON CONFLICT(key) "
                "DO UPDATE SET value = excluded.value"},
        {&del_, "DELETE FROM kv WHERE key = ?1"},
        // Keys are BLOBs compared bytewise: a prefix is the range
        // [prefix, KvPrefixEnd(prefix)) of the primary key; a prefix of
        // 0xff bytes only has no end: from it on, with substr as the check
        // (no LIKE escaping needed).
        {&list_range_, "SELECT key FROM kv WHERE key >= ?1 AND key < ?2 "
                       "ORDER BY key"},
        {&list_, "SELECT key FROM kv WHERE key >= ?1 AND substr(key, 1, "
                 "length(?1)) = ?1 ORDER BY key"},
        {&list_all_, "SELECT key FROM kv ORDER BY key"},
    };
    for (auto& s : stmts)
      if (sqlite3_prepare_v3(db_, s.sql, -1, SQLITE_PREPARE_PERSISTENT, s.out,
                             nullptr) != SQLITE_OK)
        return KvError(std::string("kv: cannot prepare statement: ") +
                       sqlite3_errmsg(db_));
    return {};
  }

  CapStatus Get(std::string_view key, std::string* value) override {
    std::lock_guard lock(mu_);
    Stmt s(get_);
    if (!s.Bind(1, key)) return CapStatus::kIo;
    int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) return CapStatus::kNotFound;
    if (rc != SQLITE_ROW) return CapStatus::kIo;
    const void* p = sqlite3_column_blob(s.get(), 0);
    int n = sqlite3_column_bytes(s.get(), 0);
    value->assign(static_cast<const char*>(p ? p : ""), static_cast<size_t>(n));
    return CapStatus::kOk;
  }

  CapStatus Set(std::string_view key, std::string_view value) override {
    std::lock_guard lock(mu_);
    Stmt s(set_);
    // An empty value must still be a non-NULL blob.
    static const char kEmpty = 0;
    if (!s.Bind(1, key) ||
        sqlite3_bind_blob(s.get(), 2, value.empty() ? &kEmpty : value.data(),
                          static_cast<int>(value.size()),
                          SQLITE_STATIC) != SQLITE_OK)
      return CapStatus::kIo;
    return sqlite3_step(s.get()) == SQLITE_DONE ? CapStatus::kOk
                                                : CapStatus::kIo;
  }

  CapStatus Delete(std::string_view key) override {
    std::lock_guard lock(mu_);
    Stmt s(del_);
    if (!s.Bind(1, key)) return CapStatus::kIo;
    return sqlite3_step(s.get()) == SQLITE_DONE ? CapStatus::kOk
                                                : CapStatus::kIo;
  }

  CapStatus ListKeys(std::string_view prefix,
                     std::vector<std::string>* keys) override {
    std::lock_guard lock(mu_);
    const std::optional<std::string> end = KvPrefixEnd(prefix);
    Stmt s(prefix.empty() ? list_all_ : end ? list_range_ : list_);
    if (!prefix.empty() && !s.Bind(1, prefix)) return CapStatus::kIo;
    if (end && !s.Bind(2, *end)) return CapStatus::kIo;
    keys->clear();
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      const void* p = sqlite3_column_blob(s.get(), 0);
      int n = sqlite3_column_bytes(s.get(), 0);
      keys->emplace_back(static_cast<const char*>(p ? p : ""),
                         static_cast<size_t>(n));
    }
    return rc == SQLITE_DONE ? CapStatus::kOk : CapStatus::kIo;
  }

private:
  std::mutex mu_;
  sqlite3* db_;
  sqlite3_stmt* get_ = nullptr;
  sqlite3_stmt* set_ = nullptr;
  sqlite3_stmt* del_ = nullptr;
  sqlite3_stmt* list_ = nullptr;
  sqlite3_stmt* list_range_ = nullptr;
  sqlite3_stmt* list_all_ = nullptr;
};

} // namespace

SqliteKvBackend::SqliteKvBackend(std::filesystem::path data_dir)
    : dir_(std::move(data_dir)) {}
SqliteKvBackend::~SqliteKvBackend() = default;

Result<std::shared_ptr<KvStore>> SqliteKvBackend::Open(std::string_view name) {
  if (!ValidStoreName(name))
    return KvError("kv: invalid store name \"" + std::string(name) + "\"");
  std::lock_guard lock(mu_);
  if (auto it = open_.find(name); it != open_.end()) return it->second;
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec)
    return KvError("kv: cannot create data directory " + dir_.string() + ": " +
                   ec.message());
  std::string path = (dir_ / (std::string(name) + ".sqlite")).string();
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                               SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return KvError("kv: cannot open " + path + ": " + msg);
  }
  auto store = std::make_shared<SqliteStore>(db);
  if (Status st = store->Prepare(); !st) return st.error();
  open_.emplace(std::string(name), store);
  return std::shared_ptr<KvStore>(store);
}

std::optional<std::string> KvPrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff)
    end.pop_back();
  if (end.empty()) return std::nullopt;
  end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

CapStatus KvService::Open(const FunctionGrants& grants, std::string_view name,
                          std::shared_ptr<KvStore>* out) {
  if (!ValidStoreName(name)) return CapStatus::kInvalid;
  bool granted = false;
  for (const std::string& s : grants.kv_stores)
    granted |= s == name;
  if (!granted) return CapStatus::kForbidden;
  if (!backend_) return CapStatus::kUnavailable;
  auto r = backend_->Open(name);
  if (!r) return CapStatus::kIo;
  *out = std::move(*r);
  return CapStatus::kOk;
}

CapStatus KvService::Get(KvStore& s, std::string_view key, std::string* value) {
  if (!ValidKey(key)) return CapStatus::kInvalid;
  return s.Get(key, value);
}

CapStatus KvService::Set(KvStore& s, std::string_view key,
                         std::string_view value) {
  if (!ValidKey(key)) return CapStatus::kInvalid;
  if (value.size() > kMaxValueBytes) return CapStatus::kTooLarge;
  return s.Set(key, value);
}

CapStatus KvService::Delete(KvStore& s, std::string_view key) {
  if (!ValidKey(key)) return CapStatus::kInvalid;
  return s.Delete(key);
}

CapStatus KvService::ListKeys(KvStore& s, std::string_view prefix,
                              std::vector<std::string>* keys) {
  if (prefix.size() > kMaxKeyBytes ||
      prefix.find('\0') != std::string_view::npos)
    return CapStatus::kInvalid;
  return s.ListKeys(prefix, keys);
}

} // namespace weft::caps
