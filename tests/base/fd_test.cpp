#include "base/fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <type_traits>
#include <utility>

#include <gtest/gtest.h>

namespace authd::base {
namespace {

static_assert(!std::is_copy_constructible_v<Fd> && !std::is_copy_assignable_v<Fd>);
static_assert(std::is_nothrow_move_constructible_v<Fd> && std::is_nothrow_move_assignable_v<Fd>);

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

struct Pipe {
  int read_end = -1;
  int write_end = -1;
  Pipe() {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    read_end = fds[0];
    write_end = fds[1];
  }
};

TEST(Fd, ClosesWhatItHoldsWhenDestroyed) {
  const Pipe p;
  {
    const Fd r(p.read_end), w(p.write_end);
    EXPECT_EQ(r.get(), p.read_end);
    EXPECT_TRUE(r);
    EXPECT_TRUE(is_open(p.read_end));
  }
  EXPECT_FALSE(is_open(p.read_end));
  EXPECT_FALSE(is_open(p.write_end));
}

TEST(Fd, EmptyByDefault) {
  const Fd fd;
  EXPECT_EQ(fd.get(), -1);
  EXPECT_FALSE(fd);
}

TEST(Fd, MoveHandsOverTheDescriptor) {
  const Pipe p;
  Fd w(p.write_end);
  Fd a(p.read_end);
  Fd b(std::move(a));
  EXPECT_FALSE(a);
  EXPECT_EQ(b.get(), p.read_end);
  Fd c;
  c = std::move(b);
  EXPECT_FALSE(b);
  EXPECT_EQ(c.get(), p.read_end);
  EXPECT_TRUE(is_open(p.read_end));
  // Assigning over a held descriptor closes the old one.
  c = std::move(w);
  EXPECT_FALSE(is_open(p.read_end));
  EXPECT_EQ(c.get(), p.write_end);
}

TEST(Fd, ReleaseGivesUpOwnershipWithoutClosing) {
  const Pipe p;
  const Fd w(p.write_end);
  int raw = -1;
  {
    Fd r(p.read_end);
    raw = r.release();
    EXPECT_FALSE(r);
  }
  EXPECT_EQ(raw, p.read_end);
  EXPECT_TRUE(is_open(raw));
  ::close(raw);
}

TEST(Fd, ResetClosesAndTakesAnother) {
  const Pipe p;
  Fd fd(p.read_end);
  fd.reset(p.write_end);
  EXPECT_FALSE(is_open(p.read_end));
  EXPECT_EQ(fd.get(), p.write_end);
  fd.reset();
  EXPECT_FALSE(is_open(p.write_end));
  EXPECT_FALSE(fd);
  fd.reset();  // nothing held: nothing to close
  EXPECT_FALSE(fd);
}

}  // namespace
}  // namespace authd::base
