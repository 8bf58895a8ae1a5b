// Logger: per-thread access buffers (no lock shared between request
// threads) must still give whole lines, every record once, a thread's
// records in order, and redaction of secrets added while threads log.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "platform/telemetry.h"

namespace weft::platform {
namespace {

// Sends fd 2 to a temporary file while alive; text() reads it back.
class StderrCapture {
public:
  StderrCapture() {
    std::snprintf(path_, sizeof path_, "/tmp/weft_logger_test_%d.log",
                  static_cast<int>(::getpid()));
    std::fflush(stderr);
    saved_ = ::dup(2);
    FILE* f = std::fopen(path_, "w");
    ::dup2(::fileno(f), 2);
    std::fclose(f);
  }
  ~StderrCapture() {
    Restore();
    std::remove(path_);
  }
  void Restore() {
    if (saved_ < 0) return;
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }
  std::string text() const {
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

private:
  char path_[64];
  int saved_ = -1;
};

TEST(LoggerTest, ThreadsBufferTheirOwnLinesAndNoneIsLostOrTorn) {
  StderrCapture capture;
  constexpr int kThreads = 4, kPerThread = 3000;
  {
    Logger log(true);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&log, t] {
        for (int i = 0; i < kPerThread; ++i) {
          const std::string id = std::to_string(t) + "-" + std::to_string(i);
          AccessRecord r;
          r.request_id = id;
          r.function = "f";
          r.method = "GET";
          r.path = "/p";
          r.status = 200;
          r.duration_ns = 1234567;
          r.bytes = 16;
          r.remote = "127.0.0.1";
          log.AccessRequest(r);
          if (i == kPerThread / 2 && t == 0)
            log.Log("info", "midway", {{"thread", t}});
        }
      });
    for (auto& th : threads)
      th.join();
    log.Flush();
  } // the destructor flushes too
  capture.Restore();
  std::istringstream lines(capture.text());
  std::string line;
  std::map<int, int> next; // thread -> next expected index
  int records = 0, midway = 0;
  while (std::getline(lines, line)) {
    nlohmann::json j;
    ASSERT_NO_THROW(j = nlohmann::json::parse(line)) << line;
    if (j["msg"] == "midway") {
      ++midway;
      continue;
    }
    ASSERT_EQ(j["msg"], "request");
    EXPECT_EQ(j["duration_ms"], 1.235);
    const std::string id = j["request_id"];
    const int t = std::stoi(id.substr(0, id.find('-')));
    const int i = std::stoi(id.substr(id.find('-') + 1));
    EXPECT_EQ(i, next[t]) << "thread " << t << " out of order";
    next[t] = i + 1;
    ++records;
  }
  EXPECT_EQ(records, kThreads * kPerThread);
  EXPECT_EQ(midway, 1);
}

TEST(LoggerTest, SecretsAddedLaterAreRedactedEverywhere) {
  StderrCapture capture;
  {
    Logger log(true);
    AccessRecord r;
    r.request_id = "1";
    r.path = "/token=hunter2";
    r.status = 200;
    log.AccessRequest(r); // before the secret is known: as is
    log.Flush();
    log.AddSecrets({"hunter2"});
    std::thread other([&] {
      AccessRecord r2 = r;
      r2.request_id = "2";
      log.AccessRequest(r2);
      log.Log("warn", "saw hunter2", {{"value", "x hunter2 y"}});
    });
    other.join();
    r.request_id = "3";
    log.AccessRequest(r);
  }
  capture.Restore();
  const std::string text = capture.text();
  std::istringstream lines(text);
  std::string line;
  int seen = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    ++seen;
    if (j.value("request_id", "") == "1") {
      EXPECT_EQ(j["path"], "/token=hunter2");
      continue;
    }
    EXPECT_EQ(line.find("hunter2"), std::string::npos) << line;
    EXPECT_NE(line.find("[redacted]"), std::string::npos) << line;
  }
  EXPECT_EQ(seen, 4) << text;
}

} // namespace
} // namespace weft::platform
