// Reading a whole file into memory, with an error message on failure.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace weft::cli {

// Reads `path` into `out`. On failure returns false and sets `error` to
// "cannot read file: <reason>".
inline bool ReadFileBytes(const std::string& path, std::vector<uint8_t>& out,
                          std::string& error) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    error = "cannot read file: is a directory";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::string("cannot read file: ") + std::strerror(errno);
    return false;
  }
  out.assign(std::istreambuf_iterator<char>(in),
             std::istreambuf_iterator<char>());
  if (in.bad()) {
    error = "cannot read file: I/O error";
    return false;
  }
  return true;
}

} // namespace weft::cli
