// What the conformance kit sends and how its report shows it: request lines
// built with their passwords in wiping holders beside a masked text, and
// the masks that keep supplied passwords out of anything the report repeats
// from the helper.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret.hpp"
#include "host/conformance/probe_session.hpp"

namespace authd::host::conformance {

// The longest line the report shows (longer ones are cut), made safe to print.
inline constexpr std::size_t max_shown_bytes = 240;
std::string shown_safe(std::string_view text);

// A string that holds a password (a quoted form of it) for a moment: its
// capacity is reserved up front so that it never reallocates, and it is
// wiped when dropped.
class Scratch {
 public:
  explicit Scratch(std::size_t capacity) { text_.reserve(capacity); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() { wipe_memory(text_.data(), text_.size()); }
  std::string& text() { return text_; }

 private:
  std::string text_;
};

// A password the kit sends: its bytes and how the report shows it.
struct Password {
  Secret bytes;
  std::string shown;  // "<password of joe@example.com>", or the text of one the kit made up
};

// How a password travels in the line.
enum class Form {
  Natural,       // an atom when it can be one, a quoted string otherwise (what a host sends)
  Atom,          // as it is, even when it should be quoted
  Quoted,        // a quoted string even when an atom would do
  FirstByteDdd,  // quoted, its first byte written as \ddd
};

// One request line: the wire bytes in a Secret, the shown text beside.
class LineBuilder {
 public:
  explicit LineBuilder(std::string seq);
  LineBuilder& text(std::string_view text);  // bytes that are no secret, shown as they are
  LineBuilder& password(const Password& password, Form form);
  LineBuilder& raw(std::string_view bytes, std::string_view shown);  // bytes shown otherwise (NUL, CR, padding)
  std::size_t size() const { return wire_.size(); }
  // The line with `ending`; `note` is added to the shown text.
  RequestLine finish(std::string_view ending = "\n", std::string_view note = {});

 private:
  std::string seq_;
  Secret wire_;
  std::string shown_;
};

// Each supplied password and its quoted forms are replaced wherever a text
// repeats them; so are its pieces between spaces, quotes and backslashes
// (a helper that cut the password may echo one) where a piece stands as a
// word of its own.
class PasswordMasks {
 public:
  void add(std::string_view address, std::string_view password);
  std::string masked(std::string_view text) const;

 private:
  struct Mask {
    Secret secret;
    std::string label;
    bool whole_words_only = false;
  };
  std::vector<Mask> masks_;  // longest first
};

}  // namespace authd::host::conformance
