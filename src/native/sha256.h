// SHA-256 (FIPS 180-4), our own small implementation: the key of a module
// in the artifact header and the compile cache. Not on any hot path (a
// module is hashed once per `weft run`), so plain portable C++.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace weft::native {

using Sha256Digest = std::array<uint8_t, 32>;

class Sha256 {
public:
  Sha256();
  void Update(std::span<const uint8_t> data);
  Sha256Digest Finish();

private:
  void Block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

Sha256Digest Sha256Of(std::span<const uint8_t> data);
// Lower-case hex of any bytes.
std::string Hex(std::span<const uint8_t> bytes);

} // namespace weft::native
