// Arguments of a request line: atoms and quoted strings.
//
//   atom   = one or more bytes, none a space, not starting with '"'
//   quoted = '"' *( char / '\"' / '\\' / '\' 3DIGIT / '\' other ) '"'
//
// Inside a quoted string, \ddd (exactly three decimal digits, 000-255) is
// that byte and a backslash before any other byte stands for that byte.
// A decoded NUL byte is never valid.
#pragma once

#include <string>
#include <string_view>

#include "base/secret.hpp"

namespace authd::protocol {

enum class ArgumentStatus {
  Ok,
  End,          // no argument left
  Unterminated, // a quoted string without its closing quote
  BadEscape,    // \ddd above 255, or a decoded NUL byte
};

// Take the next argument from `rest` (leading spaces are skipped, a run of
// spaces separates two arguments), decode it into `out` and advance `rest`
// past it. `out` is overwritten.
ArgumentStatus next_argument(std::string_view& rest, std::string& out);
ArgumentStatus next_argument(std::string_view& rest, Secret& out);

// Whether `bytes` can be sent as an atom.
bool is_atom(std::string_view bytes) noexcept;

// Encode `bytes` as one argument: an atom when it can be one, otherwise a
// quoted string (quote and backslash escaped, control bytes and DEL as \ddd).
// next_argument(quote_argument(x)) == x for every x without NUL.
std::string quote_argument(std::string_view bytes);
void append_quoted_argument(std::string& out, std::string_view bytes);

// Encode `bytes` as a quoted string even when it could travel as an atom
// (the same escapes as above); an empty `bytes` gives "".
void append_quoted_string(std::string& out, std::string_view bytes);

}  // namespace authd::protocol
