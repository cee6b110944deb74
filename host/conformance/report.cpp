#include "host/conformance/report.hpp"

#include <algorithm>
#include <cstdio>

namespace authd::host::conformance {

namespace {

std::string joined(const std::vector<std::string>& words, std::string_view separator) {
  std::string out;
  for (const auto& word : words) out += (out.empty() ? "" : std::string(separator)) + word;
  return out;
}

std::string upper_label(Result result) {
  switch (result) {
    case Result::Pass: return "PASS";
    case Result::Fail: return "FAIL";
    case Result::Finding: return "FINDING";
    case Result::NotApplicable: return "N/A";
  }
  return "";
}

// The length of the valid UTF-8 sequence at the start of `text`, or 0.
std::size_t utf8_sequence(std::string_view text) {
  const auto b0 = static_cast<unsigned char>(text[0]);
  std::size_t length = 0;
  std::uint32_t min = 0;
  if (b0 < 0x80) return 1;
  if (b0 >= 0xc2 && b0 <= 0xdf) length = 2, min = 0x80;
  else if (b0 >= 0xe0 && b0 <= 0xef) length = 3, min = 0x800;
  else if (b0 >= 0xf0 && b0 <= 0xf4) length = 4, min = 0x10000;
  else return 0;
  if (text.size() < length) return 0;
  std::uint32_t code = b0 & (0xff >> (length + 1));
  for (std::size_t i = 1; i < length; ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if ((b & 0xc0) != 0x80) return 0;
    code = (code << 6) | (b & 0x3f);
  }
  if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return length;
}

// A JSON string: escapes as RFC 8259 wants them; a byte that is not part of
// valid UTF-8 becomes U+FFFD, so that the document is valid UTF-8.
std::string json_string(std::string_view text) {
  std::string out = "\"";
  while (!text.empty()) {
    const auto c = static_cast<unsigned char>(text[0]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else if (c >= 0x80) {
      const std::size_t length = utf8_sequence(text);
      if (length == 0) {
        out += "\xef\xbf\xbd";
        text.remove_prefix(1);
        continue;
      }
      out.append(text.substr(0, length));
      text.remove_prefix(length);
      continue;
    } else {
      out += static_cast<char>(c);
    }
    text.remove_prefix(1);
  }
  return out + "\"";
}

std::string json_array(const std::vector<std::string>& items, std::string_view indent) {
  if (items.empty()) return "[]";
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i)
    out += (i == 0 ? "\n" : ",\n") + std::string(indent) + "  " + json_string(items[i]);
  return out + "\n" + std::string(indent) + "]";
}

}  // namespace

std::string format_text(const Report& report) {
  std::string out = "helper:   " + joined(report.command, " ") + "\n";
  if (!report.could_not_run.empty()) {
    out += "the helper could not be run: " + report.could_not_run + "\n";
    return out;
  }
  out += "accounts: " + joined(report.accounts, ", ") + " (passwords never shown)\n";
  out += "unknown:  " + report.unknown + "\n";
  out += "time-out: " + std::to_string(report.timeout.count()) + " ms per answer\n\n";
  std::size_t width = 0;
  for (const auto& c : report.cases) width = std::max(width, c.name.size());
  for (const auto& c : report.cases) {
    std::string label = upper_label(c.result);
    label.resize(8, ' ');
    std::string name = c.name;
    name.resize(width + 2, ' ');
    out += label + name + c.explanation + (c.detail.empty() ? "" : ": " + c.detail) + "\n";
    if (c.result != Result::Fail && c.result != Result::Finding) continue;
    const std::string indent(8 + width + 2, ' ');
    for (const auto* list : {&c.sent, &c.received}) {
      const std::string head = list == &c.sent ? "sent:     " : "received: ";
      if (list->empty()) {
        out += indent + head + "(nothing)\n";
        continue;
      }
      for (std::size_t i = 0; i < list->size(); ++i)
        out += indent + (i == 0 ? head : std::string(head.size(), ' ')) + (*list)[i] + "\n";
    }
  }
  const Summary s = report.summary();
  out += "\nsummary: " + std::to_string(s.pass) + " pass, " + std::to_string(s.fail) + " fail, " +
         std::to_string(s.finding) + " finding" + (s.finding == 1 ? "" : "s") + ", " +
         std::to_string(s.not_applicable) + " not applicable (exit " + std::to_string(report.exit_code()) + ")\n";
  return out;
}

std::string format_json(const Report& report) {
  std::string out = "{\n";
  out += "  \"helper\": " + json_array(report.command, "  ") + ",\n";
  out += "  \"accounts\": " + json_array(report.accounts, "  ") + ",\n";
  out += "  \"unknown\": " + json_string(report.unknown) + ",\n";
  out += "  \"timeout_ms\": " + std::to_string(report.timeout.count()) + ",\n";
  if (!report.could_not_run.empty()) out += "  \"error\": " + json_string(report.could_not_run) + ",\n";
  out += "  \"cases\": [";
  for (std::size_t i = 0; i < report.cases.size(); ++i) {
    const auto& c = report.cases[i];
    out += std::string(i == 0 ? "\n" : ",\n") + "    {\"name\": " + json_string(c.name) +
           ", \"result\": " + json_string(result_name(c.result)) + ",\n" +
           "     \"explanation\": " + json_string(c.explanation) + ",\n" +
           "     \"detail\": " + json_string(c.detail) + ",\n" +
           "     \"sent\": " + json_array(c.sent, "     ") + ",\n" +
           "     \"received\": " + json_array(c.received, "     ") + "}";
  }
  out += report.cases.empty() ? "],\n" : "\n  ],\n";
  const Summary s = report.summary();
  out += "  \"summary\": {\"pass\": " + std::to_string(s.pass) + ", \"fail\": " + std::to_string(s.fail) +
         ", \"finding\": " + std::to_string(s.finding) + ", \"not_applicable\": " + std::to_string(s.not_applicable) +
         "},\n";
  out += "  \"exit_code\": " + std::to_string(report.exit_code()) + "\n}\n";
  return out;
}

}  // namespace authd::host::conformance
