// One owner for a file descriptor: every pipe, socket and file the programs
// open is held by an Fd, so no path out of a function leaks one.
#pragma once

#include <unistd.h>

#include <utility>

namespace authd::base {

// Owns a descriptor (or none: -1), closes it when destroyed or reset, and
// can only be moved. release() hands the descriptor back without closing it.
class Fd {
 public:
  Fd() noexcept = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const noexcept { return fd_; }
  // True while a descriptor is held.
  explicit operator bool() const noexcept { return fd_ >= 0; }
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
  // Close the descriptor held (if any) and hold `fd` instead.
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace authd::base
