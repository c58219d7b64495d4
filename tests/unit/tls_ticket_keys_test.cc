// Session ticket key rotation (proxy/tls/ticket_keys.h): when the current key
// changes, how long the previous one is still accepted, and that one ring is
// shared per listener across reloads.
#include <chrono>

#include <gtest/gtest.h>

#include "proxy/tls/ticket_keys.h"

namespace gatehouse::tls {
namespace {

using namespace std::chrono_literals;
using Clock = TicketKeyRing::Clock;

TEST(TicketKeyRing, KeyStaysUntilRotationIsDue) {
  TicketKeyRing ring(100s);
  const Clock::time_point t0 = Clock::now();
  const TicketKeyRing::Key first = ring.current(t0);
  EXPECT_EQ(ring.current(t0 + 99s).name, first.name);
  const TicketKeyRing::Key second = ring.current(t0 + 100s);
  EXPECT_NE(second.name, first.name);
  EXPECT_NE(second.aes, first.aes);
  EXPECT_NE(second.hmac, first.hmac);
}

TEST(TicketKeyRing, PreviousKeyIsAcceptedForOneMorePeriodAndRenewed) {
  TicketKeyRing ring(100s);
  const Clock::time_point t0 = Clock::now();
  const TicketKeyRing::Key first = ring.current(t0);
  bool is_current = false;
  ASSERT_TRUE(ring.find(first.name.data(), is_current, t0 + 10s));
  EXPECT_TRUE(is_current);

  ring.current(t0 + 150s);  // rotates
  std::optional<TicketKeyRing::Key> found = ring.find(first.name.data(), is_current, t0 + 150s);
  ASSERT_TRUE(found);
  EXPECT_FALSE(is_current);  // accepted, and OpenSSL is told to issue a fresh ticket
  EXPECT_EQ(found->aes, first.aes);

  // Two periods after its creation the old key is gone.
  EXPECT_FALSE(ring.find(first.name.data(), is_current, t0 + 200s));
}

TEST(TicketKeyRing, UnknownNameIsRefused) {
  TicketKeyRing ring(100s);
  ring.current();
  unsigned char name[TicketKeyRing::kNameSize] = {1, 2, 3};
  bool is_current = true;
  EXPECT_FALSE(ring.find(name, is_current));
}

TEST(TicketKeyRing, LongIdleRingForgetsBothKeys) {
  TicketKeyRing ring(100s);
  const Clock::time_point t0 = Clock::now();
  const TicketKeyRing::Key first = ring.current(t0);
  bool is_current = false;
  // Nobody handshook for three periods: the key rotates out entirely.
  EXPECT_FALSE(ring.find(first.name.data(), is_current, t0 + 300s));
}

TEST(TicketKeyRings, OneRingPerListenerAcrossReloads) {
  TicketKeyRings rings;
  auto a = rings.for_listener("public", 100s);
  auto again = rings.for_listener("public", 50s);  // a reload with a new rotation
  auto other = rings.for_listener("admin-tls", 100s);
  EXPECT_EQ(a, again);
  EXPECT_NE(a, other);
  const Clock::time_point t0 = Clock::now();
  const TicketKeyRing::Key first = a->current(t0);
  EXPECT_NE(a->current(t0 + 60s).name, first.name);  // the new rotation applies
}

}  // namespace
}  // namespace gatehouse::tls
