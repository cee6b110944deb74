// SMTP submission (RFC 6409, 5321) with AUTH (RFC 4954), STARTTLS
// (RFC 3207) and enhanced status codes (RFC 3463). The host authenticates
// only: after AUTH a message is refused with a permanent reply, never
// accepted and dropped.
#include <optional>
#include <vector>

#include "base/ascii.hpp"
#include "host/fronts/sessions_internal.hpp"

namespace authd::host::fronts {
namespace {

using base::equal_ignoring_case;

bool verb_is(std::string_view verb, std::initializer_list<std::string_view> names) {
  for (const std::string_view name : names) {
    if (equal_ignoring_case(verb, name)) return true;
  }
  return false;
}

class SmtpSession final : public SessionBase {
 public:
  SmtpSession(const ConnectionState& state, const SessionLimits& limits)
      : SessionBase(Protocol::Submission, state, limits) {}

  Output greeting() override { return send("220 " + state_.server_name + " ESMTP authhost\r\n"); }

  Output on_line(std::string_view line) override {
    if (sasl_) return sasl_response(line);
    if (too_many_commands()) return send("421 4.7.0 too many commands before login\r\n", Output::Next::Close);
    if (has_forbidden_bytes(line)) return send("500 5.5.2 NUL or CR in command\r\n");
    const Words words = split_verb(line);
    const std::string_view verb = words.verb;
    if (verb_is(verb, {"QUIT"})) return send("221 2.0.0 Bye\r\n", Output::Next::Close);
    if (verb_is(verb, {"NOOP", "RSET"})) return send("250 2.0.0 OK\r\n");
    if (verb_is(verb, {"EHLO"})) return ehlo(words);
    if (verb_is(verb, {"HELO"})) return helo(words);
    if (verb_is(verb, {"VRFY"})) return send("252 2.5.0 this host does not verify addresses\r\n");
    if (verb_is(verb, {"HELP"})) return send("214 2.0.0 commands: EHLO HELO STARTTLS AUTH NOOP RSET QUIT\r\n");
    if (verb_is(verb, {"EXPN", "ETRN", "TURN"})) return send("502 5.5.1 command not implemented\r\n");
    const bool known = verb_is(verb, {"STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "BDAT"});
    if (!known) return send("500 5.5.2 unknown command\r\n");
    if (!greeted_) return send("503 5.5.1 EHLO first\r\n");
    if (verb_is(verb, {"STARTTLS"})) return starttls(words);
    if (verb_is(verb, {"AUTH"})) return auth(words);
    // MAIL, RCPT, DATA, BDAT.
    if (!logged_in_) return send("530 5.7.0 Authentication required\r\n");
    return send("554 5.3.2 this host authenticates only; it does not accept mail\r\n");
  }

  Output on_literal(std::string_view) override {
    return send("500 5.5.2 unexpected data\r\n", Output::Next::Close);
  }

  Output on_login(const LoginResult& result) override {
    switch (result.status) {
      case LoginStatus::Accepted:
        logged_in_ = true;
        return send("235 2.7.0 Authentication successful\r\n");
      case LoginStatus::Rejected:
        return rejected(result.text);
      case LoginStatus::TempFail:
        return send("454 4.7.0 " + result.text + "\r\n");
      case LoginStatus::AddressRefused:
        return send("554 5.7.1 " + result.text + "\r\n", Output::Next::Close);
    }
    return send("454 4.7.0 " + result.text + "\r\n");
  }

  Output on_tls_started() override {
    // RFC 3207: everything said before the handshake is forgotten; the
    // client starts again with EHLO.
    greeted_ = false;
    extended_ = false;
    sasl_.reset();
    return send({});
  }

  Output on_line_too_long() override { return send("500 5.5.2 line too long\r\n", Output::Next::Close); }
  std::string on_timeout() override {
    return "421 4.4.2 " + state_.server_name + " idle for too long, closing connection\r\n";
  }
  std::string on_shutdown() override { return "421 4.3.2 " + state_.server_name + " shutting down\r\n"; }

 private:
  bool starttls_offered() const { return state_.starttls_available && !state_.tls && !logged_in_; }

  Output ehlo(const Words& words) {
    if (words.rest.empty()) return send("501 5.5.4 EHLO needs a domain or address\r\n");
    greeted_ = true;
    extended_ = true;
    std::vector<std::string> lines{state_.server_name, "PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES"};
    if (starttls_offered()) lines.emplace_back("STARTTLS");
    if (!logged_in_) {
      const auto mechanisms = offered_mechanisms(state_);
      if (!mechanisms.empty()) {
        std::string auth = "AUTH";
        for (const auto m : mechanisms) (auth += " ") += sasl_mechanism_name(m);
        lines.push_back(std::move(auth));
      }
    }
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      out += (i + 1 == lines.size() ? "250 " : "250-") + lines[i] + "\r\n";
    }
    return send(std::move(out));
  }

  Output helo(const Words& words) {
    if (words.rest.empty()) return send("501 5.5.4 HELO needs a domain or address\r\n");
    greeted_ = true;
    extended_ = false;
    return send("250 " + state_.server_name + "\r\n");
  }

  Output starttls(const Words& words) {
    if (words.has_rest) return send("501 5.5.4 STARTTLS takes no arguments\r\n");
    if (!starttls_offered()) return send("502 5.5.1 STARTTLS not available\r\n");
    return send("220 2.0.0 Ready to start TLS\r\n", Output::Next::StartTls);
  }

  Output auth(const Words& words) {
    if (logged_in_) return send("503 5.5.1 already authenticated\r\n");
    if (!extended_) return send("503 5.5.1 EHLO first\r\n");
    if (words.rest.empty()) return send("501 5.5.4 AUTH needs a mechanism\r\n");
    const Words args = split_verb(words.rest);
    const auto mechanism = parse_sasl_mechanism(args.verb);
    if (!mechanism) return send("504 5.5.4 unrecognized authentication mechanism\r\n");
    if (is_cleartext_mechanism(*mechanism) && !cleartext_permitted(state_)) {
      return send("538 5.7.11 Encryption required for requested authentication mechanism\r\n");
    }
    sasl_.emplace(*mechanism, state_);
    return sasl_step(sasl_->start(args.has_rest ? std::optional(args.rest) : std::nullopt));
  }

  Output sasl_response(std::string_view line) {
    if (has_forbidden_bytes(line)) {
      sasl_.reset();
      return send("501 5.5.2 NUL or CR in authentication response\r\n");
    }
    return sasl_step(sasl_->respond(line));
  }

  Output sasl_step(SaslStep step) {
    switch (step.kind) {
      case SaslStep::Kind::Challenge:
        return send("334 " + step.challenge + "\r\n");
      case SaslStep::Kind::Login: {
        const std::string mechanism = "AUTH " + std::string(sasl_mechanism_name(sasl_->mechanism()));
        LoginRequest request = std::move(sasl_->request());
        sasl_.reset();
        return login(std::move(request), mechanism);
      }
      case SaslStep::Kind::Cancelled:
        sasl_.reset();
        return send("501 5.7.0 authentication cancelled\r\n");
      case SaslStep::Kind::Malformed:
        sasl_.reset();
        return send("501 5.5.2 " + step.text + "\r\n");
      case SaslStep::Kind::Refused:
        sasl_.reset();
        return rejected(step.text);
    }
    sasl_.reset();
    return send("501 5.5.2 authentication failed\r\n");
  }

  Output rejected(const std::string& text) {
    const std::string answer = "535 5.7.8 " + text + "\r\n";
    if (too_many_failures()) return send(answer + "421 4.7.0 too many failed logins\r\n", Output::Next::Close);
    return send(answer);
  }

  bool greeted_ = false;   // EHLO or HELO
  bool extended_ = false;  // EHLO: AUTH needs the extensions
  std::optional<SaslExchange> sasl_;
};

}  // namespace

std::unique_ptr<Session> make_smtp_session(const ConnectionState& state, const SessionLimits& limits) {
  return std::make_unique<SmtpSession>(state, limits);
}

}  // namespace authd::host::fronts
