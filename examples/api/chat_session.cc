#include "examples/api/chat_session.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "proxy/common/log.h"

namespace gatehouse::api {
namespace {

namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;

class ChatSession final : public ChatMember, public std::enable_shared_from_this<ChatSession> {
 public:
  ChatSession(tcp::socket socket, std::shared_ptr<ChatHub> hub, ChatSessionOptions options)
      : ws_(std::move(socket)), hub_(std::move(hub)), options_(std::move(options)) {}

  void start(std::string request_text) {
    // Pings on idle and a handshake/close timeout, as Beast suggests for servers.
    ws_.set_option(websocket::stream_base::timeout::suggested(boost::beast::role_type::server));
    ws_.read_message_max(options_.max_message_bytes);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& response) { response.set(boost::beast::http::field::server, "gatehouse-api"); }));
    // Beast copies the buffer before returning; bytes after the request
    // (early frames) stay in its read buffer.
    ws_.async_accept(boost::asio::buffer(request_text),
                     [self = shared_from_this()](const boost::system::error_code& ec) { self->on_accept(ec); });
  }

  void deliver(std::shared_ptr<const std::string> frame) override {
    if (closing_) return;
    if (queue_.size() >= kMaxQueuedFrames) {
      log_info("chat: dropping a client that fell behind in room " + options_.room);
      closing_ = true;
      boost::system::error_code ignored;
      ws_.next_layer().shutdown(tcp::socket::shutdown_both, ignored);  // the read loop then ends
      return;
    }
    queue_.push_back(std::move(frame));
    if (queue_.size() == 1) write_next();
  }

 private:
  void on_accept(const boost::system::error_code& ec) {
    if (ec) return;  // not a valid handshake: Beast has answered it already
    joined_ = true;
    hub_->join(options_.room, options_.user, shared_from_this());
    read_next();
  }

  void read_next() {
    ws_.async_read(buffer_, [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(const boost::system::error_code& ec) {
    if (ec) {
      leave();
      return;
    }
    if (ws_.got_text()) {
      hub_->say(options_.room, options_.user, boost::beast::buffers_to_string(buffer_.data()));
    }
    // Binary frames have no meaning in this chat; they are read and ignored.
    buffer_.consume(buffer_.size());
    read_next();
  }

  void write_next() {
    ws_.text(true);
    ws_.async_write(boost::asio::buffer(*queue_.front()),
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      self->on_written(ec);
                    });
  }

  void on_written(const boost::system::error_code& ec) {
    if (ec) {
      queue_.clear();
      closing_ = true;
      return;  // the read loop notices the broken connection and leaves
    }
    queue_.pop_front();
    if (!queue_.empty()) write_next();
  }

  void leave() {
    closing_ = true;
    if (!joined_) return;
    joined_ = false;
    hub_->leave(options_.room, options_.user, this);
  }

  websocket::stream<tcp::socket> ws_;
  std::shared_ptr<ChatHub> hub_;
  ChatSessionOptions options_;
  boost::beast::flat_buffer buffer_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  bool joined_ = false;
  bool closing_ = false;
};

}  // namespace

void start_chat_session(tcp::socket socket, std::string request_text, std::shared_ptr<ChatHub> hub,
                        ChatSessionOptions options) {
  auto session = std::make_shared<ChatSession>(std::move(socket), std::move(hub), std::move(options));
  session->start(std::move(request_text));
}

}  // namespace gatehouse::api
