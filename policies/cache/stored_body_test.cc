#include "policies/cache/stored_body.h"

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>

#include "policies/cache/cache_fill.h"
#include "policies/cache/cache_test_support.h"
#include "policies/cache/stored_response.h"

namespace gatehouse::policies::cache {
namespace {

using test_support::fields;
using test_support::t0;

// Appends land in the room as long as they fit, and need no string.
TEST(StoredBodyTest, AppendsFillTheRoomWithoutAllocating) {
  std::array<char, 8> room{};
  StoredBody body;
  body.set_room(room.data(), room.size());
  body.append("abc");
  body.append("");
  body.append("defgh");
  EXPECT_EQ(body.view(), "abcdefgh");
  EXPECT_EQ(body.view().data(), room.data());
  EXPECT_EQ(body.heap_size(), 0u);
}

// More bytes than the room (an upstream that sent more than it announced
// cannot, but a caller may) go on in a string, the room's bytes first.
TEST(StoredBodyTest, BytesPastTheRoomMoveToAStringOfItsOwn) {
  std::array<char, 4> room{};
  StoredBody body;
  body.set_room(room.data(), room.size());
  body.append("abc");
  body.append("defghijklmnopqrstu");
  EXPECT_EQ(body.view(), "abcdefghijklmnopqrstu");
  EXPECT_NE(body.view().data(), room.data());
  EXPECT_GT(body.heap_size(), 0u);
  body.append("v");
  EXPECT_EQ(body.view(), "abcdefghijklmnopqrstuv");
}

// A copy never points into the original's room: it owns its bytes, so it
// outlives the block they were in.
TEST(StoredBodyTest, ACopyOwnsItsBytesOrSharesTheSameOwner) {
  auto room = std::make_unique<std::array<char, 32>>();
  StoredBody body;
  body.set_room(room->data(), room->size());
  body.append("in the block");
  StoredBody copy = body;
  StoredBody assigned;
  assigned.assign("something else");
  assigned = body;
  room.reset();
  EXPECT_EQ(copy.view(), "in the block");
  EXPECT_EQ(assigned.view(), "in the block");

  auto owner = std::make_shared<const std::string>("shared bytes");
  StoredBody shared;
  shared.share(owner, *owner, 1000);
  StoredBody shared_copy = shared;
  EXPECT_EQ(shared_copy.view().data(), owner->data());
  EXPECT_EQ(shared_copy.owner(), owner);
  EXPECT_EQ(shared_copy.heap_size(), 1000u);  // keeping the owner alive is what it costs
}

// A string that grew as it came is given back what it does not need.
TEST(StoredBodyTest, TrimGivesAGrownStringBackItsSlack) {
  std::string text;
  text.reserve(8192);
  text.assign(1000, 'x');
  StoredBody body;
  body.assign(std::move(text));
  EXPECT_GT(body.heap_size(), 8192u);
  body.trim();
  EXPECT_EQ(body.view(), std::string(1000, 'x'));
  EXPECT_LT(body.heap_size(), 1100u);
}

// make_entry() with room for the body: the entry, its header section and
// its body are one block, charged like an entry whose body is a string.
TEST(CacheFillTest, AnEntryOfKnownLengthHoldsItsBodyInItsOwnBlock) {
  const http::HeaderMap response = fields({{"Content-Type", "text/plain"}, {"Content-Length", "100"}});
  const CacheControl cc = response_cache_control(response);
  std::shared_ptr<StoredResponse> entry = make_entry(200, "OK", response, cc, {}, "", {t0(), t0()}, true, 100);
  ASSERT_NE(entry, nullptr);
  const std::string body(100, 'b');
  entry->content.append(std::string_view(body).substr(0, 40));
  entry->content.append(std::string_view(body).substr(40));
  EXPECT_EQ(entry->body(), body);
  EXPECT_EQ(entry->content.heap_size(), 0u);
  // The bytes lie in the block, after the header section.
  const char* block = reinterpret_cast<const char*>(entry.get());
  EXPECT_GT(entry->body().data(), block);
  EXPECT_LT(entry->body().data(), block + sizeof(StoredResponse) + 256);

  std::shared_ptr<StoredResponse> separate = make_entry(200, "OK", response, cc, {}, "", {t0(), t0()}, true);
  separate->content.assign(body);
  EXPECT_NEAR(static_cast<double>(entry->charge()), static_cast<double>(separate->charge()), 48.0);

  // What is sent shares the entry, which keeps the block alive.
  policy::SharedBody sent = shared_body(entry);
  const char* bytes = entry->body().data();
  entry.reset();
  EXPECT_EQ(sent.bytes().data(), bytes);
  EXPECT_EQ(sent.bytes(), body);
}

}  // namespace
}  // namespace gatehouse::policies::cache
