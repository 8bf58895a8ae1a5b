#include <cstring>

#include "wasm/decode_internal.h"
#include "wasm/leb128.h"

namespace weft::decode {

bool Reader::Fail(std::string message, uint32_t offset) {
  if (failed_) return false;
  failed_ = true;
  error_.message = std::move(message);
  error_.offset = offset;
  if (section_ != nullptr) {
    error_.context = section_;
    if (item_ != nullptr) {
      error_.context += ", ";
      error_.context += item_;
      error_.context += " " + std::to_string(item_index_);
    }
  }
  return false;
}

bool Reader::FailEnd() {
  // The offset of a truncation is the end of the module.
  return Fail(in_section_ ? "unexpected end of section or function"
                          : "unexpected end",
              static_cast<uint32_t>(end_ - base_));
}

bool Reader::FailLeb(int err, uint32_t start) {
  switch (static_cast<LebError>(err)) {
  case LebError::Truncated: return FailEnd();
  case LebError::TooLong: return Fail("integer representation too long", start);
  case LebError::TooLarge: return Fail("integer too large", start);
  case LebError::None: break;
  }
  return Fail("malformed integer", start);
}

bool Reader::ReadU8(uint8_t* out) {
  if (p_ >= end_) return FailEnd();
  *out = *p_++;
  return true;
}

bool Reader::PeekU8(uint8_t* out) {
  if (p_ >= end_) return FailEnd();
  *out = *p_;
  return true;
}

bool Reader::ReadU32(uint32_t* out) {
  uint32_t start = Offset();
  uint64_t v = 0;
  LebError e = ReadUleb(&p_, end_, 32, &v);
  if (e != LebError::None) return FailLeb(static_cast<int>(e), start);
  *out = static_cast<uint32_t>(v);
  return true;
}

bool Reader::ReadS32(int32_t* out) {
  uint32_t start = Offset();
  int64_t v = 0;
  LebError e = ReadSleb(&p_, end_, 32, &v);
  if (e != LebError::None) return FailLeb(static_cast<int>(e), start);
  *out = static_cast<int32_t>(v);
  return true;
}

bool Reader::ReadS33(int64_t* out) {
  uint32_t start = Offset();
  LebError e = ReadSleb(&p_, end_, 33, out);
  if (e != LebError::None) return FailLeb(static_cast<int>(e), start);
  return true;
}

bool Reader::ReadS64(int64_t* out) {
  uint32_t start = Offset();
  LebError e = ReadSleb(&p_, end_, 64, out);
  if (e != LebError::None) return FailLeb(static_cast<int>(e), start);
  return true;
}

bool Reader::ReadFixed32(uint32_t* out) {
  if (Remaining() < 4) {
    p_ = end_;
    return FailEnd();
  }
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i)
    v = (v << 8) | p_[i];
  p_ += 4;
  *out = v;
  return true;
}

bool Reader::ReadFixed64(uint64_t* out) {
  if (Remaining() < 8) {
    p_ = end_;
    return FailEnd();
  }
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | p_[i];
  p_ += 8;
  *out = v;
  return true;
}

bool Reader::ReadBytes(size_t n, const uint8_t** out) {
  if (Remaining() < n) {
    p_ = end_;
    return FailEnd();
  }
  *out = p_;
  p_ += n;
  return true;
}

bool Reader::ReadLength(uint32_t* out) {
  uint32_t start = Offset();
  size_t available = Remaining(); // counted from the length's first byte
  if (!ReadU32(out)) return false;
  if (*out > available) return Fail("length out of bounds", start);
  return true;
}

bool Reader::ReadCount(uint32_t* out, uint32_t limit, const char* what) {
  uint32_t start = Offset();
  if (!ReadLength(out)) return false;
  if (*out > limit) {
    return Fail(std::string(what) + " " + std::to_string(*out) +
                    " exceeds the limit of " + std::to_string(limit),
                start);
  }
  return true;
}

bool Reader::ReadName(std::string* out) {
  uint32_t start = Offset();
  uint32_t n = 0;
  const uint8_t* bytes = nullptr;
  if (!ReadLength(&n) || !ReadBytes(n, &bytes)) return false;
  if (!IsValidUtf8(bytes, n)) return Fail("malformed UTF-8 encoding", start);
  out->assign(reinterpret_cast<const char*>(bytes), n);
  return true;
}

// Value types are one-byte signed LEB128 numbers in the spec's grammar, so a
// continuation bit is "integer representation too long", as in the reference.
bool Reader::ReadValType(ValType* out) {
  uint32_t start = Offset();
  uint8_t b = 0;
  if (!ReadU8(&b)) return false;
  if (b & 0x80) return Fail("integer representation too long", start);
  if (!IsValTypeByte(b)) return Fail("malformed value type", start);
  *out = static_cast<ValType>(b);
  return true;
}

bool Reader::ReadRefType(ValType* out) {
  uint32_t start = Offset();
  uint8_t b = 0;
  if (!ReadU8(&b)) return false;
  if (b & 0x80) return Fail("integer representation too long", start);
  if (b != 0x70 && b != 0x6F) return Fail("malformed reference type", start);
  *out = static_cast<ValType>(b);
  return true;
}

bool IsValidUtf8(const uint8_t* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t b = p[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint8_t lo = 0x80, hi = 0xBF; // allowed range of the second byte
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      if (b == 0xE0) lo = 0xA0; // overlong
      if (b == 0xED) hi = 0x9F; // surrogates
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      if (b == 0xF0) lo = 0x90; // overlong
      if (b == 0xF4) hi = 0x8F; // above U+10FFFF
    } else {
      return false; // continuation byte, overlong lead or 0xF5..0xFF
    }
    if (n - i < len) return false;
    if (p[i + 1] < lo || p[i + 1] > hi) return false;
    for (size_t k = 2; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

} // namespace weft::decode
