// A real `nats-server -js` for the cluster tests: on 127.0.0.1, a free port
// (or a given one, to restart a server where clients expect it), its
// JetStream storage in a temporary folder; killed with its process group
// when the object goes, also when a test fails half-way.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "serve_helper.h"

namespace weft_serve_test {

// A TCP port nothing listens on right now (bound to 0, then released).
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

inline void WaitFor(const std::function<bool()>& done,
                    std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

class NatsServer {
public:
  // Storage in `dir` (kept across Stop/Start: a restart keeps the streams).
  // `extra`: more nats-server flags (e.g. --user/--pass).
  explicit NatsServer(fs::path dir, int port = 0,
                      std::vector<std::string> extra = {})
      : dir_(std::move(dir)), port_(port ? port : FreePort()),
        extra_(std::move(extra)) {}
  ~NatsServer() { Stop(); }
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  // Starts it and waits until it accepts connections; false if it does
  // not within 10 s.
  bool Start() {
    fs::create_directories(dir_);
    const std::string port = std::to_string(port_);
    const std::string store = (dir_ / "js").string();
    const std::string log = (dir_ / "nats.log").string();
    std::vector<std::string> args = {"nats-server", "-js", "-sd", store, "-a",
                                     "127.0.0.1",   "-p",  port,  "-l",  log};
    args.insert(args.end(), extra_.begin(), extra_.end());
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (posix_spawnp(&pid_, "nats-server", &actions, &attr, argv.data(),
                     environ) != 0)
      pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (pid_ <= 0) return false;
    for (int i = 0; i < 200; ++i) {
      int fd = Connect(port_);
      if (fd >= 0) {
        ::close(fd);
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  int port() const { return port_; }
  std::string url() const {
    return "nats://127.0.0.1:" + std::to_string(port_);
  }

private:
  fs::path dir_;
  int port_;
  std::vector<std::string> extra_;
  pid_t pid_ = -1;
};

} // namespace weft_serve_test
