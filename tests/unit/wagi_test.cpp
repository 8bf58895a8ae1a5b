// The WAGI mapping without a server: WagiEnv (a request as CGI
// environment variables) and ParseCgiOutput (the guest's stdout: CGI
// headers, a blank line, the body, into the response the server writes as
// it is, so anything that could break the HTTP framing must be refused).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "platform/app.h"

namespace weft::platform {
namespace {

std::optional<WagiResponse> Parse(const std::string& out, std::string& error) {
  error.clear();
  return ParseCgiOutput(out, error);
}

TEST(CgiOutputTest, HeadersStatusAndBody) {
  std::string error;
  auto r = Parse("Content-Type: text/plain\nX-A:  v  \n\nbody\n", error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(r->headers.size(), 2u);
  EXPECT_EQ(r->headers[1].first, "X-A");
  EXPECT_EQ(r->headers[1].second, "v");
  EXPECT_EQ(r->body, "body\n");
  r = Parse("Status: 404 Not Found\r\n\r\nx", error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, "x");
  r = Parse("Location: /there\n\n", error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->status, 302);
}

TEST(CgiOutputTest, FramingHeadersAreDropped) {
  std::string error;
  auto r = Parse("Content-Length: 99\nTransfer-Encoding: chunked\n"
                 "Connection: close\nX-Ok: 1\n\nhi",
                 error);
  ASSERT_TRUE(r) << error;
  ASSERT_EQ(r->headers.size(), 1u);
  EXPECT_EQ(r->headers[0].first, "X-Ok");
}

TEST(CgiOutputTest, RefusesWhatCouldBreakTheResponse) {
  std::string error;
  EXPECT_FALSE(Parse("", error));
  EXPECT_FALSE(
      Parse("Content-Type: text/plain\nbody without blank line", error));
  EXPECT_FALSE(Parse("NoColon\n\n", error));
  EXPECT_FALSE(Parse("Status: 99\n\n", error));
  EXPECT_FALSE(Parse("Status: abc\n\n", error));
  EXPECT_FALSE(Parse("X-A: a\rInjected: b\n\n", error));
  // Not a token: a space, a slash or a non-ASCII byte in the name.
  EXPECT_FALSE(Parse("Bad Name: x\n\n", error));
  EXPECT_NE(error.find("invalid CGI header name"), std::string::npos) << error;
  EXPECT_FALSE(Parse("A/B: x\n\n", error));
  EXPECT_FALSE(Parse("\xc3\xa9: x\n\n", error));
  EXPECT_TRUE(Parse("X-Weird_Name.1~!: ok\n\n", error)) << error;
}

void PrefixFunction(Function& fn) {
  fn.spec.name = "api";
  fn.spec.route.text = "/api/...";
  fn.spec.route.path = "/api";
  fn.spec.route.prefix = true;
  fn.spec.env = {{"GREETING", "hi"}, {"QUERY_STRING", "from manifest"}};
}

WagiRequest SampleRequest() {
  WagiRequest req;
  req.method = "POST";
  req.target = "/api/items/7?x=1";
  req.path = "/api/items/7";
  req.query = "x=1";
  req.headers = {{"Host", "example.test:8080"},
                 {"Content-Type", "text/plain"},
                 {"Content-Length", "5"},
                 {"Accept", "a/b"},
                 {"X-Multi", "one"},
                 {"x-multi", "two"}};
  req.body = "hello";
  req.server_name = "127.0.0.1";
  req.server_port = "3000";
  req.remote_addr = "127.0.0.9";
  req.request_id = "rid-1";
  return req;
}

TEST(WagiEnvTest, RequestAsCgiVariables) {
  Function fn;
  PrefixFunction(fn);
  std::vector<std::string> env{"STALE=1"};
  std::string error;
  ASSERT_TRUE(WagiEnv(fn, SampleRequest(), env, error)) << error;
  auto has = [&](const std::string& kv) {
    return std::find(env.begin(), env.end(), kv) != env.end();
  };
  EXPECT_FALSE(has("STALE=1"));     // replaced, not appended to
  EXPECT_EQ(env[0], "GREETING=hi"); // the manifest's env first
  // A request variable wins over the manifest's, in its place.
  EXPECT_EQ(env[1], "QUERY_STRING=x=1");
  EXPECT_TRUE(has("REQUEST_METHOD=POST"));
  EXPECT_TRUE(has("SCRIPT_NAME=/api"));
  EXPECT_TRUE(has("PATH_INFO=/items/7"));
  EXPECT_TRUE(has("CONTENT_TYPE=text/plain"));
  EXPECT_TRUE(has("CONTENT_LENGTH=5"));
  EXPECT_TRUE(has("SERVER_NAME=127.0.0.1"));
  EXPECT_TRUE(has("SERVER_PORT=3000"));
  EXPECT_TRUE(has("REMOTE_ADDR=127.0.0.9"));
  EXPECT_TRUE(has("X_MATCHED_ROUTE=/api/..."));
  EXPECT_TRUE(has("X_FULL_URL=http://example.test:8080/api/items/7?x=1"));
  EXPECT_TRUE(has("X_REQUEST_ID=rid-1"));
  EXPECT_TRUE(has("HTTP_ACCEPT=a/b"));
  EXPECT_TRUE(has("HTTP_HOST=example.test:8080"));
  EXPECT_TRUE(has("HTTP_X_MULTI=one, two")); // repeated headers joined
  // Content-Type and Content-Length only as CONTENT_*.
  for (const std::string& e : env) {
    EXPECT_NE(e.rfind("HTTP_CONTENT_TYPE=", 0), 0u) << e;
    EXPECT_NE(e.rfind("HTTP_CONTENT_LENGTH=", 0), 0u) << e;
  }
  EXPECT_EQ(std::count_if(env.begin(), env.end(),
                          [](const std::string& e) {
                            return e.rfind("QUERY_STRING=", 0) == 0;
                          }),
            1);
}

TEST(WagiEnvTest, RefusesWhatWasiCannotPass) {
  Function fn;
  PrefixFunction(fn);
  std::vector<std::string> env;
  std::string error;
  WagiRequest req = SampleRequest();
  req.headers.emplace_back("X-Nul", std::string("a\0b", 3));
  EXPECT_FALSE(WagiEnv(fn, req, env, error));
  EXPECT_NE(error.find("HTTP_X_NUL"), std::string::npos) << error;
  fn.spec.env = {{"BAD=NAME", "x"}};
  EXPECT_FALSE(WagiEnv(fn, SampleRequest(), env, error));
}

} // namespace
} // namespace weft::platform
