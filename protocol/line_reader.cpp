#include "protocol/line_reader.hpp"

#include <algorithm>
#include <cstring>

#include "base/secret.hpp"

namespace authd::protocol {

namespace {

// std::string keeps its bytes in place as long as they fit its capacity, so
// wiping size() bytes before each reuse leaves no stale password fragment.
void wipe_string(std::string& s) noexcept {
  wipe_memory(s.data(), s.size());
  s.clear();
}

// The head of a discarded line moves to storage that outlives the next
// overlong line, so the view handed out stays valid as documented.
std::string_view hand_over_head(std::string& head, std::string& finished) {
  wipe_string(finished);
  finished.assign(head);
  wipe_string(head);
  return finished;
}

// The head is cut from the raw bytes before any trailing CR, so that the
// report is the same whether the line was discarded early or seen whole.
std::size_t head_size(std::size_t max_line) noexcept { return std::min(LineReader::overlong_head, max_line + 1); }

std::string_view strip_cr(std::string_view line) noexcept {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

LineReader::LineReader(std::size_t max_line) : max_line_(std::max<std::size_t>(max_line, 1)) {
  // Reserved once so that assigning a head never reallocates and leaves an
  // unwiped copy behind.
  head_.reserve(overlong_head);
  finished_.reserve(overlong_head);
}

LineReader::~LineReader() {
  wipe_memory(buffer_.data(), buffer_.size());
  wipe_string(head_);
  wipe_string(finished_);
}

void LineReader::compact() {
  const std::size_t pending = end_ - begin_;
  if (begin_ != 0) {
    if (pending != 0) std::memmove(buffer_.data(), buffer_.data() + begin_, pending);
    // Everything behind the moved bytes was handed out already (or is a stale
    // copy of what was just moved): none of it may linger.
    wipe_memory(buffer_.data() + pending, end_ - pending);
    scan_ -= begin_;
    begin_ = 0;
    end_ = pending;
  }
  wipe_string(finished_);
}

std::span<char> LineReader::prepare(std::size_t min_space) {
  compact();
  if (buffer_.size() - end_ < min_space) {
    // Grown by hand rather than by resize(): the old block must be wiped
    // before it goes back to the allocator.
    std::vector<char> grown(end_ + min_space);
    if (end_ != 0) std::memcpy(grown.data(), buffer_.data(), end_);
    wipe_memory(buffer_.data(), buffer_.size());
    buffer_.swap(grown);
  }
  return {buffer_.data() + end_, buffer_.size() - end_};
}

void LineReader::commit(std::size_t bytes) { end_ += std::min(bytes, buffer_.size() - end_); }

void LineReader::feed(std::string_view bytes) {
  if (bytes.empty()) return;
  auto space = prepare(bytes.size());
  std::memcpy(space.data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

std::optional<LineReader::Line> LineReader::next() {
  const char* base = buffer_.data();
  const void* found = scan_ < end_ ? std::memchr(base + scan_, '\n', end_ - scan_) : nullptr;
  if (found == nullptr) {
    scan_ = end_;
    // A CR may still be followed by its LF, so a line becomes overlong only
    // once it holds more than max_line_ + 1 bytes without one.
    if (discarding_ || end_ - begin_ > max_line_ + 1) {
      if (!discarding_) {
        wipe_string(head_);
        head_.assign(base + begin_, head_size(max_line_));
        discarding_ = true;
      }
      // Dropped bytes stay in place until the next prepare() wipes them,
      // because views handed out since then must remain valid.
      begin_ = end_;
    }
    return std::nullopt;
  }

  const std::size_t lf = static_cast<std::size_t>(static_cast<const char*>(found) - base);
  const std::size_t start = begin_;
  begin_ = lf + 1;
  scan_ = begin_;

  if (discarding_) {
    discarding_ = false;
    return Line{hand_over_head(head_, finished_), true};
  }
  const std::string_view line = strip_cr({base + start, lf - start});
  if (line.size() > max_line_) return Line{line.substr(0, head_size(max_line_)), true};
  return Line{line, false};
}

std::optional<LineReader::Line> LineReader::finish() {
  compact();
  if (auto line = next()) return line;
  if (discarding_) {
    discarding_ = false;
    return Line{hand_over_head(head_, finished_), true};
  }
  if (begin_ == end_) return std::nullopt;
  const std::string_view line = strip_cr({buffer_.data() + begin_, end_ - begin_});
  begin_ = end_;
  scan_ = end_;
  if (line.size() > max_line_) return Line{line.substr(0, head_size(max_line_)), true};
  return Line{line, false};
}

std::size_t LineReader::pending_bytes() const noexcept { return end_ - begin_; }

}  // namespace authd::protocol
