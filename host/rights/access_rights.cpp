#include "host/rights/access_rights.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

#include "base/fd.hpp"
#include "host/store/names.hpp"

namespace authd::host {

namespace {

constexpr std::array<Right, 5> all_rights = {Right::ModifyAccessRights, Right::ModifyUserAccounts,
                                             Right::ModifyServerSettings, Right::MonitorServer,
                                             Right::ModifyThisDomain};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string errno_text() { return std::strerror(errno); }

void write_all(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw AccessFileError("cannot write " + path + ": " + errno_text());
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

std::string_view right_name(Right r) noexcept {
  switch (r) {
    case Right::ModifyAccessRights: return "CanModifyAccessRights";
    case Right::ModifyUserAccounts: return "CanModifyUserAccounts";
    case Right::ModifyServerSettings: return "CanModifyServerSettings";
    case Right::MonitorServer: return "CanMonitorServer";
    case Right::ModifyThisDomain: return "CanModifyThisDomain";
  }
  return "unknown right";
}

std::string format_rights(RightSet rights) {
  std::string out;
  for (Right r : all_rights) {
    if (!rights.holds(r)) continue;
    if (!out.empty()) out += ", ";
    out += right_name(r);
  }
  return out;
}

std::optional<RightSet> parse_rights(std::string_view list, std::string& error) {
  RightSet out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    const auto word = trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (word.empty()) continue;
    bool known = false;
    for (Right r : all_rights)
      if (word == right_name(r)) {
        out.add(r);
        known = true;
      }
    if (!known) {
      error = "'" + std::string(word) + "' is not a right (CanModifyAccessRights, CanModifyUserAccounts, "
              "CanModifyServerSettings, CanMonitorServer, CanModifyThisDomain)";
      return std::nullopt;
    }
  }
  return out;
}

AccessTable read_access_file(const std::filesystem::path& file, bool main_domain) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec) && !ec)
    throw AccessFileError(file.string() + " is missing: every domain has one (authhost writes it when it creates "
                          "the domain); restore it from a backup, or have a holder of CanModifyAccessRights set "
                          "the domain's rights again, which writes it anew");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw AccessFileError("cannot read " + file.string() + ": " + errno_text());
  AccessTable table;
  std::string line;
  int number = 0;
  const auto fail = [&](const std::string& why) {
    throw AccessFileError(file.string() + ":" + std::to_string(number) + ": " + why +
                          "; the rights of this domain's accounts cannot be known until the file is fixed "
                          "(lines are NAME = Right, Right) or removed and written again by setting a right");
  };
  while (std::getline(in, line)) {
    ++number;
    const auto text = trim(line);
    if (text.empty() || text.front() == '#') continue;
    const auto eq = text.find('=');
    if (eq == std::string_view::npos) fail("expected 'NAME = rights'");
    const auto raw_name = trim(text.substr(0, eq));
    const auto name = canonical_account_name(raw_name);
    if (!name) fail("'" + std::string(raw_name) + "' is not an account name");
    std::string error;
    const auto rights = parse_rights(text.substr(eq + 1), error);
    if (!rights) fail(error);
    if (!main_domain && !rights->only_domain_rights())
      fail("only accounts of the main domain may hold " + format_rights(*rights));
    if (!table.emplace(*name, *rights).second) fail("'" + *name + "' appears twice");
  }
  if (in.bad()) throw AccessFileError("cannot read " + file.string() + ": " + errno_text());
  return table;
}

void write_access_file(const std::filesystem::path& file, std::string_view domain, const AccessTable& table) {
  std::string text = "# Access rights of the accounts of " + std::string(domain) +
                     ", written by authhost.\n"
                     "# One line per account: NAME = Right, Right. Rights: CanModifyAccessRights (unlimited),\n"
                     "# CanModifyUserAccounts, CanModifyServerSettings, CanMonitorServer (main domain only),\n"
                     "# CanModifyThisDomain (this domain and its accounts' settings).\n";
  for (const auto& [name, rights] : table)
    if (!rights.empty()) text += name + " = " + format_rights(rights) + "\n";

  const std::string path = file.string();
  const std::string temporary = path + ".tmp";
  base::Fd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) throw AccessFileError("cannot write " + temporary + ": " + errno_text());
  try {
    // A temporary file left by a crash keeps its old mode through O_TRUNC.
    if (::fchmod(fd.get(), 0600) != 0) throw AccessFileError("cannot protect " + temporary + ": " + errno_text());
    write_all(fd.get(), text, temporary);
    if (::fsync(fd.get()) != 0) throw AccessFileError("cannot flush " + temporary + ": " + errno_text());
    if (::close(fd.release()) != 0) throw AccessFileError("cannot write " + temporary + ": " + errno_text());
    if (::rename(temporary.c_str(), path.c_str()) != 0)
      throw AccessFileError("cannot replace " + path + ": " + errno_text());
  } catch (...) {
    ::unlink(temporary.c_str());
    throw;
  }
  // The rename itself must reach the disk before the change counts as made.
  base::Fd dir(::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0) ::fsync(dir.get());
}

}  // namespace authd::host
