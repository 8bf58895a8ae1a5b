// Small file helpers shared by the WASI tests: read/write a whole file, and
// a listing of a tree that proves it did not change.
#pragma once

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace weft_test {

inline std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void WriteFile(const std::filesystem::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary);
  out << s;
}

// One sorted row per entry below `root`: path, mode, size, mtime and, for
// regular files, the content.
inline std::string Snapshot(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  std::vector<std::string> rows;
  for (auto it = fs::recursive_directory_iterator(root);
       it != fs::recursive_directory_iterator(); ++it) {
    struct stat st;
    ::lstat(it->path().c_str(), &st);
    std::string row = fs::relative(it->path(), root).string() +
                      " mode=" + std::to_string(st.st_mode) +
                      " size=" + std::to_string(st.st_size) +
                      " mtime=" + std::to_string(st.st_mtim.tv_sec) + "." +
                      std::to_string(st.st_mtim.tv_nsec);
    if (S_ISREG(st.st_mode)) row += " data=" + ReadAll(it->path());
    rows.push_back(row);
  }
  std::sort(rows.begin(), rows.end());
  std::string s;
  for (auto& r : rows)
    s += r + "\n";
  return s;
}

} // namespace weft_test
