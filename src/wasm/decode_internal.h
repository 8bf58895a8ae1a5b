// Internal to the decoder (decoder.cpp, decode_code.cpp): the byte reader
// and the instruction-sequence decoder shared by function bodies and
// constant expressions. Not part of the public API.
//
// The reader follows the reference interpreter's model so that errors carry
// the spec testsuite's messages: every read is bounded by the end of the
// module (never by the end of a section); after a section or function body
// the decoder checks that exactly its declared size was consumed ("section
// size mismatch"). A module is accepted iff every section parses to exactly
// its size, so this is equivalent to bounding reads per section, but reports
// e.g. a body whose final `end` is missing the way the testsuite expects.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wasm/decoder.h"
#include "wasm/module.h"
#include "wasm/result.h"

namespace weft::decode {

// Reads bytes of one module. Every Read* returns false once an error has
// been recorded (the first error wins); callers just propagate `false`.
class Reader {
public:
  Reader(const uint8_t* begin, const uint8_t* end)
      : base_(begin), p_(begin), end_(end) {}

  uint32_t Offset() const { return static_cast<uint32_t>(p_ - base_); }
  size_t Remaining() const { return static_cast<size_t>(end_ - p_); }
  bool AtEnd() const { return p_ >= end_; }
  const uint8_t* Ptr() const { return p_; }
  void Seek(uint32_t offset) { p_ = base_ + offset; }

  // Records an error at `offset` (with the current context) and returns false.
  bool Fail(std::string message, uint32_t offset);
  bool failed() const { return failed_; }
  Error TakeError() { return std::move(error_); }

  // Where we are, for Error::context. `section` is a static string such as
  // "code section"; with an item the context reads "code section, function 3".
  void SetContext(const char* section) {
    section_ = section;
    item_ = nullptr;
  }
  void SetItem(const char* item, uint32_t index) {
    item_ = item;
    item_index_ = index;
  }

  bool ReadU8(uint8_t* out);
  bool PeekU8(uint8_t* out); // fails with "unexpected end" at the end
  bool ReadU32(uint32_t* out);
  bool ReadS32(int32_t* out);
  bool ReadS33(int64_t* out);
  bool ReadS64(int64_t* out);
  bool ReadFixed32(uint32_t* out); // little-endian IEEE bits
  bool ReadFixed64(uint64_t* out);
  bool ReadBytes(size_t n, const uint8_t** out);
  // A u32 length or vector count. It must not exceed the bytes left in the
  // module counted from the length's own first byte ("length out of
  // bounds"), so no count can ask for more entries than there are bytes.
  bool ReadLength(uint32_t* out);
  // Like ReadLength, then checks `n <= limit` ("<what> exceeds limit").
  bool ReadCount(uint32_t* out, uint32_t limit, const char* what);
  bool ReadName(std::string* out); // length-prefixed, valid UTF-8
  bool ReadValType(ValType* out);  // "malformed value type"
  bool ReadRefType(ValType* out);  // "malformed reference type"

  // Selects the "unexpected end" wording: inside a section the spec
  // testsuite expects "unexpected end of section or function".
  void SetInSection(bool in) { in_section_ = in; }
  bool FailEnd();

private:
  bool FailLeb(int err, uint32_t start);

  const uint8_t* base_;
  const uint8_t* p_;
  const uint8_t* end_;
  bool failed_ = false;
  bool in_section_ = false;
  Error error_;
  const char* section_ = nullptr;
  const char* item_ = nullptr;
  uint32_t item_index_ = 0;
};

// Where an instruction sequence stores its side tables. For a constant
// expression the vectors belong to the ConstExpr, for a body to the Function.
struct CodeSink {
  std::vector<Instr>* code;
  std::vector<uint32_t>* br_targets;
  std::vector<V128>* v128_consts;
  bool uses_data_index = false; // memory.init or data.drop seen
};

// Decodes instructions up to and including the `end` that closes the
// sequence (a function body or a constant expression), filling block
// else/end indices. Reads past a body's declared size are possible, exactly
// as in the reference interpreter; the caller checks the size afterwards.
bool DecodeInstrs(Reader& r, CodeSink& sink, const DecodeLimits& limits);

// True when bytes [p, p+n) are well-formed UTF-8 (no overlongs, surrogates
// or code points above U+10FFFF).
bool IsValidUtf8(const uint8_t* p, size_t n);

} // namespace weft::decode
