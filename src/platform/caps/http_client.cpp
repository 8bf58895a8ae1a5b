// A small blocking HTTP/1.1 client for the guests' outbound requests:
// one connection per request (Connection: close), a deadline covering
// resolve + connect + the whole exchange, and a cap on the body size.
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <fcntl.h>

#include "platform/caps/caps.h"
#include "platform/caps/url.h"

namespace weft::caps {

namespace {

using Clock = std::chrono::steady_clock;

class Fd {
public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

private:
  int fd_;
};

int MsLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - Clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(left.count());
}

// Waits until `fd` is ready for `events`; false on timeout.
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    int ms = MsLeft(deadline);
    if (ms == 0) return false;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, ms);
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

CapStatus Connect(const Url& url, Clock::time_point deadline, Fd* out) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(url.port);
  if (::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &res) != 0)
    return CapStatus::kIo;
  CapStatus status = CapStatus::kIo;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    Fd fd(::socket(ai->ai_family,
                   ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                   ai->ai_protocol));
    if (fd.get() < 0) continue;
    int rc = ::connect(fd.get(), ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno != EINPROGRESS) continue;
    if (rc != 0) {
      if (!WaitFor(fd.get(), POLLOUT, deadline)) {
        status = CapStatus::kTimeout;
        break;
      }
      int err = 0;
      socklen_t len = sizeof err;
      if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
          err != 0)
        continue;
    }
    out->reset(fd.release());
    status = CapStatus::kOk;
    break;
  }
  ::freeaddrinfo(res);
  return status;
}

CapStatus SendAll(int fd, std::string_view data, Clock::time_point deadline) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!WaitFor(fd, POLLOUT, deadline)) return CapStatus::kTimeout;
      continue;
    }
    return CapStatus::kIo;
  }
  return CapStatus::kOk;
}

// Reads everything until the peer closes, within the deadline and limit.
CapStatus ReadAll(int fd, size_t limit, Clock::time_point deadline,
                  std::string* out) {
  char buf[16384];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      out->append(buf, static_cast<size_t>(n));
      if (out->size() > limit) return CapStatus::kTooLarge;
      continue;
    }
    if (n == 0) return CapStatus::kOk;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!WaitFor(fd, POLLIN, deadline)) return CapStatus::kTimeout;
      continue;
    }
    return CapStatus::kIo;
  }
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool ValidToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos)
      return false;
  return true;
}

bool ValidHeaderValue(std::string_view s) {
  for (char c : s)
    if (c == '\r' || c == '\n' || c == '\0') return false;
  return true;
}

// Decodes a chunked body; false when malformed or truncated.
bool Dechunk(std::string_view in, std::string* out) {
  for (;;) {
    size_t eol = in.find("\r\n");
    if (eol == std::string_view::npos) return false;
    std::string_view line = in.substr(0, eol);
    line = line.substr(0, line.find(';'));
    line = Trim(line);
    if (line.empty() || line.size() > 15) return false;
    size_t size = 0;
    for (char c : line) {
      int d =
          std::isdigit(static_cast<unsigned char>(c))
              ? c - '0'
              : (std::isxdigit(static_cast<unsigned char>(c))
                     ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                     : -1);
      if (d < 0) return false;
      size = size * 16 + static_cast<size_t>(d);
    }
    in.remove_prefix(eol + 2);
    if (size == 0) return true; // trailers ignored
    if (in.size() < size + 2) return false;
    out->append(in.substr(0, size));
    in.remove_prefix(size + 2);
  }
}

} // namespace

CapStatus
HttpFetch(std::string_view method, std::string_view url_text,
          const std::vector<std::pair<std::string, std::string>>& headers,
          std::string_view body, const OutboundHttpOptions& options,
          HttpResponse* out) {
  Url url;
  if (!ParseUrl(url_text, &url) || !ValidToken(method))
    return CapStatus::kInvalid;
  if (url.scheme == "https") return CapStatus::kUnsupported;
  if (url.scheme != "http") return CapStatus::kInvalid;

  std::string req;
  req.reserve(256 + body.size());
  req.append(method).append(" ").append(url.target).append(" HTTP/1.1\r\n");
  req.append("Host: ").append(url.host);
  if (url.port != 80) req.append(":").append(std::to_string(url.port));
  req.append("\r\nConnection: close\r\n");
  for (const auto& [name, value] : headers) {
    if (!ValidToken(name) || !ValidHeaderValue(value))
      return CapStatus::kInvalid;
    if (IEquals(name, "host") || IEquals(name, "content-length") ||
        IEquals(name, "connection") || IEquals(name, "transfer-encoding"))
      continue;
    req.append(name).append(": ").append(value).append("\r\n");
  }
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
    req.append("Content-Length: ")
        .append(std::to_string(body.size()))
        .append("\r\n");
  req.append("\r\n").append(body);

  const auto deadline = Clock::now() + options.timeout;
  Fd fd;
  if (CapStatus s = Connect(url, deadline, &fd); s != CapStatus::kOk) return s;
  if (CapStatus s = SendAll(fd.get(), req, deadline); s != CapStatus::kOk)
    return s;
  std::string raw;
  // Headers are bounded at 64 KiB on top of the body limit.
  if (CapStatus s =
          ReadAll(fd.get(), options.max_response_bytes + 65536, deadline, &raw);
      s != CapStatus::kOk)
    return s;

  size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) return CapStatus::kIo;
  std::string_view head(raw.data(), head_end);
  std::string_view rest(raw.data() + head_end + 4, raw.size() - head_end - 4);

  HttpResponse resp;
  size_t eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12)
    return CapStatus::kIo;
  int code = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(status_line[i])))
      return CapStatus::kIo;
    code = code * 10 + (status_line[i] - '0');
  }
  resp.status = code;
  bool chunked = false;
  std::optional<size_t> content_length;
  std::string_view lines =
      eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
  while (!lines.empty()) {
    size_t e = lines.find("\r\n");
    std::string_view line = lines.substr(0, e);
    lines =
        e == std::string_view::npos ? std::string_view() : lines.substr(e + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return CapStatus::kIo;
    std::string_view name = line.substr(0, colon);
    std::string_view value = Trim(line.substr(colon + 1));
    if (IEquals(name, "transfer-encoding") &&
        value.find("chunked") != std::string_view::npos)
      chunked = true;
    if (IEquals(name, "content-length")) {
      size_t n = 0;
      for (char c : value) {
        if (!std::isdigit(static_cast<unsigned char>(c)) || n > (1ull << 40))
          return CapStatus::kIo;
        n = n * 10 + static_cast<size_t>(c - '0');
      }
      content_length = n;
    }
    resp.headers.emplace_back(std::string(name), std::string(value));
  }
  if (chunked) {
    if (!Dechunk(rest, &resp.body)) return CapStatus::kIo;
  } else if (content_length) {
    if (rest.size() < *content_length) return CapStatus::kIo;
    resp.body.assign(rest.substr(0, *content_length));
  } else {
    resp.body.assign(rest);
  }
  if (method == "HEAD" || code == 204 || code == 304) resp.body.clear();
  if (resp.body.size() > options.max_response_bytes)
    return CapStatus::kTooLarge;
  *out = std::move(resp);
  return CapStatus::kOk;
}

} // namespace weft::caps
