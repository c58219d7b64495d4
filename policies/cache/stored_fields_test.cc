#include "policies/cache/stored_fields.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace gatehouse::policies::cache {
namespace {

http::HeaderMap sample_fields() {
  http::HeaderMap m;
  m.add("Content-Type", "application/octet-stream");
  m.add("Set-Thing", "a");
  m.add("X-Empty", "");
  m.add("set-thing", "b");
  return m;
}

TEST(StoredFieldsTest, KeepsOrderRepeatsAndEmptyValues) {
  const StoredFields f(sample_fields());
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[0].name, "Content-Type");
  EXPECT_EQ(f[0].value, "application/octet-stream");
  EXPECT_EQ(f[2].name, "X-Empty");
  EXPECT_EQ(f[2].value, "");
  EXPECT_EQ(f[3].name, "set-thing");
  EXPECT_EQ(f[3].value, "b");
  EXPECT_EQ(f.text_size(), std::string("Content-Typeapplication/octet-streamSet-ThingaX-Emptyset-thingb").size());
}

TEST(StoredFieldsTest, FindIsCaseInsensitiveAndReturnsTheFirst) {
  const StoredFields f(sample_fields());
  ASSERT_TRUE(f.find("SET-THING").has_value());
  EXPECT_EQ(*f.find("SET-THING"), "a");
  EXPECT_TRUE(f.contains("x-empty"));
  EXPECT_FALSE(f.contains("etag"));
  EXPECT_FALSE(StoredFields().contains("etag"));
}

// Into storage the caller owns (a StoredResponse's own block): the fields
// are read from it, a copy owns its bytes, a move leaves the source empty.
TEST(StoredFieldsTest, CopyIfIntoUsesTheCallersStorageAndCopiesOwnTheirs) {
  const http::HeaderMap fields = sample_fields();
  std::vector<char> storage(StoredFields::storage_size(fields));
  const StoredFields f = StoredFields::copy_if_into(
      storage.data(), fields, [](const http::Header& h) { return !http::iequals(h.name, "x-empty"); });
  EXPECT_FALSE(f.owns_storage());
  EXPECT_EQ(f.heap_size(), 0u);  // its owner accounts for the storage
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[1].value, "a");
  EXPECT_GE(f[1].value.data(), storage.data());
  EXPECT_LT(f[1].value.data(), storage.data() + storage.size());

  StoredFields copy = f;
  EXPECT_TRUE(copy.owns_storage());
  EXPECT_GT(copy.heap_size(), 0u);
  std::fill(storage.begin(), storage.end(), '#');  // the copy does not read it
  EXPECT_EQ(copy[0].name, "Content-Type");
  EXPECT_EQ(copy[2].value, "b");

  StoredFields moved = std::move(copy);
  EXPECT_EQ(moved[2].value, "b");
  EXPECT_EQ(copy.size(), 0u);  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  EXPECT_FALSE(copy.contains("set-thing"));
}

TEST(StoredFieldsTest, CopyIfKeepsOnlyTheChosenFields) {
  const StoredFields f = StoredFields::copy_if(sample_fields(), [](const http::Header& h) {
    return !http::iequals(h.name, "set-thing");
  });
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].name, "Content-Type");
  EXPECT_EQ(f[1].name, "X-Empty");
  EXPECT_EQ(f.text_size(), std::string("Content-Typeapplication/octet-streamX-Empty").size());
}

TEST(StoredFieldsTest, CopyToReplacesWhatTheMapHeld) {
  http::HeaderMap out;
  out.add("Old", "field");
  out.add("Another", "one");
  out.add("Third", "x");
  StoredFields(sample_fields()).copy_to(out);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].name, "Content-Type");
  EXPECT_EQ(out.count("set-thing"), 2u);
  EXPECT_FALSE(out.contains("old"));
  StoredFields().copy_to(out);
  EXPECT_TRUE(out.empty());
}

TEST(StoredFieldsTest, CopiesAreIndependentAndEmptySectionsWork) {
  StoredFields original(sample_fields());
  StoredFields copy = original;
  original = StoredFields();  // the copy owns its own bytes
  ASSERT_EQ(copy.size(), 4u);
  EXPECT_EQ(copy[1].name, "Set-Thing");
  EXPECT_EQ(*copy.find("content-type"), "application/octet-stream");
  EXPECT_TRUE(original.empty());
  EXPECT_FALSE(original.find("content-type").has_value());
  StoredFields moved = std::move(copy);
  EXPECT_EQ(moved.size(), 4u);
  const StoredFields none(http::HeaderMap{});
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.text_size(), 0u);
  StoredFields assigned;
  assigned = none;
  EXPECT_TRUE(assigned.empty());
}

TEST(StoredFieldsTest, WithReplacesEveryLineOfTheNameAtTheFirstPosition) {
  const StoredFields f = StoredFields(sample_fields()).with("SET-THING", "c");
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[1].value, "c");
  EXPECT_EQ(f[2].name, "X-Empty");
  const StoredFields g = f.with("ETag", "\"x\"");
  ASSERT_EQ(g.size(), 4u);
  EXPECT_EQ(g[3].name, "ETag");
  EXPECT_EQ(*g.find("etag"), "\"x\"");
}


// copy_except_into copies names and values of every length with its own
// short copies (overlapping 4/8-byte moves up to 32 bytes): each length from
// 0 to 40 comes out byte for byte, into exactly the bytes it was given, and
// the marked fields are left out.
TEST(StoredFieldsTest, CopyExceptIntoKeepsEveryLengthExactly) {
  http::HeaderMap fields;
  std::size_t text = 0;
  std::size_t kept = 0;
  std::uint64_t skip = 0;
  for (std::size_t n = 0; n <= 40; ++n) {
    std::string name(1, 'N');
    name += std::to_string(n);
    std::string value;
    for (std::size_t i = 0; i < n; ++i) value.push_back(static_cast<char>('a' + (i * 7 + n) % 26));
    if (n % 5 == 3) {
      skip |= std::uint64_t{1} << fields.size();
    } else {
      ++kept;
      text += name.size() + value.size();
    }
    fields.add(name, value);
  }
  const std::size_t bytes = StoredFields::storage_size(kept, text);
  std::vector<char> storage(bytes + 16, '#');
  const StoredFields f = StoredFields::copy_except_into(storage.data(), fields, skip, kept, text);
  ASSERT_EQ(f.size(), kept);
  EXPECT_EQ(f.text_size(), text);
  EXPECT_EQ(f.allocated(), bytes);
  std::size_t at = 0;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if ((skip >> i) & 1) continue;
    ASSERT_LT(at, f.size());
    EXPECT_EQ(f[at].name, fields[i].name);
    EXPECT_EQ(f[at].value, fields[i].value) << "length " << fields[i].value.size();
    ++at;
  }
  for (std::size_t i = bytes; i < storage.size(); ++i) EXPECT_EQ(storage[i], '#') << "wrote past the end at " << i;
}
}  // namespace
}  // namespace gatehouse::policies::cache

namespace gatehouse::policies::cache {
namespace {

TEST(HeapBlockSizeTest, GlibcHeaderAndRounding) {
  EXPECT_EQ(heap_block_size(0), 0u);
  EXPECT_EQ(heap_block_size(1), 32u);   // the smallest chunk
  EXPECT_EQ(heap_block_size(24), 32u);  // fits with its 8-byte header
  EXPECT_EQ(heap_block_size(25), 48u);
  EXPECT_EQ(heap_block_size(1025), 1040u);
  const StoredFields f(sample_fields());
  EXPECT_EQ(f.allocated(), 4 * 16 + f.text_size());  // four offset records, then the text
  EXPECT_EQ(f.heap_size(), heap_block_size(f.allocated()));
}

}  // namespace
}  // namespace gatehouse::policies::cache
