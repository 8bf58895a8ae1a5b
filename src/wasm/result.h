// Error values for the decoder, validator and runtime: no exceptions cross
// these layers. An Error carries the human-readable message plus the byte
// offset in the module it refers to (kNoOffset when it has none).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace weft {

inline constexpr uint64_t kNoOffset = ~uint64_t{0};

struct Error {
  std::string message;         // e.g. "unexpected end of section or function"
  uint64_t offset = kNoOffset; // byte offset in the module, if any
  std::string context;         // e.g. "code section, function 3"; may be empty

  // "<message> at offset <n>" (with context when present).
  std::string Describe() const;
};

// Result<T>: either a T or an Error. Small and explicit; no exceptions.
template <typename T> class [[nodiscard]] Result {
public:
  Result(T value) : v_(std::move(value)) {} // NOLINT: implicit by design
  Result(Error err) : v_(std::move(err)) {} // NOLINT: implicit by design
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const Error& error() const { return std::get<1>(v_); }

private:
  std::variant<T, Error> v_;
};

template <> class [[nodiscard]] Result<void> {
public:
  Result() = default;
  Result(Error err) : err_(std::move(err)), ok_(false) {} // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return err_; }

private:
  Error err_;
  bool ok_ = true;
};

using Status = Result<void>;

// Propagates an error from an expression returning Result<...>.
#define WEFT_TRY(expr)                                                         \
  do {                                                                         \
    auto weft_try_result_ = (expr);                                            \
    if (!weft_try_result_.ok()) return weft_try_result_.error();               \
  } while (0)

} // namespace weft
