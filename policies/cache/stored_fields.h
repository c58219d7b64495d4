#pragma once
// The header section of a stored response, kept compactly: one allocation
// holds an array of offsets and every name and value after it, however many
// fields there are (an http::HeaderMap costs one per
// field longer than the small-string buffer, each freed again on eviction;
// a stored miss pays for both).
//
// Contract: immutable once built, like the StoredResponse that holds it;
// field order and repeated fields are kept as given; names compare
// case-insensitively (as in HeaderMap). The functions that judge freshness
// and conditionals take an http::HeaderMap: copy_to() fills one (reusing its
// slots' storage) for them.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/http/header_map.h"

namespace gatehouse::policies::cache {

// The bytes malloc takes for a block of `requested` bytes (glibc's size
// header and 16-byte rounding); 0 for none. For charging stored entries what
// they occupy.
std::size_t heap_block_size(std::size_t requested) noexcept;

struct FieldView {
  std::string_view name;
  std::string_view value;
};

class StoredFields {
 public:
  StoredFields() = default;
  StoredFields(const StoredFields& other);
  StoredFields& operator=(const StoredFields& other);
  StoredFields(StoredFields&&) noexcept = default;
  StoredFields& operator=(StoredFields&&) noexcept = default;
  // Every field of `fields`, in order. Implicit: a stored section is
  // naturally made from a parsed one.
  StoredFields(const http::HeaderMap& fields);  // NOLINT(google-explicit-constructor)

  // The fields of `fields` for which keep(header) is true, in order.
  template <typename Keep>
  static StoredFields copy_if(const http::HeaderMap& fields, Keep keep) {
    // Room for all of them (a few bytes too many beats judging each field
    // twice), then one pass.
    std::size_t bytes = 0;
    for (const http::Header& h : fields) bytes += h.name.size() + h.value.size();
    StoredFields out;
    out.allocate(fields.size(), bytes);
    // The cursor in locals: stores through a char* may alias members, which
    // the compiler would otherwise reload after every copy.
    char* const spans = out.data_.get();
    char* const text = spans + out.text_at_;
    std::uint32_t at = 0;
    std::uint32_t count = 0;
    for (const http::Header& h : fields) {
      if (!keep(h)) continue;
      const auto name_size = static_cast<std::uint32_t>(h.name.size());
      const auto value_size = static_cast<std::uint32_t>(h.value.size());
      const Span span{.name_at = at, .name_size = name_size, .value_at = at + name_size, .value_size = value_size};
      std::memcpy(spans + count * sizeof(Span), &span, sizeof(Span));
      std::memcpy(text + at, h.name.data(), name_size);
      std::memcpy(text + at + name_size, h.value.data(), value_size);
      at += name_size + value_size;
      ++count;
    }
    out.count_ = count;
    out.text_size_ = at;
    return out;
  }

  std::size_t size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  FieldView operator[](std::size_t i) const noexcept;

  // The first field called `name`.
  std::optional<std::string_view> find(std::string_view name) const noexcept;
  bool contains(std::string_view name) const noexcept { return find(name).has_value(); }

  // Replaces `out`'s fields by these (out's slots are reused).
  void copy_to(http::HeaderMap& out) const;
  http::HeaderMap to_map() const;

  // A copy where every field called `name` is replaced by one with `value`
  // at the first one's position (appended when there was none).
  StoredFields with(std::string_view name, std::string_view value) const;

  // Bytes of names and values.
  std::size_t text_size() const noexcept { return text_size_; }
  // Bytes allocated for the section (offsets and text; before malloc's own).
  std::size_t allocated() const noexcept { return allocated_; }
  // The heap it occupies, as malloc sizes blocks (heap_block_size()).
  std::size_t heap_size() const noexcept;

 private:
  struct Span {
    std::uint32_t name_at;
    std::uint32_t name_size;
    std::uint32_t value_at;
    std::uint32_t value_size;
  };
  // Room for `fields` spans and `bytes` of text; forgets what was held.
  void allocate(std::size_t fields, std::size_t bytes);
  // Read by copy: the buffer is chars, not Span objects.
  Span span(std::size_t i) const noexcept;
  const char* text() const noexcept { return data_.get() + text_at_; }

  std::unique_ptr<char[]> data_;  // [Span x capacity][text]
  std::uint32_t count_ = 0;
  std::uint32_t text_at_ = 0;    // where the text starts in data_
  std::uint32_t text_size_ = 0;
  std::uint32_t allocated_ = 0;
};

}  // namespace gatehouse::policies::cache
