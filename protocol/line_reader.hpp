// Incremental, bounded splitting of a byte stream into lines.
//
// Bytes are read straight into the reader's buffer (prepare/commit) and
// complete lines are handed out as views. A line longer than the limit is
// never split: it is discarded whole, up to its LF, and reported once as an
// overlong line carrying only its first bytes (enough to read a sequence
// number). Consumed bytes are wiped, since request lines carry passwords.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/limits.hpp"

namespace authd::protocol {

class LineReader {
 public:
  // How many leading bytes of an overlong line are kept.
  static constexpr std::size_t overlong_head = 32;

  struct Line {
    std::string_view text;  // without the LF and a CR before it; for an overlong line, its head only
    bool overlong = false;
  };

  explicit LineReader(std::size_t max_line = max_request_line);
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;
  ~LineReader();

  // Room for at least `min_space` more bytes; fill some and commit() them.
  std::span<char> prepare(std::size_t min_space = 65536);
  void commit(std::size_t bytes);
  // prepare + copy + commit.
  void feed(std::string_view bytes);

  // The next complete line, or nullopt when more input is needed. The view
  // stays valid until the next prepare(), feed() or finish().
  std::optional<Line> next();

  // At end of input: the last line if it had no LF (an overlong one is
  // reported as such), then nullopt.
  std::optional<Line> finish();

  // Bytes held that belong to lines not yet complete.
  std::size_t pending_bytes() const noexcept;
  // Inside a line already longer than the limit, whose LF has not come yet
  // (a reader that must not wait for it can give up now).
  bool in_overlong_line() const noexcept { return discarding_; }

 private:
  void compact();

  std::size_t max_line_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;  // first byte not yet handed out
  std::size_t end_ = 0;    // one past the last byte read
  std::size_t scan_ = 0;   // where the search for the next LF resumes
  bool discarding_ = false;  // inside an overlong line, dropping bytes up to its LF
  std::string head_;         // first bytes of the overlong line being discarded
  std::string finished_;     // storage for the head handed out by next()/finish()
};

}  // namespace authd::protocol
