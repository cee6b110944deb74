// The credentials file shared by gen (writes it) and authload (reads it).
//
//   name@domain TAB password LF
//
// The password is every byte after the first TAB up to the LF, spaces
// included; it can therefore hold neither a TAB nor a LF. The file holds
// clear-text passwords of generated test accounts and nothing else.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace authd::bench {

struct Credential {
  std::string account;   // name@domain
  std::string password;
};

// Whether `password` can be written to a credentials file.
bool fits_credentials_file(std::string_view password) noexcept;

void append_credential_line(std::string& out, std::string_view account, std::string_view password);

// Every credential of the file at `path`. Throws std::runtime_error naming
// the file and line for a line without a TAB or with an empty account, and
// for a file that cannot be read or holds no credential.
std::vector<Credential> read_credentials_file(const std::string& path);

}  // namespace authd::bench
