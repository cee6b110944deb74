#include "base/secret.hpp"

#include <string>
#include <type_traits>
#include <utility>

#include <gtest/gtest.h>

#include "authd/api/secret.hpp"  // the plugin API's name for the same type

namespace authd {
namespace {

static_assert(!std::is_copy_constructible_v<Secret> && !std::is_copy_assignable_v<Secret>);
static_assert(!std::is_convertible_v<Secret, std::string>);

TEST(Secret, HoldsAndMovesItsBytes) {
  Secret s("open sesame");
  EXPECT_EQ(s.view(), "open sesame");
  EXPECT_EQ(s.size(), 11u);
  Secret t(std::move(s));
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(t.view(), "open sesame");
  s = std::move(t);
  EXPECT_EQ(s.view(), "open sesame");
  EXPECT_TRUE(t.empty());
}

TEST(Secret, GrowsByAppendingAndClears) {
  Secret s;
  for (int i = 0; i < 100; ++i) s.push_back(static_cast<char>('a' + i % 26));
  s.append("XYZ");
  EXPECT_EQ(s.size(), 103u);
  EXPECT_EQ(s.view().substr(0, 3), "abc");
  EXPECT_EQ(s.view().substr(100), "XYZ");
  s.assign("new");
  EXPECT_EQ(s.view(), "new");
  s.clear();
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.data(), nullptr);
}

TEST(Secret, WipeMemoryZeroesTheBytes) {
  char buffer[] = "password";
  wipe_memory(buffer, sizeof buffer - 1);
  for (std::size_t i = 0; i + 1 < sizeof buffer; ++i) EXPECT_EQ(buffer[i], '\0');
}

}  // namespace
}  // namespace authd
