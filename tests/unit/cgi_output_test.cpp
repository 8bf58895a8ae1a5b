// ParseCgiOutput: the guest's stdout (CGI headers, a blank line, the body)
// into the response the server writes as it is, so anything that could
// break the HTTP framing must be refused.
#include <gtest/gtest.h>

#include <string>

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

} // namespace
} // namespace weft::platform
