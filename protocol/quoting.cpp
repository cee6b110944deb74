#include "protocol/quoting.hpp"

#include <algorithm>

#include "base/ascii.hpp"

namespace authd::protocol {

namespace {

using base::is_ascii_digit;

// Bytes that never travel raw inside an argument we write: they would end
// or confuse the line, or be read back differently by a lenient peer.
bool needs_escape(unsigned char c) noexcept { return c < 0x20 || c == 0x7f || c == '"' || c == '\\'; }

std::string_view skip_spaces(std::string_view rest) noexcept {
  const auto first = rest.find_first_not_of(' ');
  return first == std::string_view::npos ? std::string_view{} : rest.substr(first);
}

// One output sink for both holders, so a password is decoded straight into
// its Secret and never passes through a plain std::string.
struct StringSink {
  std::string& out;
  void reset(std::size_t capacity) {
    out.clear();
    out.reserve(capacity);
  }
  void push(char c) { out.push_back(c); }
  void assign(std::string_view bytes) { out.assign(bytes); }
  void discard() { out.clear(); }
};

struct SecretSink {
  Secret& out;
  void reset(std::size_t capacity) {
    out.clear();
    // The decoded text is never longer than its quoted body, so one
    // allocation holds it and no outgrown copy is left behind.
    out.reserve(capacity);
  }
  void push(char c) { out.push_back(c); }
  void assign(std::string_view bytes) { out.assign(bytes); }
  void discard() { out.clear(); }
};

// Where the quoted string at the start of `text` (which begins with '"')
// closes, or npos. Escapes are skipped pairwise: the digits of \ddd can never
// be a quote, so this agrees with the decoder below.
std::size_t find_closing_quote(std::string_view text) noexcept {
  std::size_t i = 1;
  while (i < text.size()) {
    if (text[i] == '"') return i;
    i += text[i] == '\\' ? 2 : 1;
  }
  return std::string_view::npos;
}

template <typename Sink>
ArgumentStatus decode_quoted(std::string_view body, Sink& sink) {
  sink.reset(body.size());
  std::size_t i = 0;
  while (i < body.size()) {
    const char c = body[i];
    if (c == '\0') break;
    if (c != '\\') {
      sink.push(c);
      ++i;
      continue;
    }
    if (i + 3 < body.size() && is_ascii_digit(body[i + 1]) && is_ascii_digit(body[i + 2]) && is_ascii_digit(body[i + 3])) {
      const int value = (body[i + 1] - '0') * 100 + (body[i + 2] - '0') * 10 + (body[i + 3] - '0');
      if (value == 0 || value > 255) break;
      sink.push(static_cast<char>(static_cast<unsigned char>(value)));
      i += 4;
      continue;
    }
    // A backslash stands for the byte after it, but never for a NUL.
    if (body[i + 1] == '\0') break;
    sink.push(body[i + 1]);
    i += 2;
  }
  if (i == body.size()) return ArgumentStatus::Ok;
  sink.discard();
  return ArgumentStatus::BadEscape;
}

template <typename Sink>
ArgumentStatus take_argument(std::string_view& rest, Sink sink) {
  const std::string_view text = skip_spaces(rest);
  if (text.empty()) {
    sink.discard();
    return ArgumentStatus::End;
  }
  if (text.front() == '"') {
    const std::size_t close = find_closing_quote(text);
    // A byte glued to the closing quote would otherwise be silently lost.
    if (close == std::string_view::npos || (close + 1 < text.size() && text[close + 1] != ' ')) {
      sink.discard();
      return ArgumentStatus::Unterminated;
    }
    const ArgumentStatus status = decode_quoted(text.substr(1, close - 1), sink);
    if (status == ArgumentStatus::Ok) rest = text.substr(close + 1);
    return status;
  }
  const std::size_t end = std::min(text.find(' '), text.size());
  const std::string_view atom = text.substr(0, end);
  if (atom.find('\0') != std::string_view::npos) {
    sink.discard();
    return ArgumentStatus::BadEscape;
  }
  sink.assign(atom);
  rest = text.substr(end);
  return ArgumentStatus::Ok;
}

}  // namespace

ArgumentStatus next_argument(std::string_view& rest, std::string& out) {
  return take_argument(rest, StringSink{out});
}

ArgumentStatus next_argument(std::string_view& rest, Secret& out) {
  return take_argument(rest, SecretSink{out});
}

bool is_atom(std::string_view bytes) noexcept {
  if (bytes.empty()) return false;
  for (const char c : bytes) {
    if (c == ' ' || needs_escape(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

void append_quoted_argument(std::string& out, std::string_view bytes) {
  if (is_atom(bytes)) {
    out.append(bytes);
    return;
  }
  append_quoted_string(out, bytes);
}

void append_quoted_string(std::string& out, std::string_view bytes) {
  out.push_back('"');
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (needs_escape(byte)) {
      const char escaped[] = {'\\', static_cast<char>('0' + byte / 100), static_cast<char>('0' + byte / 10 % 10),
                              static_cast<char>('0' + byte % 10)};
      out.append(escaped, sizeof escaped);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

std::string quote_argument(std::string_view bytes) {
  std::string out;
  append_quoted_argument(out, bytes);
  return out;
}

}  // namespace authd::protocol
