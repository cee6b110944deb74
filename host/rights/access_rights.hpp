// Access rights and the per-domain file that holds them,
// DIR/Domains/<domain>/Settings/Access.settings:
//
//   # comment
//   postmaster = CanModifyAccessRights
//   alice      = CanModifyUserAccounts, CanMonitorServer
//
// One line per account that holds any right; names are the domain's account
// names; rights by the names below. The four server rights may be held by
// accounts of the main domain only; CanModifyThisDomain by any account, for
// its own domain. CanModifyAccessRights is unlimited access: it implies
// every other right.
//
// The file is replaced atomically (written beside it with mode 0600, flushed,
// renamed over it), so a reader sees the old rights or the new ones, never a
// mix. A file that cannot be read is an AccessFileError naming the file and
// the line: the host then refuses to act on that domain's rights instead of
// guessing. postmaster of the main domain holds unlimited access whatever
// the file says (host.hpp), so a damaged main-domain file can always be
// repaired through the host.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace authd::host {

enum class Right : std::uint8_t {
  ModifyAccessRights = 1,    // unlimited
  ModifyUserAccounts = 2,    // create, remove and change accounts and domains
  ModifyServerSettings = 4,
  MonitorServer = 8,
  ModifyThisDomain = 16,     // the domain master: this domain and its accounts' settings
};

class RightSet {
 public:
  RightSet() = default;
  RightSet(Right r) : bits_(static_cast<std::uint8_t>(r)) {}  // NOLINT: a right is a set of one

  bool empty() const noexcept { return bits_ == 0; }
  bool holds(Right r) const noexcept { return (bits_ & static_cast<std::uint8_t>(r)) != 0; }
  // Held, or implied by unlimited access.
  bool grants(Right r) const noexcept { return holds(Right::ModifyAccessRights) || holds(r); }
  RightSet& add(Right r) noexcept {
    bits_ = static_cast<std::uint8_t>(bits_ | static_cast<std::uint8_t>(r));
    return *this;
  }
  bool only_domain_rights() const noexcept { return (bits_ & ~static_cast<std::uint8_t>(Right::ModifyThisDomain)) == 0; }
  // Every right `other` holds is held or implied here: unlimited access
  // implies all, CanModifyUserAccounts implies CanModifyThisDomain (it
  // changes every domain).
  bool covers(RightSet other) const noexcept {
    if (holds(Right::ModifyAccessRights)) return true;
    std::uint8_t mine = bits_;
    if (holds(Right::ModifyUserAccounts)) mine = static_cast<std::uint8_t>(mine | static_cast<std::uint8_t>(Right::ModifyThisDomain));
    return (other.bits_ & ~mine) == 0;
  }
  bool operator==(const RightSet&) const = default;

 private:
  std::uint8_t bits_ = 0;
};

// "CanModifyAccessRights" ...; the names the file uses.
std::string_view right_name(Right r) noexcept;
// "A, B" in a fixed order; "" for none.
std::string format_rights(RightSet rights);
// A list of names separated by commas (white space ignored); "" is no
// rights. nullopt with `error` naming the unknown word.
std::optional<RightSet> parse_rights(std::string_view list, std::string& error);

class AccessFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The rights of one domain's accounts, by canonical account name.
using AccessTable = std::map<std::string, RightSet, std::less<>>;

// Read `file` for a domain. Throws AccessFileError for a file that is
// missing (every domain has one from its creation: a missing file is damage,
// not "no rights"), cannot be read, or cannot be parsed.
AccessTable read_access_file(const std::filesystem::path& file, bool main_domain);

// Replace `file` atomically with `table` (accounts without rights left
// out). Throws AccessFileError when it cannot.
void write_access_file(const std::filesystem::path& file, std::string_view domain, const AccessTable& table);

}  // namespace authd::host
