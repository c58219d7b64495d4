#pragma once
// The header section of a stored response, kept compactly: every name and
// value in one buffer plus one array of offsets, so an entry costs two
// allocations however many fields it has (an http::HeaderMap costs one per
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
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/http/header_map.h"

namespace gatehouse::policies::cache {

struct FieldView {
  std::string_view name;
  std::string_view value;
};

class StoredFields {
 public:
  StoredFields() = default;
  // Every field of `fields`, in order. Implicit: a stored section is
  // naturally made from a parsed one.
  StoredFields(const http::HeaderMap& fields);  // NOLINT(google-explicit-constructor)

  // The fields of `fields` for which keep(header) is true, in order.
  template <typename Keep>
  static StoredFields copy_if(const http::HeaderMap& fields, Keep keep) {
    // Room for all of them (a few bytes too many beats judging each field
    // twice), then one pass.
    StoredFields out;
    std::size_t bytes = 0;
    for (const http::Header& h : fields) bytes += h.name.size() + h.value.size();
    out.reserve(fields.size(), bytes);
    for (const http::Header& h : fields) {
      if (keep(h)) out.append(h.name, h.value);
    }
    return out;
  }

  std::size_t size() const noexcept { return spans_.size(); }
  bool empty() const noexcept { return spans_.empty(); }
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
  std::size_t text_size() const noexcept { return text_.size(); }

 private:
  struct Span {
    std::uint32_t name_at;
    std::uint32_t name_size;
    std::uint32_t value_at;
    std::uint32_t value_size;
  };
  void reserve(std::size_t fields, std::size_t bytes);
  void append(std::string_view name, std::string_view value);

  std::string text_;
  std::vector<Span> spans_;
};

}  // namespace gatehouse::policies::cache
