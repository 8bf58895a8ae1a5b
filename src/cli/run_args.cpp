#include "cli/run_args.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

namespace weft::cli {
namespace {

std::string Lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Splits "<number><unit>" at the first character that cannot belong to a
// decimal number.
bool SplitNumber(const std::string& text, double& number, std::string& unit) {
  size_t i = 0;
  while (i < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
    ++i;
  if (i == 0) return false;
  const std::string digits = text.substr(0, i);
  if (digits.find('.') != digits.rfind('.')) return false; // two dots
  if (digits == ".") return false;
  char* end = nullptr;
  number = std::strtod(digits.c_str(), &end);
  if (end != digits.c_str() + digits.size()) return false;
  unit = Lower(text.substr(i));
  return true;
}

} // namespace

std::optional<uint64_t> ParseSize(const std::string& text, std::string& error) {
  error = "expected a size such as 65536, 64KiB, 16MiB or 1GiB, got \"" + text +
          "\"";
  double number = 0;
  std::string unit;
  if (!SplitNumber(text, number, unit)) return std::nullopt;
  uint64_t scale = 0;
  if (unit.empty() || unit == "b")
    scale = 1;
  else if (unit == "k" || unit == "kb" || unit == "kib")
    scale = 1ull << 10;
  else if (unit == "m" || unit == "mb" || unit == "mib")
    scale = 1ull << 20;
  else if (unit == "g" || unit == "gb" || unit == "gib")
    scale = 1ull << 30;
  else
    return std::nullopt;
  const double bytes = number * static_cast<double>(scale);
  if (!(bytes < 0x1p63)) {
    error = "size \"" + text + "\" is too large";
    return std::nullopt;
  }
  if (bytes != std::floor(bytes)) {
    error = "size \"" + text + "\" is not a whole number of bytes";
    return std::nullopt;
  }
  error.clear();
  return static_cast<uint64_t>(bytes);
}

std::optional<std::chrono::nanoseconds> ParseDuration(const std::string& text,
                                                      std::string& error) {
  error = "expected a duration such as 500ms, 2s or 1m, got \"" + text + "\"";
  double number = 0;
  std::string unit;
  if (!SplitNumber(text, number, unit)) return std::nullopt;
  double ns_per_unit = 0;
  if (unit == "us")
    ns_per_unit = 1e3;
  else if (unit == "ms")
    ns_per_unit = 1e6;
  else if (unit == "s")
    ns_per_unit = 1e9;
  else if (unit == "m")
    ns_per_unit = 60e9;
  else if (unit == "h")
    ns_per_unit = 3600e9;
  else
    return std::nullopt;
  const double ns = number * ns_per_unit;
  if (!(ns >= 1)) {
    error = "duration \"" + text + "\" must be positive";
    return std::nullopt;
  }
  if (!(ns < 0x1p62)) {
    error = "duration \"" + text + "\" is too long";
    return std::nullopt;
  }
  error.clear();
  return std::chrono::nanoseconds(static_cast<int64_t>(ns));
}

std::optional<WasiPreopen> ParseDirSpec(const std::string& text,
                                        std::string& error) {
  WasiPreopen p;
  p.read_only = false;
  const size_t sep = text.rfind("::");
  if (sep == std::string::npos) {
    p.host_path = text;
    p.guest_path = text;
  } else {
    p.host_path = text.substr(0, sep);
    p.guest_path = text.substr(sep + 2);
    const std::string ro = ":ro";
    if (p.guest_path.size() >= ro.size() &&
        p.guest_path.compare(p.guest_path.size() - ro.size(), ro.size(), ro) ==
            0) {
      p.guest_path.resize(p.guest_path.size() - ro.size());
      p.read_only = true;
    }
  }
  if (p.host_path.empty()) {
    error = "\"" + text + "\" has no host directory (HOST[::GUEST[:ro]])";
    return std::nullopt;
  }
  if (p.guest_path.empty()) {
    error = "\"" + text + "\" has an empty guest path (HOST[::GUEST[:ro]])";
    return std::nullopt;
  }
  error.clear();
  return p;
}

std::optional<std::pair<std::string, std::string>>
ParseEnvSpec(const std::string& text, std::string& error) {
  const size_t eq = text.find('=');
  std::string name = text.substr(0, eq);
  if (name.empty()) {
    error = "\"" + text + "\" has no variable name (NAME=VALUE)";
    return std::nullopt;
  }
  if (eq != std::string::npos) {
    error.clear();
    return std::make_pair(name, text.substr(eq + 1));
  }
  const char* host = std::getenv(name.c_str());
  if (host == nullptr) {
    error = "\"" + name +
            "\" is not set in weft's environment (use NAME=VALUE to give a "
            "value)";
    return std::nullopt;
  }
  error.clear();
  return std::make_pair(name, std::string(host));
}

} // namespace weft::cli
