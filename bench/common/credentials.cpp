#include "bench/common/credentials.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace authd::bench {

bool fits_credentials_file(std::string_view password) noexcept {
  return password.find_first_of("\t\n") == std::string_view::npos;
}

void append_credential_line(std::string& out, std::string_view account, std::string_view password) {
  out.append(account).push_back('\t');
  out.append(password).push_back('\n');
}

std::vector<Credential> read_credentials_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open the credentials file (write one with gen --credentials)");
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw std::runtime_error(path + ": read error");
  const std::string text = std::move(content).str();

  std::vector<Credential> credentials;
  std::size_t line_start = 0;
  for (std::size_t line_number = 1; line_start < text.size(); ++line_number) {
    std::size_t line_end = text.find('\n', line_start);
    if (line_end == std::string::npos) line_end = text.size();
    const std::string_view line(text.data() + line_start, line_end - line_start);
    line_start = line_end + 1;
    if (line.empty()) continue;
    const std::size_t tab = line.find('\t');
    if (tab == std::string_view::npos || tab == 0) {
      throw std::runtime_error(path + ":" + std::to_string(line_number) +
                               ": expected \"name@domain<TAB>password\" (as gen --credentials writes)");
    }
    credentials.push_back({std::string(line.substr(0, tab)), std::string(line.substr(tab + 1))});
  }
  if (credentials.empty()) throw std::runtime_error(path + ": no credentials in the file");
  return credentials;
}

}  // namespace authd::bench
