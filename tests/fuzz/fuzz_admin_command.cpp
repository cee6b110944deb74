// Fuzz target: the host's administration command parser and CGP's data
// formats. Any line gives a command or the text of a 500 answer; it never
// throws, and an answer text is one line. Any object read formats to one
// line that reads back as the same object.
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "host/admin/admin_protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using authd::fuzz::check;
  namespace admin = authd::host::admin;
  const std::string_view text = authd::fuzz::as_text(data, size);
  for (const std::string_view own_domain : {std::string_view(), std::string_view("example.com")}) {
    const auto parsed = admin::parse_command(text, own_domain);
    check(parsed.command.has_value() != !parsed.error.empty(), "a command or an error, never both");
    if (!parsed.command) {
      check(parsed.error.find('\n') == std::string::npos && parsed.error.find('\r') == std::string::npos,
            "an error is one line");
    }
  }
  for (const bool top_level : {true, false}) {
    std::string_view rest = text;
    std::string error;
    const auto value = admin::read_value(rest, top_level, error);
    check(value.has_value() == error.empty(), "an object or an error, never both");
    if (!value) continue;
    const std::string formatted = admin::format_value(*value);
    check(formatted.find('\n') == std::string::npos && formatted.find('\r') == std::string::npos,
          "an object's text is one line");
    std::string_view again = formatted;
    const auto reread = admin::read_value(again, false, error);
    check(reread.has_value() && again.empty(), "the text of an object reads back whole");
    check(admin::format_value(*reread) == formatted, "and as the same object");
  }
  return 0;
}
