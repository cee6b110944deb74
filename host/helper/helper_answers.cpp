#include "host/helper/helper_answers.hpp"

#include <algorithm>
#include <charconv>
#include <string>

namespace authd::host {

std::optional<std::uint64_t> exact_sequence_number(std::string_view text) noexcept {
  std::uint64_t seq = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seq);
  if (ec != std::errc() || end != text.data() + text.size() || std::to_string(seq) != text) return std::nullopt;
  return seq;
}

HelperAnswer answer_of(const protocol::Response& response) {
  if (response.intf_form) return {AnswerKind::Ok, response.text};
  switch (*response.status) {
    case protocol::Status::Ok: return {AnswerKind::Ok, response.text};
    case protocol::Status::Error: return {AnswerKind::Error, response.text};
    case protocol::Status::Failure: return {AnswerKind::Failure, response.text};
  }
  return {AnswerKind::Failure, response.text};
}

InterfaceVersion negotiated_version(const protocol::Response& response, unsigned ours) noexcept {
  const bool versioned = (response.intf_form || response.status == protocol::Status::Ok) && response.version;
  if (!versioned) return {0, false};
  return {static_cast<unsigned>(std::min<std::uint64_t>(*response.version, ours)), true};
}

}  // namespace authd::host
