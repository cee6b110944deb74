// Fuzz target: the host's administration command parser. Any line gives a
// command or the text of a 500 answer; it never throws, and an answer text
// is one line.
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "host/admin_protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using authd::fuzz::check;
  const auto parsed = authd::host::admin::parse_command(authd::fuzz::as_text(data, size));
  check(parsed.command.has_value() != !parsed.error.empty(), "a command or an error, never both");
  if (!parsed.command) {
    check(parsed.error.find('\n') == std::string::npos && parsed.error.find('\r') == std::string::npos,
          "an error is one line");
  }
  return 0;
}
