// Reading a request's body once its header is in, for the admin listener
// (admin.cpp; the function server parses its connections itself, see
// http_server.cpp): a client that sent "Expect: 100-continue" first gets
// the interim 100 response (RFC 9110, section 10.1.1), then the body is
// read.
#pragma once

#include <cstddef>
#include <utility>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace weft::platform {

// `on_read(error_code)` is called once, when the body is in or reading (or
// writing the 100) failed; it must keep the stream, buffer, parser and
// `interim` alive (a lambda holding the session's shared_ptr does).
template <class Parser, class OnRead>
void ReadBodyAfterHeader(
    boost::beast::tcp_stream& stream, boost::beast::flat_buffer& buffer,
    Parser& parser,
    boost::beast::http::response<boost::beast::http::empty_body>& interim,
    OnRead on_read) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  auto read_body = [&stream, &buffer, &parser, on_read] {
    http::async_read(stream, buffer, parser,
                     [on_read](beast::error_code ec, size_t) { on_read(ec); });
  };
  if (beast::iequals(parser.get()[http::field::expect], "100-continue") &&
      !parser.is_done()) {
    interim = {};
    interim.version(11);
    interim.result(http::status::continue_);
    http::async_write(stream, interim,
                      [read_body = std::move(read_body),
                       on_read](beast::error_code ec, size_t) {
                        if (ec) return on_read(ec);
                        read_body();
                      });
    return;
  }
  read_body();
}

} // namespace weft::platform
