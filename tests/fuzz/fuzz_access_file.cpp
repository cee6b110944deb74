// Fuzz target: reading a domain's Access.settings file. Whatever the bytes,
// the reader returns a table or throws AccessFileError; what it returns can
// be written back and read again to the same table.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "fuzz_check.hpp"
#include "host/rights/access_rights.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using authd::fuzz::check;
  static const std::filesystem::path dir = [] {
    auto path = std::filesystem::temp_directory_path() / ("authd-fuzz-access-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
    return path;
  }();
  const auto file = dir / "Access.settings";
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  for (const bool main_domain : {true, false}) {
    authd::host::AccessTable table;
    try {
      table = authd::host::read_access_file(file, main_domain);
    } catch (const authd::host::AccessFileError&) {
      continue;
    }
    const auto copy = dir / "copy.settings";
    authd::host::write_access_file(copy, "example.com", table);
    const auto again = authd::host::read_access_file(copy, main_domain);
    // Accounts without rights are left out when written.
    for (const auto& [name, rights] : again) check(table.count(name) == 1, "a written account was read");
  }
  return 0;
}
