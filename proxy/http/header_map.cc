#include "proxy/http/header_map.h"

#include <cstring>

namespace gatehouse::http {
namespace {

inline bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

// `s` = `v`. A reused slot usually gets a field no longer than last time
// (often the same one): then the bytes are moved over the old ones and the
// length stored, where assign() takes its general path for every field.
// memmove before the resize: `v` may view `s` itself, and the resize
// writes the terminator into it.
inline void assign_in_place(std::string& s, std::string_view v) {
  if (v.size() > s.size()) {
    s.assign(v);
    return;
  }
  if (!v.empty()) std::memmove(s.data(), v.data(), v.size());
  s.resize(v.size());
}

}  // namespace

bool list_contains_token(std::string_view list, std::string_view token) noexcept {
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view element = list.substr(0, comma);
    while (!element.empty() && is_ows(element.front())) element.remove_prefix(1);
    while (!element.empty() && is_ows(element.back())) element.remove_suffix(1);
    if (iequals(element, token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

Header& HeaderMap::add_empty() {
  if (size_ == slots_.size()) slots_.emplace_back();
  Header& h = slots_[size_++];
  h.name.clear();
  h.value.clear();
  return h;
}

Header& HeaderMap::add(std::string_view name, std::string_view value) {
  if (size_ == slots_.size()) {
    // A new slot: constructing the strings is cheaper than assigning them.
    slots_.push_back(Header{std::string(name), std::string(value)});
    return slots_[size_++];
  }
  Header& h = slots_[size_++];
  assign_in_place(h.name, name);
  assign_in_place(h.value, value);
  return h;
}

void HeaderMap::set(std::string_view name, std::string_view value) {
  std::size_t first = 0;
  while (first < size_ && !iequals(slots_[first].name, name)) ++first;
  if (first == size_) {
    add(name, value);
    return;
  }
  slots_[first].value.assign(value);
  bool more = false;
  for (std::size_t i = first + 1; i < size_ && !more; ++i) more = iequals(slots_[i].name, name);
  if (!more) return;
  std::size_t seen = 0;
  remove_if([&](const Header& h) { return iequals(h.name, name) && seen++ > 0; });
}

std::size_t HeaderMap::remove(std::string_view name) {
  return remove_if([&](const Header& h) { return iequals(h.name, name); });
}

const std::string* HeaderMap::find(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < size_; ++i) {
    if (iequals(slots_[i].name, name)) return &slots_[i].value;
  }
  return nullptr;
}

std::string* HeaderMap::find(std::string_view name) noexcept {
  for (std::size_t i = 0; i < size_; ++i) {
    if (iequals(slots_[i].name, name)) return &slots_[i].value;
  }
  return nullptr;
}

std::size_t HeaderMap::count(std::string_view name) const noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < size_; ++i) n += iequals(slots_[i].name, name) ? 1 : 0;
  return n;
}

}  // namespace gatehouse::http
