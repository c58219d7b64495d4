// The chat hub's fan-out rules (examples/api/chat_hub.h): who receives
// joins, messages and leaves, and members that die without leaving.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "examples/api/chat_hub.h"

namespace gatehouse::api {
namespace {

class RecordingMember final : public ChatMember {
 public:
  void deliver(std::shared_ptr<const std::string> frame) override { frames.push_back(*frame); }
  std::vector<std::string> frames;
};

TEST(ChatHub, JoinReachesEveryoneIncludingTheNewcomer) {
  ChatHub hub;
  auto a = std::make_shared<RecordingMember>();
  auto b = std::make_shared<RecordingMember>();
  hub.join("r", "a", a);
  hub.join("r", "b", b);
  ASSERT_EQ(a->frames.size(), 2u);
  EXPECT_EQ(a->frames[1], R"({"type":"join","room":"r","user":"b","members":2})");
  ASSERT_EQ(b->frames.size(), 1u);
  EXPECT_EQ(b->frames[0], a->frames[1]);
  EXPECT_EQ(hub.members("r"), 2u);
}

TEST(ChatHub, MessagesStayInTheirRoom) {
  ChatHub hub;
  auto a = std::make_shared<RecordingMember>();
  auto b = std::make_shared<RecordingMember>();
  hub.join("one", "a", a);
  hub.join("two", "b", b);
  hub.say("one", "a", "hi \"there\"");
  ASSERT_EQ(a->frames.size(), 2u);
  EXPECT_EQ(a->frames[1], R"({"type":"message","room":"one","user":"a","text":"hi \"there\""})");
  EXPECT_EQ(b->frames.size(), 1u);  // its own join only
}

TEST(ChatHub, LeaveTellsThoseWhoRemainAndEmptyRoomsGo) {
  ChatHub hub;
  auto a = std::make_shared<RecordingMember>();
  auto b = std::make_shared<RecordingMember>();
  hub.join("r", "a", a);
  hub.join("r", "b", b);
  hub.leave("r", "b", b.get());
  EXPECT_EQ(a->frames.back(), R"({"type":"leave","room":"r","user":"b","members":1})");
  EXPECT_EQ(b->frames.size(), 1u);
  hub.leave("r", "b", b.get());  // twice: nothing more
  EXPECT_EQ(a->frames.size(), 3u);
  hub.leave("r", "a", a.get());
  EXPECT_EQ(hub.members("r"), 0u);
}

TEST(ChatHub, DeadMembersAreSkipped) {
  ChatHub hub;
  auto a = std::make_shared<RecordingMember>();
  hub.join("r", "a", a);
  {
    auto gone = std::make_shared<RecordingMember>();
    hub.join("r", "gone", gone);
  }
  hub.say("r", "a", "x");  // must not touch the dead member
  EXPECT_EQ(a->frames.back(), R"({"type":"message","room":"r","user":"a","text":"x"})");
  auto c = std::make_shared<RecordingMember>();
  hub.join("r", "c", c);  // joining prunes the dead one from the count
  EXPECT_EQ(c->frames[0], R"({"type":"join","room":"r","user":"c","members":2})");
}

}  // namespace
}  // namespace gatehouse::api
