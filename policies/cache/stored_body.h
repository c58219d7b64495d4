#pragma once
// The content of a stored response. Its bytes lie in one of three places:
//  - the entry's own block: a fill that knew the length (Content-Length)
//    gets room for it there (make_entry()) and append()s into it as the body
//    streams in, so an entry is one allocation, freed and evicted as one;
//  - a string of its own: a body of unknown length, one assigned whole, or
//    one longer than the room it was given;
//  - another entry's block: a copy refreshed by a 304 shares its original's
//    bytes (share()) and keeps that entry alive instead of copying them.
//
// Contract: filled on one thread before its entry is shared, const after.
// A copy never points into another entry's block: it owns a copy of the
// bytes, or shares the same owner. Moving is copying (a body in a block
// cannot leave it).

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace gatehouse::policies::cache {

class StoredBody {
 public:
  StoredBody() = default;
  StoredBody(const StoredBody& other);
  StoredBody& operator=(const StoredBody& other);
  ~StoredBody() = default;

  // Room for `capacity` bytes at `room`, which outlives this body (the
  // entry's block): append() writes there while the bytes fit. Forgets what
  // was appended before.
  void set_room(char* room, std::size_t capacity) noexcept;
  // Adds `bytes` at the end: in the room while they fit; past it (more than
  // the length announced), in a string of its own, the room's bytes first.
  void append(std::string_view bytes);
  // The content becomes `text`, owned.
  void assign(std::string text);
  // The content becomes `bytes`, which `owner` keeps valid; `owner_charge`
  // is what keeping `owner` alive costs the store (StoredResponse::charge()).
  void share(std::shared_ptr<const void> owner, std::string_view bytes, std::size_t owner_charge);
  // Gives an own string that grew as it came (up to twice its size) back
  // what it does not need: stored entries live long.
  void trim();

  std::string_view view() const noexcept {
    if (owner_) return shared_;
    if (room_ != nullptr) return {room_, room_size_};
    return text_;
  }
  std::size_t size() const noexcept { return view().size(); }
  // Set when the bytes are shared (share()).
  const std::shared_ptr<const void>& owner() const noexcept { return owner_; }
  // The heap this body holds beyond its entry's block: its own string's
  // block, or the charge of the entry it shares.
  std::size_t heap_size() const noexcept;

 private:
  std::string text_;
  char* room_ = nullptr;  // in use when set (and no owner_)
  std::size_t room_capacity_ = 0;
  std::size_t room_size_ = 0;
  std::shared_ptr<const void> owner_;
  std::string_view shared_;
  std::size_t owner_charge_ = 0;
};

}  // namespace gatehouse::policies::cache
