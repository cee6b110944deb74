#include "passwd-file/password_table.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>

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

}  // namespace

PasswordTable::~PasswordTable() { wipe_memory(content_.data(), content_.size()); }

std::shared_ptr<const PasswordTable> PasswordTable::parse(std::string content, const HostServices& host,
                                                          std::vector<LoadProblem>& problems) {
  std::shared_ptr<PasswordTable> table(new PasswordTable());
  table->content_ = std::move(content);
  std::string& text = table->content_;
  if (text.size() > max_file_size) {
    problems.push_back({0, "the file is larger than " + std::to_string(max_file_size >> 20) + " MiB"});
    return table;
  }

  std::size_t bad_lines = 0;
  std::size_t weak_refused = 0, first_weak_line = 0;
  auto report = [&](std::size_t line, std::string message) {
    if (++bad_lines <= max_reported_lines) problems.push_back({line, std::move(message)});
  };
  const Entry* slowest = nullptr;
  int slowest_rank = std::numeric_limits<int>::min();

  table->entries_.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  std::size_t line_number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    ++line_number;
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::size_t line_end = end;
    if (line_end > pos && text[line_end - 1] == '\r') --line_end;
    const std::size_t line_start = pos;
    pos = end + 1;

    std::string_view line(text.data() + line_start, line_end - line_start);
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;

    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      report(line_number, "expected name@domain:stored-password[:flags]");
      continue;
    }
    std::string_view name = line.substr(0, colon);
    std::string_view rest = line.substr(colon + 1);
    std::string_view flags;
    if (const auto second = rest.find(':'); second != std::string_view::npos) {
      flags = rest.substr(second + 1);
      rest = rest.substr(0, second);
    }
    if (!valid_account(name)) {
      report(line_number, "malformed account name (expected name@domain, no spaces or control characters)");
      continue;
    }
    bool disabled = false, flags_ok = true;
    while (!flags.empty()) {
      const auto comma = flags.find(',');
      std::string_view flag = flags.substr(0, comma);
      flags = comma == std::string_view::npos ? std::string_view{} : flags.substr(comma + 1);
      if (flag == "disabled") disabled = true;
      else if (!flag.empty()) flags_ok = false;
    }
    if (!flags_ok) {
      report(line_number, "unknown account flag (known: disabled)");
      continue;
    }
    if (rest.empty()) {
      report(line_number, "empty stored password (an account without a password cannot log in; remove the line)");
      continue;
    }
    if (rest.size() > std::numeric_limits<std::uint16_t>::max()) {
      report(line_number, "stored password is too long");
      continue;
    }
    const auto scheme = host.scheme_of(rest);
    if (!scheme) {
      report(line_number, "unknown password scheme (expected {SCHEME}value or a crypt string)");
      continue;
    }
    if (!scheme->allowed && weak_refused++ == 0) first_weak_line = line_number;

    const auto name_offset = static_cast<std::size_t>(name.data() - text.data());
    for (std::size_t i = 0; i < name.size(); ++i) text[name_offset + i] = base::lower_ascii(text[name_offset + i]);
    table->entries_.push_back({static_cast<std::uint32_t>(name_offset),
                               static_cast<std::uint32_t>(rest.data() - text.data()),
                               static_cast<std::uint16_t>(name.size()), static_cast<std::uint16_t>(rest.size()),
                               disabled, scheme->slow});
    if (scheme->cost_rank > slowest_rank) {
      slowest_rank = scheme->cost_rank;
      slowest = &table->entries_.back();
    }
  }
  if (bad_lines > max_reported_lines)
    problems.push_back({0, std::to_string(bad_lines - max_reported_lines) + " more malformed lines not listed"});
  if (weak_refused != 0)
    problems.push_back({first_weak_line, std::to_string(weak_refused) +
                                             " entries use a weak scheme that allow_weak_schemes = false refuses; "
                                             "they cannot log in"});

  if (slowest != nullptr) host.note_stored({text.data() + slowest->stored_offset, slowest->stored_length});
  if (const std::size_t duplicates = table->build_index(); duplicates != 0)
    problems.push_back({0, std::to_string(duplicates) + " names appear more than once; the first line of each is used"});
  return table;
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
      return Found{{content_.data() + entry.stored_offset, entry.stored_length}, entry.disabled, entry.slow};
  }
  return std::nullopt;
}

}  // namespace authd::passwd_file
