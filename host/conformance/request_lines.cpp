#include "host/conformance/request_lines.hpp"

#include <algorithm>

#include "protocol/log_text.hpp"
#include "protocol/quoting.hpp"

namespace authd::host::conformance {

std::string shown_safe(std::string_view text) { return protocol::log_safe_text(text, max_shown_bytes); }

LineBuilder::LineBuilder(std::string seq) : seq_(std::move(seq)) { text(seq_); }

LineBuilder& LineBuilder::text(std::string_view text) {
  wire_.append(text);
  shown_.append(text);
  return *this;
}

LineBuilder& LineBuilder::password(const Password& password, Form form) {
  const auto bytes = password.bytes.view();
  Scratch encoded(bytes.size() * 4 + 8);
  std::string& out = encoded.text();
  bool quoted = true;
  switch (form) {
    case Form::Natural:
      protocol::append_quoted_argument(out, bytes);
      quoted = !protocol::is_atom(bytes);
      break;
    case Form::Atom:
      out.append(bytes);
      quoted = false;
      break;
    case Form::Quoted: protocol::append_quoted_string(out, bytes); break;
    case Form::FirstByteDdd: {
      const auto first = static_cast<unsigned char>(bytes.empty() ? ' ' : bytes.front());
      const char ddd[] = {'"', '\\', static_cast<char>('0' + first / 100), static_cast<char>('0' + first / 10 % 10),
                          static_cast<char>('0' + first % 10)};
      out.append(ddd, sizeof ddd);
      Scratch rest(bytes.size() * 4 + 8);
      protocol::append_quoted_string(rest.text(), bytes.empty() ? bytes : bytes.substr(1));
      out.append(std::string_view(rest.text()).substr(1));  // without its opening quote
      break;
    }
  }
  wire_.append(out);
  const std::string inner = form == Form::FirstByteDdd ? password.shown + " (first byte as \\ddd)" : password.shown;
  shown_.append(quoted ? "\"" + inner + "\"" : inner);
  return *this;
}

LineBuilder& LineBuilder::raw(std::string_view bytes, std::string_view shown) {
  wire_.append(bytes);
  shown_.append(shown);
  return *this;
}

RequestLine LineBuilder::finish(std::string_view ending, std::string_view note) {
  RequestLine line;
  line.seq = seq_;
  wire_.append(ending);
  line.wire = std::move(wire_);
  line.shown = shown_safe(shown_) + std::string(note);
  return line;
}

void PasswordMasks::add(std::string_view address, std::string_view password) {
  const std::string label = "<password of " + shown_safe(address) + ">";
  masks_.push_back({Secret(password), label});
  {
    Scratch quoted(password.size() * 4 + 8);
    protocol::append_quoted_argument(quoted.text(), password);
    masks_.push_back({Secret(quoted.text()), label});
  }
  {
    Scratch quoted(password.size() * 4 + 8);
    protocol::append_quoted_string(quoted.text(), password);
    masks_.push_back({Secret(quoted.text()), label});
  }
  for (std::size_t start = 0; start < password.size();) {
    const auto end = std::min(password.find_first_of(" \"\\", start), password.size());
    if (end - start >= 3 && end - start < password.size())
      masks_.push_back({Secret(password.substr(start, end - start)), "<part of password of " + shown_safe(address) + ">",
                        true});
    start = end + 1;
  }
  std::stable_sort(masks_.begin(), masks_.end(),
                   [](const Mask& a, const Mask& b) { return a.secret.size() > b.secret.size(); });
}

namespace {

bool is_word_byte(char ch) {
  const auto b = static_cast<unsigned char>(ch);
  return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || b >= 0x80;
}

}  // namespace

std::string PasswordMasks::masked(std::string_view text) const {
  std::string out(text);
  for (const auto& mask : masks_) {
    const auto secret = mask.secret.view();
    if (secret.empty()) continue;
    std::size_t at = out.find(secret);
    while (at != std::string::npos) {
      const std::size_t end = at + secret.size();
      const bool word = (at == 0 || !is_word_byte(out[at - 1])) && (end == out.size() || !is_word_byte(out[end]));
      if (mask.whole_words_only && !word) {
        at = out.find(secret, at + 1);
        continue;
      }
      out.replace(at, secret.size(), mask.label);
      at = out.find(secret, at + mask.label.size());
    }
  }
  return out;
}

}  // namespace authd::host::conformance
