// What the three sessions share (sessions.cpp): the connection's state and
// limits, the counts of commands and failed logins before a login, the
// completion of a LoginRequest, and the check of a line's bytes. Internal
// to host/fronts/.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "host/fronts/sasl.hpp"
#include "host/fronts/session.hpp"

namespace authd::host::fronts {

// Overwrite a string that held a password or a SASL response, and empty it.
void wipe_string(std::string& text) noexcept;

// A line holds a NUL or a CR: no protocol allows either inside a command.
bool has_forbidden_bytes(std::string_view line) noexcept;

// The first word of `line` (up to a space) and the rest after one space.
struct Words {
  std::string_view verb;
  std::string_view rest;
  bool has_rest = false;  // a space followed the verb (`rest` may still be empty)
};
Words split_verb(std::string_view line) noexcept;

Output send(std::string text, Output::Next next = Output::Next::ReadLine);

class SessionBase : public Session {
 public:
  bool logged_in() const override { return logged_in_; }

 protected:
  SessionBase(Protocol protocol, const ConnectionState& state, const SessionLimits& limits)
      : protocol_(protocol), state_(state), limits_(limits) {}

  // Counts one command before a login; true when it is one too many.
  bool too_many_commands();
  // Counts one rejected login; true when it was the last one allowed.
  bool too_many_failures();
  // A Login step for `request`: the name qualified with the connection's
  // domain, the connection's address, TLS and the protocol's mode.
  Output login(LoginRequest request, std::string mechanism);

  Protocol protocol_;
  const ConnectionState& state_;
  SessionLimits limits_;
  bool logged_in_ = false;

 private:
  int commands_ = 0;
  int failures_ = 0;
};

std::unique_ptr<Session> make_pop3_session(const ConnectionState& state, const SessionLimits& limits);
std::unique_ptr<Session> make_imap_session(const ConnectionState& state, const SessionLimits& limits);
std::unique_ptr<Session> make_smtp_session(const ConnectionState& state, const SessionLimits& limits);

}  // namespace authd::host::fronts
