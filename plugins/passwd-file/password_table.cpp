#include "passwd-file/password_table.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <optional>

#include "base/ascii.hpp"

namespace authd::passwd_file {

namespace {

constexpr std::uint64_t fnv_offset = 14695981039346656037ull;
constexpr std::uint64_t fnv_prime = 1099511628211ull;

std::uint64_t hash_bytes(std::uint64_t h, std::string_view bytes) noexcept {
  for (unsigned char c : bytes) h = (h ^ c) * fnv_prime;
  return h;
}

// The hash of "name@domain" computed from its two parts, so a lookup never
// has to build the joined string. FNV-1a alone spreads names that differ in
// a few digits poorly over the low bits the index uses; the final mix
// (MurmurHash3's) fixes that.
std::uint64_t hash_account(std::string_view name, std::string_view domain) noexcept {
  std::uint64_t h = hash_bytes(fnv_offset, name);
  h = (h ^ static_cast<unsigned char>('@')) * fnv_prime;
  h = hash_bytes(h, domain);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

// A slot holds the entry number + 1 in its low half and the high half of the
// name's hash in its high half, so most mismatches are seen without touching
// the entry or its bytes.
constexpr std::uint64_t slot_of(std::uint32_t entry, std::uint64_t hash) noexcept {
  return (hash & 0xffffffff00000000ull) | (static_cast<std::uint64_t>(entry) + 1);
}
constexpr std::uint32_t entry_of(std::uint64_t slot) noexcept { return static_cast<std::uint32_t>(slot) - 1; }

bool valid_account(std::string_view text) noexcept {
  const auto at = text.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == text.size()) return false;
  if (text.find('@', at + 1) != std::string_view::npos) return false;
  for (unsigned char c : text)
    if (c <= 0x20 || c == 0x7f) return false;
  return at <= 255 && text.size() - at - 1 <= 255;
}

// Reporting every bad line of a huge broken file would flood the log.
constexpr std::size_t max_reported_lines = 20;

// One line of the file with its number; `text` without its LF or CR LF.
struct NumberedLine {
  std::size_t number;
  std::string_view text;
};

// Walks the file line by line. A file written on Windows keeps its CR on
// every line, and a stored value must not end in it.
class LineSplitter {
 public:
  explicit LineSplitter(std::string_view text) noexcept : text_(text) {}

  std::optional<NumberedLine> next() noexcept {
    if (pos_ >= text_.size()) return std::nullopt;
    std::size_t end = text_.find('\n', pos_);
    if (end == std::string_view::npos) end = text_.size();
    std::size_t line_end = end;
    if (line_end > pos_ && text_[line_end - 1] == '\r') --line_end;
    const NumberedLine line{++number_, text_.substr(pos_, line_end - pos_)};
    pos_ = end + 1;
    return line;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t number_ = 0;
};

bool is_blank_or_comment(std::string_view line) noexcept {
  const auto first = line.find_first_not_of(" \t");
  return first == std::string_view::npos || line[first] == '#';
}

// The fields of an account line, still pointing into the file's buffer.
struct AccountFields {
  std::string_view name;
  std::string_view stored;
  bool disabled = false;
};

// The comma-separated flags field: nullopt when it holds a flag we do not
// know, since guessing what an unknown flag meant could let a locked
// account in.
std::optional<bool> parse_disabled_flag(std::string_view flags) noexcept {
  bool disabled = false, flags_ok = true;
  while (!flags.empty()) {
    const auto comma = flags.find(',');
    std::string_view flag = flags.substr(0, comma);
    flags = comma == std::string_view::npos ? std::string_view{} : flags.substr(comma + 1);
    if (flag == "disabled") disabled = true;
    else if (!flag.empty()) flags_ok = false;
  }
  if (!flags_ok) return std::nullopt;
  return disabled;
}

// Splits "name@domain:stored[:flags]" and checks everything that needs no
// scheme registry. On a malformed line, `problem` says what to fix.
std::optional<AccountFields> split_account_line(std::string_view line, std::string_view& problem) noexcept {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) {
    problem = "expected name@domain:stored-password[:flags]";
    return std::nullopt;
  }
  AccountFields fields{line.substr(0, colon), line.substr(colon + 1), false};
  std::string_view flags;
  if (const auto second = fields.stored.find(':'); second != std::string_view::npos) {
    flags = fields.stored.substr(second + 1);
    fields.stored = fields.stored.substr(0, second);
  }
  if (!valid_account(fields.name)) {
    problem = "malformed account name (expected name@domain, no spaces or control characters)";
    return std::nullopt;
  }
  const auto disabled = parse_disabled_flag(flags);
  if (!disabled) {
    problem = "unknown account flag (known: disabled)";
    return std::nullopt;
  }
  fields.disabled = *disabled;
  if (fields.stored.empty()) {
    problem = "empty stored password (an account without a password cannot log in; remove the line)";
    return std::nullopt;
  }
  // An entry keeps the length in 16 bits.
  if (fields.stored.size() > std::numeric_limits<std::uint16_t>::max()) {
    problem = "stored password is too long";
    return std::nullopt;
  }
  return fields;
}

// Collects what is wrong with the file: the first malformed lines in full,
// the rest as a count, and entries a weak-scheme policy refuses as one line
// (they are loaded, so that the administrator sees them counted, but can
// never log in).
class ProblemCollector {
 public:
  explicit ProblemCollector(std::vector<LoadProblem>& problems) noexcept : problems_(problems) {}

  void malformed(std::size_t line, std::string_view message) {
    if (++bad_lines_ <= max_reported_lines) problems_.push_back({line, std::string(message)});
  }
  void weak_scheme(std::size_t line) {
    if (weak_refused_++ == 0) first_weak_line_ = line;
  }
  // The summary lines, after the last line of the file.
  void finish() {
    if (bad_lines_ > max_reported_lines)
      problems_.push_back({0, std::to_string(bad_lines_ - max_reported_lines) + " more malformed lines not listed"});
    if (weak_refused_ != 0)
      problems_.push_back({first_weak_line_, std::to_string(weak_refused_) +
                                                 " entries use a weak scheme that allow_weak_schemes = false "
                                                 "refuses; they cannot log in"});
  }

 private:
  std::vector<LoadProblem>& problems_;
  std::size_t bad_lines_ = 0;
  std::size_t weak_refused_ = 0;
  std::size_t first_weak_line_ = 0;
};

// Names are looked up without case: they are lowered once, in the buffer,
// so that a lookup compares bytes.
void lower_in_place(std::string& text, std::string_view part) noexcept {
  const auto offset = static_cast<std::size_t>(part.data() - text.data());
  for (std::size_t i = 0; i < part.size(); ++i) text[offset + i] = base::lower_ascii(text[offset + i]);
}

}  // namespace

PasswordTable::~PasswordTable() { wipe_memory(content_.data(), content_.size()); }

std::shared_ptr<const PasswordTable> PasswordTable::parse(std::string content, const HostServices& host,
                                                          std::vector<LoadProblem>& problems) {
  std::shared_ptr<PasswordTable> table(new PasswordTable());
  table->content_ = std::move(content);
  if (table->content_.size() > max_file_size) {
    problems.push_back({0, "the file is larger than " + std::to_string(max_file_size >> 20) + " MiB"});
    return table;
  }
  const auto slowest = table->read_entries(host, problems);
  if (slowest) host.note_stored(table->stored_of(table->entries_[*slowest]));
  if (const std::size_t duplicates = table->build_index(); duplicates != 0)
    problems.push_back({0, std::to_string(duplicates) + " names appear more than once; the first line of each is used"});
  return table;
}

std::optional<std::size_t> PasswordTable::read_entries(const HostServices& host, std::vector<LoadProblem>& problems) {
  std::string& text = content_;
  ProblemCollector collector(problems);
  // Reserved up front: the file has at most one entry per line, and the
  // vector must not grow (and copy) a million entries piecemeal.
  entries_.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  std::optional<std::size_t> slowest;
  int slowest_rank = std::numeric_limits<int>::min();
  LineSplitter lines(text);
  while (const auto line = lines.next()) {
    if (is_blank_or_comment(line->text)) continue;
    std::string_view problem;
    const auto fields = split_account_line(line->text, problem);
    if (!fields) {
      collector.malformed(line->number, problem);
      continue;
    }
    const auto scheme = host.scheme_of(fields->stored);
    if (!scheme) {
      collector.malformed(line->number, "unknown password scheme (expected {SCHEME}value or a crypt string)");
      continue;
    }
    if (!scheme->allowed) collector.weak_scheme(line->number);
    lower_in_place(text, fields->name);
    entries_.push_back({static_cast<std::uint32_t>(fields->name.data() - text.data()),
                        static_cast<std::uint32_t>(fields->stored.data() - text.data()),
                        static_cast<std::uint16_t>(fields->name.size()),
                        static_cast<std::uint16_t>(fields->stored.size()), fields->disabled, scheme->slow});
    // The timing dummy must cost as much as the dearest real check.
    if (scheme->cost_rank > slowest_rank) {
      slowest_rank = scheme->cost_rank;
      slowest = entries_.size() - 1;
    }
  }
  collector.finish();
  return slowest;
}

std::size_t PasswordTable::build_index() {
  std::size_t duplicates = 0;
  std::size_t capacity = std::bit_ceil(std::max<std::size_t>(16, entries_.size() * 2));
  slots_.assign(capacity, 0);
  const std::size_t mask = capacity - 1;
  for (std::uint32_t i = 0; i < entries_.size(); ++i) {
    const std::string_view key = name_of(entries_[i]);
    const auto at = key.find('@');
    const std::uint64_t hash = hash_account(key.substr(0, at), key.substr(at + 1));
    const std::uint64_t tag = slot_of(i, hash) & 0xffffffff00000000ull;
    std::size_t slot = hash & mask;
    bool duplicate = false;
    while (slots_[slot] != 0) {
      if ((slots_[slot] & 0xffffffff00000000ull) == tag && name_of(entries_[entry_of(slots_[slot])]) == key) {
        duplicate = true;
        break;
      }
      slot = (slot + 1) & mask;
    }
    if (duplicate) ++duplicates;
    else slots_[slot] = slot_of(i, hash);
  }
  return duplicates;
}

std::optional<PasswordTable::Found> PasswordTable::find(const Account& account) const noexcept {
  if (slots_.empty()) return std::nullopt;
  const std::size_t mask = slots_.size() - 1;
  const std::uint64_t hash = hash_account(account.name, account.domain);
  const std::uint64_t tag = hash & 0xffffffff00000000ull;
  std::size_t slot = hash & mask;
  const std::size_t key_length = account.name.size() + 1 + account.domain.size();
  for (std::uint64_t value; (value = slots_[slot]) != 0; slot = (slot + 1) & mask) {
    if ((value & 0xffffffff00000000ull) != tag) continue;
    const Entry& entry = entries_[entry_of(value)];
    if (entry.name_length != key_length) continue;
    const std::string_view key = name_of(entry);
    if (key.substr(0, account.name.size()) == account.name && key[account.name.size()] == '@' &&
        key.substr(account.name.size() + 1) == account.domain)
      return Found{stored_of(entry), entry.disabled, entry.slow};
  }
  return std::nullopt;
}

}  // namespace authd::passwd_file
