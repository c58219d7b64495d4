#include "proxy/common/deadline.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace gatehouse {
namespace {

using namespace std::chrono_literals;

struct Recorder : DeadlineListener {
  std::vector<int> fired;
  void on_deadline(int tag) override { fired.push_back(tag); }
};

TEST(DeadlineTest, FiresOnceAfterTheTimeout) {
  boost::asio::io_context io;
  auto owner = std::make_shared<Recorder>();
  Deadline d(io.get_executor(), 7);
  d.arm(10ms, owner);
  io.run();
  EXPECT_EQ(owner->fired, std::vector<int>{7});
  EXPECT_FALSE(d.armed());
}

TEST(DeadlineTest, ReArmingLaterPostponesTheExpiry) {
  boost::asio::io_context io;
  auto owner = std::make_shared<Recorder>();
  Deadline d(io.get_executor(), 1);
  d.arm(20ms, owner);
  boost::asio::steady_timer probe(io, 10ms);
  bool fired_before_rearm_expiry = false;
  auto start = Deadline::Clock::now();
  probe.async_wait([&](const boost::system::error_code&) { d.arm(60ms, owner); });
  io.run();
  auto elapsed = Deadline::Clock::now() - start;
  fired_before_rearm_expiry = elapsed < 65ms;
  EXPECT_EQ(owner->fired.size(), 1u);
  EXPECT_FALSE(fired_before_rearm_expiry);
}

TEST(DeadlineTest, ReArmingEarlierIsHonoured) {
  boost::asio::io_context io;
  auto owner = std::make_shared<Recorder>();
  Deadline d(io.get_executor(), 1);
  auto start = Deadline::Clock::now();
  d.arm(10s, owner);
  d.arm(10ms, owner);
  io.run();
  EXPECT_EQ(owner->fired.size(), 1u);
  EXPECT_LT(Deadline::Clock::now() - start, 5s);
}

TEST(DeadlineTest, DisarmedDeadlineNeverFires) {
  boost::asio::io_context io;
  auto owner = std::make_shared<Recorder>();
  Deadline d(io.get_executor(), 1);
  d.arm(10ms, owner);
  d.disarm();
  io.run();
  EXPECT_TRUE(owner->fired.empty());
}

TEST(DeadlineTest, CancelReleasesTheOwnerAtOnce) {
  boost::asio::io_context io;
  auto owner = std::make_shared<Recorder>();
  std::weak_ptr<Recorder> weak = owner;
  Deadline d(io.get_executor(), 1);
  d.arm(1h, owner);
  owner.reset();
  EXPECT_FALSE(weak.expired());  // the pending wait holds it
  d.cancel();
  io.run();  // the aborted wait completes and lets go
  EXPECT_TRUE(weak.expired());
}

}  // namespace
}  // namespace gatehouse
