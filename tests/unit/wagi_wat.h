// WAGI guests written as text-format modules by the serve tests themselves
// (weft serve compiles .wat files with wabt), so a test can make as many
// versions of a function as it needs.
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace weft_serve_test {

// `text` as a WAT string literal (quotes, backslashes and control bytes
// escaped as \hh).
inline std::string WatString(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\' || c < 0x20 || c >= 0x7f) {
      char buf[4];
      std::snprintf(buf, sizeof buf, "\\%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// A guest that answers 200 with `body` (text/plain). `sleep_ms` > 0: it
// first sleeps that long (poll_oneoff on the monotonic clock).
inline std::string WagiTextModule(const std::string& body, int sleep_ms = 0) {
  const std::string out = "Content-Type: text/plain\n\n" + body;
  std::string sleep;
  if (sleep_ms > 0)
    sleep = "    (i64.store (i32.const 1024) (i64.const 0))\n"
            "    (i32.store8 (i32.const 1032) (i32.const 0))\n"
            "    (i32.store (i32.const 1040) (i32.const 1))\n"
            "    (i64.store (i32.const 1048) (i64.const " +
            std::to_string(static_cast<long long>(sleep_ms) * 1000000) +
            "))\n"
            "    (i64.store (i32.const 1056) (i64.const 0))\n"
            "    (i32.store16 (i32.const 1064) (i32.const 0))\n"
            "    (drop (call $poll (i32.const 1024) (i32.const 1100) "
            "(i32.const 1) (i32.const 1200)))\n";
  return "(module\n"
         "  (import \"wasi_snapshot_preview1\" \"fd_write\"\n"
         "    (func $fd_write (param i32 i32 i32 i32) (result i32)))\n"
         "  (import \"wasi_snapshot_preview1\" \"poll_oneoff\"\n"
         "    (func $poll (param i32 i32 i32 i32) (result i32)))\n"
         "  (memory (export \"memory\") 1)\n"
         "  (data (i32.const 2048) " +
         WatString(out) +
         ")\n"
         "  (func (export \"_start\")\n" +
         sleep +
         "    (i32.store (i32.const 0) (i32.const 2048))\n"
         "    (i32.store (i32.const 4) (i32.const " +
         std::to_string(out.size()) +
         "))\n"
         "    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) "
         "(i32.const 8)))))\n";
}

// Writes `content` to `path` the way editors and build tools do: into a
// temporary file in the same folder, then renamed over `path`.
inline void ReplaceFile(const std::filesystem::path& path,
                        const std::string& content) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
  }
  std::filesystem::rename(tmp, path);
}

} // namespace weft_serve_test
