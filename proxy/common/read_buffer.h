#pragma once
// A fixed-size receive buffer with a window of unparsed bytes: the socket
// reads into free_space(), the parser consumes from pending(). Views into
// pending() stay valid until compact() (which the next read calls).

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace gatehouse {

class ReadBuffer {
 public:
  explicit ReadBuffer(std::size_t capacity) : data_(new char[capacity]), capacity_(capacity) {}

  std::string_view pending() const noexcept { return {data_.get() + begin_, end_ - begin_}; }
  bool empty() const noexcept { return begin_ == end_; }
  void consume(std::size_t n) noexcept { begin_ += n; }
  // Forget every byte (they were all parsed and are no longer referenced).
  void clear() noexcept { begin_ = end_ = 0; }

  char* free_space() noexcept { return data_.get() + end_; }
  std::size_t free_size() const noexcept { return capacity_ - end_; }
  void commit(std::size_t n) noexcept { end_ += n; }

  // Moves unparsed bytes to the front, making room for the next read.
  void compact() noexcept {
    if (begin_ == end_) {
      begin_ = end_ = 0;
    } else if (begin_ > 0) {
      std::memmove(data_.get(), data_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
  }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t capacity_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace gatehouse
