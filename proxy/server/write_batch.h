#pragma once
// The gather list of one socket write: views of caller-owned bytes plus
// small framing pieces (chunk sizes) that the batch owns. Views must stay
// valid until the write completes; owned pieces live in the batch.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/buffer.hpp>

namespace gatehouse {

class WriteBatch {
 public:
  void clear() noexcept {
    owned_.clear();
    pieces_.clear();
    buffers_.clear();
  }
  bool empty() const noexcept { return pieces_.empty(); }

  // Bytes owned elsewhere (a head buffer, body bytes in a read buffer).
  void add_view(std::string_view bytes);
  // A copy kept in the batch.
  void add_copy(std::string_view bytes);
  // Body bytes, wrapped in chunked framing when `chunked`.
  void add_body(std::string_view bytes, bool chunked);
  // The terminating zero-size chunk.
  void add_last_chunk();

  // Appends every piece's bytes, in order, to `out`.
  void append_to(std::string& out) const;

  // The buffers to hand to async_write; valid until the next change. A view,
  // not the vector: asio copies the sequence into its write operation, and a
  // vector's copy would allocate on every write.
  std::span<const boost::asio::const_buffer> buffers();

 private:
  struct Piece {
    const char* data;    // null for an owned piece
    std::size_t offset;  // into owned_ for an owned piece
    std::size_t size;
  };
  std::string owned_;
  std::vector<Piece> pieces_;
  std::vector<boost::asio::const_buffer> buffers_;
};

}  // namespace gatehouse
