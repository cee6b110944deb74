// The holder for passwords and other secrets, shared by every floor and by
// the plugin API (authd/api/secret.hpp forwards here; it keeps the name
// authd::Secret, which plugins compile against).
//
// A Secret owns its bytes in a buffer of its own, cannot be copied (only
// moved), and overwrites the buffer with zeros whenever it is released, so a
// password does not outlive the request that carried it. It deliberately has
// no stream operator and no implicit conversion to std::string: a secret can
// only leave the holder through view(), in code that means to.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>

namespace authd {

// Overwrite memory in a way the optimiser may not remove.
inline void wipe_memory(void* data, std::size_t size) noexcept {
  if (size != 0) ::explicit_bzero(data, size);
}

class Secret {
 public:
  Secret() noexcept = default;
  explicit Secret(std::string_view bytes) { assign(bytes); }
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  Secret(Secret&& other) noexcept
      : data_(std::move(other.data_)), size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}
  Secret& operator=(Secret&& other) noexcept {
    if (this != &other) {
      clear();
      data_ = std::move(other.data_);
      size_ = std::exchange(other.size_, 0);
      capacity_ = std::exchange(other.capacity_, 0);
    }
    return *this;
  }
  ~Secret() { clear(); }

  std::string_view view() const noexcept { return {data_.get(), size_}; }
  const char* data() const noexcept { return data_.get(); }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  // Reserve room up front so that appending never leaves an unwiped copy
  // behind in a buffer that was outgrown.
  void reserve(std::size_t capacity) {
    if (capacity <= capacity_) return;
    auto grown = std::make_unique<char[]>(capacity);
    if (size_ != 0) std::memcpy(grown.get(), data_.get(), size_);
    release_buffer();
    data_ = std::move(grown);
    capacity_ = capacity;
  }
  void push_back(char c) {
    if (size_ == capacity_) reserve(capacity_ < 16 ? 32 : capacity_ * 2);
    data_[size_++] = c;
  }
  void append(std::string_view bytes) {
    reserve(size_ + bytes.size());
    if (!bytes.empty()) std::memcpy(data_.get() + size_, bytes.data(), bytes.size());
    size_ += bytes.size();
  }
  void assign(std::string_view bytes) {
    size_ = 0;
    append(bytes);
  }
  // Wipe and drop the contents.
  void clear() noexcept {
    release_buffer();
    size_ = 0;
    capacity_ = 0;
  }

 private:
  void release_buffer() noexcept {
    if (data_) wipe_memory(data_.get(), capacity_);
    data_.reset();
  }

  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace authd
