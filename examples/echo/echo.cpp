// echo: a WAGI function in C++ that answers with what it was sent: the
// method, the path and query, every request header (from the HTTP_*
// variables) and the body (read from stdin).
//
// Built for wasm32-wasi with -fno-exceptions; serve it with
// `weft serve examples/echo` from the build folder.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

extern char** environ;

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// "HTTP_X_FORWARDED_FOR" -> "X-Forwarded-For".
std::string HeaderName(const std::string& var) {
  std::string out;
  bool upper = true;
  for (char c : var.substr(5)) {
    if (c == '_') {
      out += '-';
      upper = true;
      continue;
    }
    out += upper ? c : static_cast<char>(std::tolower(c));
    upper = false;
  }
  return out;
}

std::string ReadBody() {
  std::string body;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0)
    body.append(buf, n);
  return body;
}

} // namespace

int main() {
  std::vector<std::pair<std::string, std::string>> headers;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    size_t eq = kv.find('=');
    if (eq == std::string::npos || kv.compare(0, 5, "HTTP_") != 0) continue;
    headers.emplace_back(HeaderName(kv.substr(0, eq)), kv.substr(eq + 1));
  }
  std::sort(headers.begin(), headers.end());
  const std::string content_type = Env("CONTENT_TYPE");
  if (!content_type.empty()) headers.emplace_back("Content-Type", content_type);

  std::string out = "method: " + Env("REQUEST_METHOD") + "\n";
  out += "path: " + Env("SCRIPT_NAME") + Env("PATH_INFO") + "\n";
  out += "query: " + Env("QUERY_STRING") + "\n";
  for (const auto& [name, value] : headers)
    out += "header: " + name + ": " + value + "\n";
  const std::string body = ReadBody();
  out += "body (" + std::to_string(body.size()) + " bytes):\n" + body;

  std::printf("Content-Type: text/plain; charset=utf-8\n\n");
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
