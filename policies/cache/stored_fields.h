#pragma once
// The header section of a stored response, kept compactly: one block holds
// an array of offsets and every name and value after it, however many
// fields there are (an http::HeaderMap costs one allocation per field longer
// than the small-string buffer, each freed again on eviction). The block is
// its own allocation, or (copy_if_into) part of the StoredResponse's.
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
// A string's heap block, if it has one (0 for the small-string buffer).
std::size_t string_heap_size(const std::string& s) noexcept;

struct FieldView {
  std::string_view name;
  std::string_view value;
};

class StoredFields {
 public:
  StoredFields() = default;
  StoredFields(const StoredFields& other);
  StoredFields& operator=(const StoredFields& other);
  StoredFields(StoredFields&& other) noexcept;
  StoredFields& operator=(StoredFields&& other) noexcept;
  // Every field of `fields`, in order. Implicit: a stored section is
  // naturally made from a parsed one.
  StoredFields(const http::HeaderMap& fields);  // NOLINT(google-explicit-constructor)

  // The fields of `fields` for which keep(header) is true, in order.
  template <typename Keep>
  static StoredFields copy_if(const http::HeaderMap& fields, Keep keep) {
    // Room for all of them (a few bytes too many beats judging each field
    // twice), then one pass.
    StoredFields out;
    out.allocate(fields.size(), text_bytes(fields));
    out.fill_if(fields, keep);
    return out;
  }

  // The bytes copy_if_into() needs for any selection of `fields`.
  static std::size_t storage_size(const http::HeaderMap& fields) noexcept {
    return fields.size() * sizeof(Span) + text_bytes(fields);
  }
  // copy_if() into `storage` (storage_size(fields) bytes, which the caller
  // owns and keeps alive as long as the result and never moves: the bytes
  // of the StoredResponse that holds the result, allocated with it). A copy
  // of the result owns its own bytes.
  template <typename Keep>
  static StoredFields copy_if_into(char* storage, const http::HeaderMap& fields, Keep keep) {
    StoredFields out;
    out.data_ = storage;
    out.text_at_ = static_cast<std::uint32_t>(fields.size() * sizeof(Span));
    out.allocated_ = static_cast<std::uint32_t>(storage_size(fields));
    out.fill_if(fields, keep);
    return out;
  }
  // The bytes copy_except_into() needs for `fields` fields whose names and
  // values take `text` bytes.
  static std::size_t storage_size(std::size_t fields, std::size_t text) noexcept {
    return fields * sizeof(Span) + text;
  }
  // The fields of `fields` whose bit in `skip` is clear, in order, into
  // `storage` (as for copy_if_into()), which is storage_size(kept, text)
  // bytes for the `kept` fields so selected and their `text` bytes. For a
  // section of at most 64 fields.
  static StoredFields copy_except_into(char* storage, const http::HeaderMap& fields, std::uint64_t skip,
                                       std::size_t kept, std::size_t text);
  // Whether the bytes are this object's own (not copy_if_into()'s storage).
  bool owns_storage() const noexcept { return owned_ != nullptr; }

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
  // The heap it occupies, as malloc sizes blocks (heap_block_size()); 0
  // for copy_if_into()'s storage, which its owner accounts for.
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
  // Bytes of every field's name and value.
  static std::size_t text_bytes(const http::HeaderMap& fields) noexcept {
    std::size_t bytes = 0;
    for (const http::Header& h : fields) bytes += h.name.size() + h.value.size();
    return bytes;
  }
  // Writes the kept fields into data_, which has room for all of `fields`.
  template <typename Keep>
  void fill_if(const http::HeaderMap& fields, Keep keep) {
    // The cursor in locals: stores through a char* may alias members, which
    // the compiler would otherwise reload after every copy.
    char* const spans = data_;
    char* const text = spans + text_at_;
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
    count_ = count;
    text_size_ = at;
  }

  // Read by copy: the buffer is chars, not Span objects.
  Span span(std::size_t i) const noexcept;
  const char* text() const noexcept { return data_ + text_at_; }

  std::unique_ptr<char[]> owned_;  // data_'s bytes when they are this object's
  char* data_ = nullptr;           // [Span x capacity][text]
  std::uint32_t count_ = 0;
  std::uint32_t text_at_ = 0;    // where the text starts in data_
  std::uint32_t text_size_ = 0;
  std::uint32_t allocated_ = 0;
};

}  // namespace gatehouse::policies::cache
