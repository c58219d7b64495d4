#include "policies/cache/stored_fields.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>

#include "proxy/common/short_bytes.h"

namespace gatehouse::policies::cache {

std::size_t heap_block_size(std::size_t requested) noexcept {
  return requested == 0 ? 0 : std::max<std::size_t>(32, (requested + 8 + 15) & ~std::size_t{15});
}

std::size_t string_heap_size(const std::string& s) noexcept {
  return s.capacity() > 15 ? heap_block_size(s.capacity() + 1) : 0;
}

std::size_t StoredFields::heap_size() const noexcept { return owned_ ? heap_block_size(allocated_) : 0; }

StoredFields::StoredFields(StoredFields&& other) noexcept
    : owned_(std::move(other.owned_)),
      data_(std::exchange(other.data_, nullptr)),
      count_(std::exchange(other.count_, 0)),
      text_at_(std::exchange(other.text_at_, 0)),
      text_size_(std::exchange(other.text_size_, 0)),
      allocated_(std::exchange(other.allocated_, 0)) {}

StoredFields& StoredFields::operator=(StoredFields&& other) noexcept {
  if (this == &other) return *this;
  owned_ = std::move(other.owned_);
  data_ = std::exchange(other.data_, nullptr);
  count_ = std::exchange(other.count_, 0);
  text_at_ = std::exchange(other.text_at_, 0);
  text_size_ = std::exchange(other.text_size_, 0);
  allocated_ = std::exchange(other.allocated_, 0);
  return *this;
}

StoredFields StoredFields::copy_except_into(char* storage, const http::HeaderMap& fields, std::uint64_t skip,
                                            std::size_t kept, std::size_t text) {
  StoredFields out;
  out.data_ = storage;
  out.text_at_ = static_cast<std::uint32_t>(kept * sizeof(Span));
  out.allocated_ = static_cast<std::uint32_t>(storage_size(kept, text));
  char* const spans = storage;
  char* const text_start = storage + out.text_at_;
  std::uint32_t at = 0;
  std::uint32_t count = 0;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i < 64 && ((skip >> i) & 1) != 0) continue;
    const http::Header& h = fields[i];
    const auto name_size = static_cast<std::uint32_t>(h.name.size());
    const auto value_size = static_cast<std::uint32_t>(h.value.size());
    const Span span{.name_at = at, .name_size = name_size, .value_at = at + name_size, .value_size = value_size};
    std::memcpy(spans + count * sizeof(Span), &span, sizeof(Span));
    copy_short_bytes(text_start + at, h.name.data(), name_size);
    copy_short_bytes(text_start + at + name_size, h.value.data(), value_size);
    at += name_size + value_size;
    ++count;
  }
  out.count_ = count;
  out.text_size_ = at;
  return out;
}

StoredFields::StoredFields(const http::HeaderMap& fields) {
  *this = copy_if(fields, [](const http::Header&) { return true; });
}

StoredFields::StoredFields(const StoredFields& other) { *this = other; }

StoredFields& StoredFields::operator=(const StoredFields& other) {
  if (this == &other) return *this;
  allocate(other.count_, other.text_size_);
  if (other.count_ == 0) return *this;
  std::memcpy(data_, other.data_, other.count_ * sizeof(Span));
  std::memcpy(data_ + text_at_, other.text(), other.text_size_);
  count_ = other.count_;
  text_size_ = other.text_size_;
  return *this;
}

void StoredFields::allocate(std::size_t fields, std::size_t bytes) {
  count_ = 0;
  text_size_ = 0;
  text_at_ = static_cast<std::uint32_t>(fields * sizeof(Span));
  const std::size_t total = text_at_ + bytes;
  allocated_ = static_cast<std::uint32_t>(total);
  owned_ = total == 0 ? nullptr : std::unique_ptr<char[]>(new char[total]);
  data_ = owned_.get();
}

StoredFields::Span StoredFields::span(std::size_t i) const noexcept {
  Span s;
  std::memcpy(&s, data_ + i * sizeof(Span), sizeof(Span));
  return s;
}

FieldView StoredFields::operator[](std::size_t i) const noexcept {
  const Span s = span(i);
  const std::string_view all(text(), text_size_);
  return FieldView{all.substr(s.name_at, s.name_size), all.substr(s.value_at, s.value_size)};
}

std::optional<std::string_view> StoredFields::find(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < count_; ++i) {
    const FieldView f = (*this)[i];
    if (http::iequals(f.name, name)) return f.value;
  }
  return std::nullopt;
}

void StoredFields::copy_to(http::HeaderMap& out) const {
  out.clear();
  out.reserve(count_);
  for (std::size_t i = 0; i < count_; ++i) {
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
