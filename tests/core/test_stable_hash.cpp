// The stable hash behind job keys and capture fingerprints: the same value as libstdc++'s
// std::hash<std::string> (what projects were keyed with before), for every tail length.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "core/base/stable_hash.h"

using kvwb::core::stableHash;
using kvwb::core::stableHashHex;

TEST(StableHash, DependsOnEveryByteAndTheLength) {
  EXPECT_NE(stableHash("fiction|svd"), stableHash("fiction|sve"));
  EXPECT_NE(stableHash(std::string("a\0", 2)), stableHash("a"));
  EXPECT_EQ(stableHashHex("x").size(), 16u);
}

#ifdef __GLIBCXX__
TEST(StableHash, EqualsLibstdcxxStdHashForAllTailLengths) {
  std::string s;
  for (int n = 0; n < 70; ++n) {
    EXPECT_EQ(stableHash(s), std::hash<std::string>{}(s)) << "length " << n;
    s += static_cast<char>(0x20 + (n * 37) % 200);  // bytes above 0x7f too
  }
}
#endif
