#pragma once
// The chat's rooms: who is in which room, and fan-out of one message to
// everyone in it (GET /ws/chat?room=R, see chat_handlers.h).
//
// Contract: single-threaded, used only on the API's io_context thread. The
// hub holds members weakly: a member that dies without leave() is skipped
// and forgotten at the next broadcast. Events are JSON text frames:
//   {"type":"join","room":R,"user":U,"members":N}
//   {"type":"leave","room":R,"user":U,"members":N}
//   {"type":"message","room":R,"user":U,"text":T}
// A join is sent to every member including the one joining (so a client
// knows it is in); a leave to those who remain.

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::api {

// Something that can take an event: a WebSocket session.
class ChatMember {
 public:
  virtual ~ChatMember() = default;
  // Queues one text frame; never blocks, may drop the member if it is too slow.
  virtual void deliver(std::shared_ptr<const std::string> frame) = 0;
};

class ChatHub {
 public:
  void join(const std::string& room, const std::string& user, const std::shared_ptr<ChatMember>& member);
  // Removes `member` (a no-op when it is not in `room`).
  void leave(const std::string& room, const std::string& user, const ChatMember* member);
  void say(const std::string& room, const std::string& user, std::string_view text);

  std::size_t members(const std::string& room) const;

 private:
  void broadcast(const std::string& room, const std::string& frame);

  std::map<std::string, std::vector<std::weak_ptr<ChatMember>>, std::less<>> rooms_;
};

}  // namespace gatehouse::api
