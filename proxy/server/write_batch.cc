#include "proxy/server/write_batch.h"

#include "proxy/http/serializer.h"

namespace gatehouse {

void WriteBatch::add_view(std::string_view bytes) {
  if (!bytes.empty()) pieces_.push_back({bytes.data(), 0, bytes.size()});
}

void WriteBatch::add_copy(std::string_view bytes) {
  pieces_.push_back({nullptr, owned_.size(), bytes.size()});
  owned_.append(bytes);
}

void WriteBatch::add_body(std::string_view bytes, bool chunked) {
  if (bytes.empty()) return;
  if (!chunked) {
    add_view(bytes);
    return;
  }
  std::size_t offset = owned_.size();
  http::append_chunk_size(owned_, bytes.size());
  pieces_.push_back({nullptr, offset, owned_.size() - offset});
  add_view(bytes);
  add_view(http::kCrlf);
}

void WriteBatch::add_last_chunk() { add_view(http::kLastChunk); }

void WriteBatch::append_to(std::string& out) const {
  for (const Piece& p : pieces_) out.append(p.data != nullptr ? p.data : owned_.data() + p.offset, p.size);
}

std::span<const boost::asio::const_buffer> WriteBatch::buffers() {
  buffers_.clear();
  for (const Piece& p : pieces_) {
    const char* data = p.data != nullptr ? p.data : owned_.data() + p.offset;
    buffers_.emplace_back(data, p.size);
  }
  return buffers_;
}

}  // namespace gatehouse
