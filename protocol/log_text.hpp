// Text bound for a log line, made safe to write there.
//
// Names, modes and info lines come from clients and helpers. Written to a
// log as they are, a line feed forges a second entry and a terminal control
// (ESC, CSI as the C1 byte 0x9b or as U+009B) rewrites what an administrator
// sees. Every log writer passes its message through log_safe_text(), the one
// place that decides what may reach a log.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace authd::protocol {

// The character that stands in for each removed byte or character.
inline constexpr char log_replacement = '?';

// `text` cut to at most `max_bytes` bytes (never inside a UTF-8 sequence),
// with these replaced by log_replacement, one for each:
//   * the C0 controls 0x00-0x1f and DEL 0x7f;
//   * a byte 0x80-0x9f that is not inside a valid UTF-8 sequence (a C1
//     control to a reader of Latin-1 and similar 8-bit sets);
//   * the characters U+0080-U+009F (C1 controls), U+2028 and U+2029 (line
//     and paragraph separators), U+202A-U+202E and U+2066-U+2069 (bidi
//     embeddings, overrides and isolates, which reorder what a line shows).
// Everything else is kept byte for byte, invalid UTF-8 included: a
// Latin-1 name still reads as itself.
std::string log_safe_text(std::string_view text, std::size_t max_bytes);

}  // namespace authd::protocol
