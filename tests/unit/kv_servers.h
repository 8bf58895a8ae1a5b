// Real redis-server and nats-server processes for the KV backend tests and
// bench/kv: started on 127.0.0.1 with a free port and a temporary folder,
// killed (SIGKILL) when the guard is destroyed, and also when the test
// process dies first (PR_SET_PDEATHSIG), so none outlives a failed test.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace weft_kv_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A fresh folder under $TMPDIR, removed with its contents.
class TempDir {
public:
  explicit TempDir(const std::string& tag) {
    std::string tmpl =
        (fs::temp_directory_path() / ("weft-" + tag + "-XXXXXX")).string();
    if (::mkdtemp(tmpl.data())) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

private:
  fs::path path_;
};

// A TCP port that was free a moment ago.
inline int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

inline bool Accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok =
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

inline std::string FindProgram(const std::string& name) {
  for (const char* dir : {"/usr/bin", "/usr/sbin", "/usr/local/bin"}) {
    fs::path p = fs::path(dir) / name;
    if (::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return {};
}

// One server process on a port it gets from FreePort() when first started
// (another, up to five times, when the server cannot bind it: parallel
// tests may race for a port); Start() again after Kill() restarts it with
// the same arguments (same port, same data folder).
class ServerProcess {
public:
  using Args = std::function<std::vector<std::string>(int port)>;
  ServerProcess(Args args, fs::path log)
      : args_(std::move(args)), log_(std::move(log)) {}
  ~ServerProcess() { Kill(); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool Start() {
    if (port_ != 0) return StartOn(port_);
    for (int attempt = 0; attempt < 5; ++attempt) {
      const int port = FreePort();
      if (StartOn(port)) {
        port_ = port;
        return true;
      }
    }
    return false;
  }

  // SIGKILL and wait: the port is closed when this returns.
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  // SIGSTOP / SIGCONT: the kernel still accepts connections and data, the
  // server answers nothing (a hung or overloaded server). Pause returns
  // once the process is stopped.
  void Pause() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGSTOP);
    int status;
    ::waitpid(pid_, &status, WUNTRACED);
  }
  void Resume() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
  }

  int port() const { return port_; }
  bool running() const { return pid_ > 0; }
  std::string log() const {
    std::ifstream in(log_);
    return {std::istreambuf_iterator<char>(in),
            std::istreambuf_iterator<char>()};
  }

private:
  // Forks, execs and waits (up to 10 s) until the port accepts while the
  // process is alive.
  bool StartOn(int port) {
    std::vector<std::string> argv = args_(port);
    std::vector<char*> args;
    for (auto& a : argv)
      args.push_back(a.data());
    args.push_back(nullptr);
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      int null = ::open("/dev/null", O_RDONLY);
      if (null >= 0) ::dup2(null, 0);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    if (pid_ < 0) return false;
    auto exited = [&] {
      int status;
      if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
      pid_ = -1;
      return true;
    };
    for (int i = 0; i < 1000; ++i) {
      if (Accepts(port)) {
        // Someone else's listener would accept too: ours must be alive.
        std::this_thread::sleep_for(20ms);
        if (exited()) return false;
        return true;
      }
      if (exited()) return false;
      std::this_thread::sleep_for(10ms);
    }
    Kill();
    return false;
  }

  Args args_;
  fs::path log_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// redis-server --port N --save '' --appendonly no (nothing on disk), with
// extra arguments such as {"--requirepass", "secret"}.
class RedisServer {
public:
  explicit RedisServer(std::vector<std::string> extra = {})
      : dir_("redis"),
        proc_([this, extra](int port) { return Args(port, extra); },
              dir_.path() / "redis.log") {}
  bool Start() { return !FindProgram("redis-server").empty() && proc_.Start(); }
  void Kill() { proc_.Kill(); }
  void Pause() { proc_.Pause(); }
  void Resume() { proc_.Resume(); }
  int port() const { return proc_.port(); }
  std::string url(const std::string& suffix = "") const {
    return "redis://127.0.0.1:" + std::to_string(port()) + suffix;
  }
  std::string log() const { return proc_.log(); }

private:
  std::vector<std::string> Args(int port,
                                const std::vector<std::string>& extra) {
    std::vector<std::string> a = {FindProgram("redis-server"),
                                  "--port",
                                  std::to_string(port),
                                  "--bind",
                                  "127.0.0.1",
                                  "--save",
                                  "",
                                  "--appendonly",
                                  "no",
                                  "--dir",
                                  dir_.path().string()};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  TempDir dir_;
  ServerProcess proc_;
};

// nats-server -js -sd <tmp> -p N -a 127.0.0.1 (optionally -c CONFIG with
// `config_text` written to a file). The store folder survives Kill(), so a
// restarted server has the buckets and values it had.
class NatsServer {
public:
  explicit NatsServer(const std::string& config_text = "")
      : dir_("nats"),
        proc_([this, config_text](int port) { return Args(port, config_text); },
              dir_.path() / "nats.log") {}
  bool Start() { return !FindProgram("nats-server").empty() && proc_.Start(); }
  void Kill() { proc_.Kill(); }
  void Pause() { proc_.Pause(); }
  void Resume() { proc_.Resume(); }
  int port() const { return proc_.port(); }
  std::string url(const std::string& suffix = "") const {
    return "nats://127.0.0.1:" + std::to_string(port()) + suffix;
  }
  std::string log() const { return proc_.log(); }

private:
  std::vector<std::string> Args(int port, const std::string& config_text) {
    std::vector<std::string> a = {FindProgram("nats-server"),
                                  "-js",
                                  "-sd",
                                  (dir_.path() / "js").string(),
                                  "-p",
                                  std::to_string(port),
                                  "-a",
                                  "127.0.0.1"};
    if (!config_text.empty()) {
      const fs::path conf = dir_.path() / "nats.conf";
      std::ofstream(conf) << config_text << "\n";
      a.push_back("-c");
      a.push_back(conf.string());
    }
    return a;
  }
  TempDir dir_;
  ServerProcess proc_;
};

} // namespace weft_kv_test
