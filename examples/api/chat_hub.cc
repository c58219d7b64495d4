#include "examples/api/chat_hub.h"

#include <algorithm>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace gatehouse::api {
namespace {

std::string event(std::string_view type, const std::string& room, const std::string& user,
                  std::size_t members) {
  return boost::json::serialize(boost::json::object{
      {"type", type}, {"room", room}, {"user", user}, {"members", members}});
}

}  // namespace

void ChatHub::join(const std::string& room, const std::string& user, const std::shared_ptr<ChatMember>& member) {
  std::vector<std::weak_ptr<ChatMember>>& list = rooms_[room];
  std::erase_if(list, [](const std::weak_ptr<ChatMember>& m) { return m.expired(); });
  list.push_back(member);
  broadcast(room, event("join", room, user, list.size()));
}

void ChatHub::leave(const std::string& room, const std::string& user, const ChatMember* member) {
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return;
  std::vector<std::weak_ptr<ChatMember>>& list = it->second;
  const std::size_t before = list.size();
  // An expired pointer may be `member` itself (leave runs from its destructor).
  std::erase_if(list, [member](const std::weak_ptr<ChatMember>& m) {
    std::shared_ptr<ChatMember> alive = m.lock();
    return !alive || alive.get() == member;
  });
  if (list.empty()) {
    rooms_.erase(it);
    return;
  }
  if (list.size() != before) broadcast(room, event("leave", room, user, list.size()));
}

void ChatHub::say(const std::string& room, const std::string& user, std::string_view text) {
  broadcast(room, boost::json::serialize(
                      boost::json::object{{"type", "message"}, {"room", room}, {"user", user}, {"text", text}}));
}

std::size_t ChatHub::members(const std::string& room) const {
  auto it = rooms_.find(room);
  return it == rooms_.end() ? 0 : it->second.size();
}

void ChatHub::broadcast(const std::string& room, const std::string& frame) {
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return;
  auto shared = std::make_shared<const std::string>(frame);
  // Copy first: deliver() may drop a slow member, which leaves the room.
  std::vector<std::shared_ptr<ChatMember>> targets;
  for (const std::weak_ptr<ChatMember>& m : it->second) {
    if (std::shared_ptr<ChatMember> alive = m.lock()) targets.push_back(std::move(alive));
  }
  for (const std::shared_ptr<ChatMember>& m : targets) m->deliver(shared);
}

}  // namespace gatehouse::api
