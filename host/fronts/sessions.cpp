#include <array>

#include "host/fronts/sessions_internal.hpp"

namespace authd::host::fronts {
namespace {

struct FrontName {
  std::string_view name;
  FrontKind kind;
};

constexpr std::array<FrontName, 6> kFronts{{
    {"pop3", {Protocol::Pop3, false}},
    {"pop3s", {Protocol::Pop3, true}},
    {"imap", {Protocol::Imap, false}},
    {"imaps", {Protocol::Imap, true}},
    {"submission", {Protocol::Submission, false}},
    {"smtps", {Protocol::Submission, true}},
}};

}  // namespace

std::optional<FrontKind> parse_front_kind(std::string_view name) noexcept {
  for (const auto& front : kFronts) {
    if (front.name == name) return front.kind;
  }
  return std::nullopt;
}

std::string_view front_kind_name(FrontKind kind) noexcept {
  for (const auto& front : kFronts) {
    if (front.kind == kind) return front.name;
  }
  return "pop3";
}

std::string_view protocol_mode(Protocol protocol) noexcept {
  switch (protocol) {
    case Protocol::Pop3: return "POP";
    case Protocol::Imap: return "IMAP";
    case Protocol::Submission: return "SMTP";
  }
  return "POP";
}

std::unique_ptr<Session> make_session(Protocol protocol, const ConnectionState& state, const SessionLimits& limits) {
  switch (protocol) {
    case Protocol::Pop3: return make_pop3_session(state, limits);
    case Protocol::Imap: return make_imap_session(state, limits);
    case Protocol::Submission: return make_smtp_session(state, limits);
  }
  return make_pop3_session(state, limits);
}

void wipe_string(std::string& text) noexcept {
  wipe_memory(text.data(), text.size());
  text.clear();
}

bool has_forbidden_bytes(std::string_view line) noexcept {
  return line.find('\0') != std::string_view::npos || line.find('\r') != std::string_view::npos;
}

Words split_verb(std::string_view line) noexcept {
  Words words;
  const std::size_t space = line.find(' ');
  words.verb = line.substr(0, space);
  if (space != std::string_view::npos) {
    words.rest = line.substr(space + 1);
    words.has_rest = true;
  }
  return words;
}

Output send(std::string text, Output::Next next) {
  Output out;
  out.send = std::move(text);
  out.next = next;
  return out;
}

bool SessionBase::too_many_commands() {
  if (logged_in_) return false;
  return ++commands_ > limits_.max_commands_before_login;
}

bool SessionBase::too_many_failures() { return ++failures_ >= limits_.max_failed_logins; }

Output SessionBase::login(LoginRequest request, std::string mechanism) {
  if (request.method != LoginMethod::Certificate && request.name.find('@') == std::string::npos &&
      !state_.domain.empty()) {
    request.name += "@" + state_.domain;
  }
  request.client_address = state_.client_address;
  request.secure = state_.tls;
  request.mode = protocol_mode(protocol_);
  Output out;
  out.next = Output::Next::Login;
  out.login = std::move(request);
  out.mechanism = std::move(mechanism);
  return out;
}

}  // namespace authd::host::fronts
