#include "proxy/common/short_bytes.h"

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace gatehouse {
namespace {

// Every length from 0 to 40 (each of the word paths and the library's),
// copied into the middle of a guarded buffer: the bytes arrive and nothing
// around them is written.
TEST(ShortBytesTest, CopyMovesExactlyTheBytesOfEveryLength) {
  for (std::size_t n = 0; n <= 40; ++n) {
    std::string from;
    for (std::size_t i = 0; i < n; ++i) from.push_back(static_cast<char>('A' + (i * 5 + n) % 50));
    std::vector<char> to(n + 16, '#');
    copy_short_bytes(to.data() + 8, from.data(), n);
    EXPECT_EQ(std::string(to.data() + 8, n), from) << n;
    for (std::size_t i = 0; i < 8; ++i) {
      EXPECT_EQ(to[i], '#') << n;
      EXPECT_EQ(to[8 + n + i], '#') << n;
    }
  }
}

// Equal runs are equal; a run that differs in any one byte (at every
// position, in the low and the high bit) is not.
TEST(ShortBytesTest, EqualSeesADifferenceAtEveryPosition) {
  for (std::size_t n = 0; n <= 40; ++n) {
    std::string a;
    for (std::size_t i = 0; i < n; ++i) a.push_back(static_cast<char>('a' + (i * 3 + n) % 26));
    std::string b = a;
    EXPECT_TRUE(equal_short_bytes(a.data(), b.data(), n)) << n;
    for (std::size_t pos = 0; pos < n; ++pos) {
      for (unsigned char bit : {0x01, 0x80}) {
        std::string c = a;
        c[pos] = static_cast<char>(static_cast<unsigned char>(c[pos]) ^ bit);
        EXPECT_FALSE(equal_short_bytes(a.data(), c.data(), n)) << n << " at " << pos;
      }
    }
  }
}

}  // namespace
}  // namespace gatehouse
