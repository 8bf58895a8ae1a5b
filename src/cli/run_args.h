// Parsing of `weft run`'s option values: sizes, durations, --dir and --env.
// Each parser returns nullopt and sets `error` (a sentence without the
// option name) when the text is not valid.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "wasi/wasi.h"

namespace weft::cli {

// "65536", "64KiB", "16MiB", "1GiB", "512k", "2G": a byte count with an
// optional suffix. Suffixes are case-insensitive and all binary: K, KB, KiB
// = 1024; M, MB, MiB = 1024^2; G, GB, GiB = 1024^3; B = 1.
std::optional<uint64_t> ParseSize(const std::string& text, std::string& error);

// "500ms", "2s", "1.5s", "1m", "1h", "250us": a positive number with a
// unit (us, ms, s, m, h). A bare number is refused (no guessing the unit).
std::optional<std::chrono::nanoseconds> ParseDuration(const std::string& text,
                                                      std::string& error);

// --dir HOST[::GUEST[:ro]]: GUEST defaults to HOST, read-write unless the
// GUEST part ends in ":ro". The split is at the LAST "::", so a HOST path
// that contains "::" works when GUEST is given ("a::b::/data"), while
// "a::b" alone means host "a", guest "b". GUEST may not contain "::".
std::optional<WasiPreopen> ParseDirSpec(const std::string& text,
                                        std::string& error);

// --env NAME=VALUE (VALUE may be empty and may contain '='), or --env NAME
// to pass the host's value of NAME (an error when the host has none).
std::optional<std::pair<std::string, std::string>>
ParseEnvSpec(const std::string& text, std::string& error);

} // namespace weft::cli
