#include "policies/cache/stored_body.h"

#include <cstring>
#include <utility>

#include "policies/cache/stored_fields.h"

namespace gatehouse::policies::cache {

StoredBody::StoredBody(const StoredBody& other)
    : owner_(other.owner_), shared_(other.shared_), owner_charge_(other.owner_charge_) {
  if (!owner_) text_ = std::string(other.view());
}

StoredBody& StoredBody::operator=(const StoredBody& other) {
  if (this == &other) return *this;
  StoredBody copy(other);
  text_ = std::move(copy.text_);
  room_ = nullptr;
  room_capacity_ = room_size_ = 0;
  owner_ = std::move(copy.owner_);
  shared_ = copy.shared_;
  owner_charge_ = copy.owner_charge_;
  return *this;
}

void StoredBody::set_room(char* room, std::size_t capacity) noexcept {
  text_.clear();
  owner_.reset();
  shared_ = {};
  room_ = room;
  room_capacity_ = capacity;
  room_size_ = 0;
}

void StoredBody::append(std::string_view bytes) {
  if (room_ != nullptr) {
    if (bytes.size() <= room_capacity_ - room_size_) {
      if (!bytes.empty()) std::memcpy(room_ + room_size_, bytes.data(), bytes.size());
      room_size_ += bytes.size();
      return;
    }
    text_.reserve(room_size_ + bytes.size());
    text_.assign(room_, room_size_);
    room_ = nullptr;
  }
  text_.append(bytes);
}

void StoredBody::assign(std::string text) {
  text_ = std::move(text);
  room_ = nullptr;
  owner_.reset();
  shared_ = {};
}

void StoredBody::share(std::shared_ptr<const void> owner, std::string_view bytes, std::size_t owner_charge) {
  std::string().swap(text_);
  room_ = nullptr;
  owner_ = std::move(owner);
  shared_ = bytes;
  owner_charge_ = owner_charge;
}

void StoredBody::trim() {
  if (text_.capacity() - text_.size() > text_.size() / 4 + 64) text_.shrink_to_fit();
}

std::size_t StoredBody::heap_size() const noexcept {
  if (owner_) return owner_charge_;
  return string_heap_size(text_);
}

}  // namespace gatehouse::policies::cache
