// One loaded, immutable snapshot of a password file.
//
//   # comment
//   name@domain:{SCHEME}value
//   name@domain:$6$salt$hash:disabled
//
// The file's bytes are kept in one buffer (names lower-cased in place) and
// indexed by an open-addressing hash table of 32-bit entry numbers, so a
// million accounts cost little more than the file itself. The stored value
// may not contain ':'; the optional third field is a comma-separated list of
// account flags (only "disabled" is known).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authd/api/plugin.hpp"

namespace authd::passwd_file {

struct LoadProblem {
  std::size_t line = 0;  // 0: about the whole file
  std::string message;
};

class PasswordTable {
 public:
  // The largest file accepted: entries address the buffer with 32 bits.
  static constexpr std::size_t max_file_size = std::size_t{2} << 30;

  struct Entry {
    std::uint32_t name_offset;
    std::uint32_t stored_offset;
    std::uint16_t name_length;   // "name@domain", lower case
    std::uint16_t stored_length;
    bool disabled;
    bool slow;                   // its scheme belongs on the worker pool
  };

  struct Found {
    std::string_view stored;
    bool disabled;
    bool slow;
  };

  PasswordTable(const PasswordTable&) = delete;
  PasswordTable& operator=(const PasswordTable&) = delete;
  ~PasswordTable();

  // Parse a file's content. Malformed lines are skipped and reported through
  // `problems`; they never take the other accounts down. `host` identifies
  // schemes and hears of the slowest stored value (HostServices::note_stored),
  // so that unknown names cost what a wrong password for it costs before
  // any account was checked.
  static std::shared_ptr<const PasswordTable> parse(std::string content, const HostServices& host,
                                                    std::vector<LoadProblem>& problems);

  std::optional<Found> find(const Account& account) const noexcept;
  std::size_t size() const noexcept { return entries_.size(); }

 private:
  PasswordTable() = default;
  // Every account line of content_, into entries_; what is wrong goes to
  // `problems`. Returns the entry whose scheme is the slowest, if any.
  std::optional<std::size_t> read_entries(const HostServices& host, std::vector<LoadProblem>& problems);
  std::size_t build_index();  // returns how many names were duplicates
  std::string_view name_of(const Entry& entry) const noexcept {
    return {content_.data() + entry.name_offset, entry.name_length};
  }
  std::string_view stored_of(const Entry& entry) const noexcept {
    return {content_.data() + entry.stored_offset, entry.stored_length};
  }

  std::string content_;
  std::vector<Entry> entries_;
  std::vector<std::uint64_t> slots_;  // hash tag | entry number + 1; 0 is an empty slot
};

}  // namespace authd::passwd_file
