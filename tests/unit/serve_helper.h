// Helpers for the `weft serve` end-to-end tests: a spawned server
// (WEFT_BINARY) on 127.0.0.1 with an ephemeral port, and a minimal HTTP/1.1
// client over real sockets.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#ifndef WEFT_WASI_PROGRAMS_DIR
#define WEFT_WASI_PROGRAMS_DIR ""
#endif

namespace weft_serve_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::string Guest(const std::string& name) {
  return std::string(WEFT_WASI_PROGRAMS_DIR) + "/" + name + ".wasm";
}

struct Response {
  int status = 0;
  std::string head; // status line and headers
  std::string body;
  bool ok = false; // a whole response was read
  std::string Header(const std::string& name) const {
    std::regex re("\r\n" + name + ": ([^\r]*)\r\n", std::regex::icase);
    std::smatch m;
    return std::regex_search(head, m, re) ? m[1].str() : std::string();
  }
};

// The value of an unlabelled metric in /metrics text, -1 when absent.
inline long long Gauge(const std::string& metrics, const std::string& name) {
  const std::string key = "\n" + name + " ";
  const size_t at = metrics.find(key);
  if (at == std::string::npos) return -1;
  return std::stoll(metrics.substr(at + key.size()));
}

inline int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

inline bool SendAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Reads one response (Content-Length framed) from a connection; `buf`
// keeps bytes of the next response.
inline Response ReadResponse(int fd, std::string& buf) {
  Response r;
  char chunk[65536];
  size_t head_end;
  while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return r;
    buf.append(chunk, static_cast<size_t>(n));
  }
  r.head = buf.substr(0, head_end + 2);
  buf.erase(0, head_end + 4);
  if (r.head.size() < 12) return r;
  r.status = std::stoi(r.head.substr(9, 3));
  std::string cl = r.Header("Content-Length");
  size_t want = cl.empty() ? 0 : std::stoul(cl);
  while (buf.size() < want) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return r;
    buf.append(chunk, static_cast<size_t>(n));
  }
  r.body = buf.substr(0, want);
  buf.erase(0, want);
  r.ok = true;
  return r;
}

// Sends `raw` (a request as written on the wire) on a new connection and
// reads one response; the connection is closed after.
inline Response RawRequest(int port, const std::string& raw) {
  int fd = Connect(port);
  if (fd < 0) return {};
  SendAll(fd, raw);
  std::string buf;
  Response r = ReadResponse(fd, buf);
  ::close(fd);
  return r;
}

inline Response Request(int port, const std::string& method,
                        const std::string& target, const std::string& body = "",
                        const std::string& extra_headers = "") {
  int fd = Connect(port);
  if (fd < 0) return {};
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                    extra_headers + "Connection: close\r\n";
  if (!body.empty() || method == "POST")
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  SendAll(fd, req);
  std::string buf;
  Response r = ReadResponse(fd, buf);
  ::close(fd);
  return r;
}

// A running `weft serve`; stopped (SIGKILL if still alive) on destruction.
class Server {
public:
  Server(const fs::path& dir, const std::string& manifest,
         std::vector<std::string> extra = {}) {
    fs::create_directories(dir);
    manifest_ = dir / "weft.toml";
    std::ofstream(manifest_) << manifest;
    log_ = dir / "server.log";
    std::vector<std::string> args = {WEFT_BINARY,
                                     "serve",
                                     dir.string(),
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--data-dir",
                                     (dir / "data").string(),
                                     "--workers",
                                     "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, log_.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (posix_spawn(&pid_, WEFT_BINARY, &actions, nullptr, argv.data(),
                    environ) != 0)
      pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    // Wait for "listening" with the bound address, or for the exit.
    std::regex addr(R"(http://127\.0\.0\.1:(\d+))");
    for (int i = 0; i < 1000 && pid_ > 0; ++i) {
      std::smatch m;
      std::string log = ReadAll(log_);
      if (std::regex_search(log, m, addr)) {
        port_ = std::stoi(m[1].str());
        return;
      }
      int status;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(10ms);
    }
  }
  ~Server() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string log() const { return ReadAll(log_); }
  // Sends `sig` and waits (up to 10 s) for the exit; returns the status.
  int Stop(int sig = SIGTERM) {
    if (pid_ <= 0) return exit_status_;
    ::kill(pid_, sig);
    for (int i = 0; i < 1000; ++i) {
      int status;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(10ms);
    }
    return -2;
  }
  // For a server that refused to start.
  int exit_status() const { return exit_status_; }

private:
  fs::path manifest_, log_;
  pid_t pid_ = -1;
  int port_ = 0;
  int exit_status_ = -1;
};

// A ustar archive of `files` (name -> content), in order of name;
// `type` '0' (file) unless given per name in `types`.
inline std::string Tar(const std::map<std::string, std::string>& files,
                       const std::map<std::string, char>& types = {}) {
  std::string out;
  for (const auto& [name, content] : files) {
    std::string h(512, '\0');
    h.replace(0, std::min<size_t>(name.size(), 100), name.substr(0, 100));
    auto octal = [&](size_t at, size_t width, uint64_t v) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%0*llo", static_cast<int>(width - 1),
                    static_cast<unsigned long long>(v));
      h.replace(at, width - 1, buf);
    };
    octal(100, 8, 0644);
    octal(108, 8, 0);
    octal(116, 8, 0);
    octal(124, 12, content.size());
    octal(136, 12, 0);
    auto t = types.find(name);
    h[156] = t == types.end() ? '0' : t->second;
    h.replace(257, 6, std::string("ustar\0", 6));
    h.replace(263, 2, "00");
    h.replace(148, 8, "        ");
    unsigned sum = 0;
    for (unsigned char c : h)
      sum += c;
    char buf[8];
    std::snprintf(buf, sizeof buf, "%06o", sum);
    h.replace(148, 7, std::string(buf, 6) + '\0');
    out += h + content + std::string((512 - content.size() % 512) % 512, '\0');
  }
  return out + std::string(1024, '\0');
}

// The admin port from the "admin listening" line.
inline int AdminPort(const Server& s) {
  std::smatch m;
  std::string log = s.log();
  if (!std::regex_search(
          log, m,
          std::regex(
              R"re("address":"127\.0\.0\.1:(\d+)","level":"info","msg":"admin listening")re")))
    return 0;
  return std::stoi(m[1].str());
}

} // namespace weft_serve_test
