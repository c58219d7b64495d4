#pragma once
// An ordered list of HTTP header fields with case-insensitive lookup.
//
// Contract: field order is preserved (it matters for repeated fields);
// names compare case-insensitively; the map never validates names or values
// (the codec does that at the edge). Slots are reused across clear() so a
// keep-alive connection parsing header after header stops allocating.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::http {

struct Header {
  std::string name;
  std::string value;
};

// ASCII case-insensitive equality (header names and tokens are ASCII).
// Inline: most calls are decided by the length check.
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x == y) continue;
    if ((x | 0x20) != (y | 0x20)) return false;
    char lx = static_cast<char>(x | 0x20);
    if (lx < 'a' || lx > 'z') return false;  // only letters fold
  }
  return true;
}

// True when the comma-separated list `list` contains `token`, compared
// case-insensitively with optional whitespace around elements.
bool list_contains_token(std::string_view list, std::string_view token) noexcept;

class HeaderMap {
 public:
  using iterator = std::vector<Header>::iterator;
  using const_iterator = std::vector<Header>::const_iterator;

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  const Header& operator[](std::size_t i) const { return slots_[i]; }
  Header& operator[](std::size_t i) { return slots_[i]; }
  iterator begin() noexcept { return slots_.begin(); }
  iterator end() noexcept { return slots_.begin() + static_cast<std::ptrdiff_t>(size_); }
  const_iterator begin() const noexcept { return slots_.begin(); }
  const_iterator end() const noexcept { return slots_.begin() + static_cast<std::ptrdiff_t>(size_); }

  // Forgets every field but keeps the slots' storage for reuse.
  void clear() noexcept { size_ = 0; }

  // Room for `n` fields without growing (a map built from another's fields).
  void reserve(std::size_t n) { slots_.reserve(n); }
  // Slots made so far (each keeps its strings' capacity across clear()).
  std::size_t slot_count() const noexcept { return slots_.size(); }

  // Appends a field (duplicates allowed) and returns it.
  Header& add(std::string_view name, std::string_view value);

  // Appends an empty field, for a parser that fills it piece by piece.
  Header& add_empty();

  // Replaces every field called `name` by one field with `value`, keeping the
  // position of the first one (or appending when there was none).
  void set(std::string_view name, std::string_view value);

  // Removes every field called `name`; returns how many were removed.
  std::size_t remove(std::string_view name);

  // Removes every field for which pred(header) is true.
  template <typename Pred>
  std::size_t remove_if(Pred pred) {
    std::size_t kept = 0;
    for (std::size_t i = 0; i < size_; ++i) {
      if (pred(static_cast<const Header&>(slots_[i]))) continue;
      if (kept != i) std::swap(slots_[kept], slots_[i]);
      ++kept;
    }
    std::size_t removed = size_ - kept;
    size_ = kept;
    return removed;
  }

  // The first field called `name`, or nullptr.
  const std::string* find(std::string_view name) const noexcept;
  std::string* find(std::string_view name) noexcept;
  bool contains(std::string_view name) const noexcept { return find(name) != nullptr; }
  std::size_t count(std::string_view name) const noexcept;

 private:
  std::vector<Header> slots_;
  std::size_t size_ = 0;
};

}  // namespace gatehouse::http
