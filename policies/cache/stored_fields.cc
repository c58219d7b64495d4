#include "policies/cache/stored_fields.h"

namespace gatehouse::policies::cache {

StoredFields::StoredFields(const http::HeaderMap& fields) {
  *this = copy_if(fields, [](const http::Header&) { return true; });
}

void StoredFields::reserve(std::size_t fields, std::size_t bytes) {
  spans_.reserve(fields);
  text_.reserve(bytes);
}

void StoredFields::append(std::string_view name, std::string_view value) {
  Span span;
  span.name_at = static_cast<std::uint32_t>(text_.size());
  span.name_size = static_cast<std::uint32_t>(name.size());
  text_.append(name);
  span.value_at = static_cast<std::uint32_t>(text_.size());
  span.value_size = static_cast<std::uint32_t>(value.size());
  text_.append(value);
  spans_.push_back(span);
}

FieldView StoredFields::operator[](std::size_t i) const noexcept {
  const Span& s = spans_[i];
  const std::string_view text(text_);
  return FieldView{text.substr(s.name_at, s.name_size), text.substr(s.value_at, s.value_size)};
}

std::optional<std::string_view> StoredFields::find(std::string_view name) const noexcept {
  const std::string_view text(text_);
  for (const Span& s : spans_) {
    if (http::iequals(text.substr(s.name_at, s.name_size), name)) return text.substr(s.value_at, s.value_size);
  }
  return std::nullopt;
}

void StoredFields::copy_to(http::HeaderMap& out) const {
  out.clear();
  out.reserve(spans_.size());
  for (std::size_t i = 0; i < spans_.size(); ++i) {
    const FieldView f = (*this)[i];
    out.add(f.name, f.value);
  }
}

http::HeaderMap StoredFields::to_map() const {
  http::HeaderMap out;
  copy_to(out);
  return out;
}

StoredFields StoredFields::with(std::string_view name, std::string_view value) const {
  http::HeaderMap map = to_map();
  map.set(name, value);
  return StoredFields(map);
}

}  // namespace gatehouse::policies::cache
