// POP3 (RFC 1939) with CAPA and response codes (RFC 2449), SASL
// (RFC 5034) and STLS (RFC 2595). After a login the maildrop is empty: the
// host authenticates and keeps no mail.
#include <optional>

#include "base/ascii.hpp"
#include "host/fronts/sessions_internal.hpp"

namespace authd::host::fronts {
namespace {

using base::equal_ignoring_case;

class Pop3Session final : public SessionBase {
 public:
  Pop3Session(const ConnectionState& state, const SessionLimits& limits)
      : SessionBase(Protocol::Pop3, state, limits), timestamp_(make_challenge(state.server_name)) {}

  Output greeting() override { return send("+OK " + state_.server_name + " ready " + timestamp_ + "\r\n"); }

  Output on_line(std::string_view line) override {
    if (sasl_) return sasl_response(line);
    if (too_many_commands()) return send("-ERR too many commands before login\r\n", Output::Next::Close);
    if (has_forbidden_bytes(line)) return send("-ERR NUL or CR in command\r\n");
    const Words words = split_verb(line);
    if (equal_ignoring_case(words.verb, "QUIT")) return send("+OK bye\r\n", Output::Next::Close);
    if (equal_ignoring_case(words.verb, "CAPA")) return capa();
    if (logged_in_) return transaction(words);
    return authorization(words);
  }

  Output on_literal(std::string_view) override { return send("-ERR unexpected data\r\n", Output::Next::Close); }

  Output on_login(const LoginResult& result) override {
    switch (result.status) {
      case LoginStatus::Accepted:
        logged_in_ = true;
        return send("+OK " + text_or(result.text, "logged in") + "\r\n");
      case LoginStatus::Rejected: {
        const bool last = too_many_failures();
        return send("-ERR [AUTH] " + result.text + "\r\n", last ? Output::Next::Close : Output::Next::ReadLine);
      }
      case LoginStatus::TempFail:
        return send("-ERR [SYS/TEMP] " + result.text + "\r\n");
      case LoginStatus::AddressRefused:
        return send("-ERR [SYS/PERM] " + result.text + "\r\n", Output::Next::Close);
    }
    return send("-ERR [SYS/TEMP] " + result.text + "\r\n");
  }

  Output on_tls_started() override {
    forget_user();
    sasl_.reset();
    return send({});
  }

  Output on_line_too_long() override { return send("-ERR line too long\r\n", Output::Next::Close); }
  std::string on_timeout() override { return "-ERR [SYS/TEMP] idle for too long, closing connection\r\n"; }
  std::string on_shutdown() override { return "-ERR [SYS/TEMP] server shutting down\r\n"; }

 private:
  static std::string text_or(const std::string& text, std::string_view fallback) {
    return text.empty() ? std::string(fallback) : text;
  }

  bool starttls_offered() const { return state_.starttls_available && !state_.tls && !logged_in_; }

  Output capa() const {
    std::string out = "+OK capability list follows\r\n";
    if (!logged_in_) {
      if (cleartext_permitted(state_)) out += "USER\r\n";
      const auto mechanisms = offered_mechanisms(state_);
      if (!mechanisms.empty()) {
        out += "SASL";
        for (const auto m : mechanisms) (out += " ") += sasl_mechanism_name(m);
        out += "\r\n";
      }
      if (starttls_offered()) out += "STLS\r\n";
    }
    out += "RESP-CODES\r\nAUTH-RESP-CODE\r\nUIDL\r\nTOP\r\nIMPLEMENTATION authhost\r\n.\r\n";
    return send(std::move(out));
  }

  Output authorization(const Words& words) {
    const std::string_view verb = words.verb;
    if (equal_ignoring_case(verb, "USER")) return user(words.rest);
    if (equal_ignoring_case(verb, "PASS")) return pass(words.rest);
    if (equal_ignoring_case(verb, "APOP")) return apop(words.rest);
    if (equal_ignoring_case(verb, "AUTH")) return auth(words);
    if (equal_ignoring_case(verb, "STLS")) {
      if (!starttls_offered()) return send("-ERR STLS not available\r\n");
      forget_user();
      return send("+OK begin TLS negotiation\r\n", Output::Next::StartTls);
    }
    if (is_transaction_verb(verb)) return send("-ERR log in first\r\n");
    return send("-ERR unknown command\r\n");
  }

  Output user(std::string_view name) {
    forget_user();
    if (!cleartext_permitted(state_)) return send("-ERR [AUTH] " + std::string(login_text::secure_required) + "\r\n");
    if (name.empty()) return send("-ERR USER needs a name\r\n");
    user_ = std::string(name);
    return send("+OK send PASS\r\n");
  }

  Output pass(std::string_view password) {
    if (!user_) return send("-ERR USER first\r\n");
    // The clear-text rule may have changed since USER (it does not, but a
    // password is never taken where the rule says no).
    if (!cleartext_permitted(state_)) {
      forget_user();
      return send("-ERR [AUTH] " + std::string(login_text::secure_required) + "\r\n");
    }
    LoginRequest request;
    request.name = std::move(*user_);
    request.method = LoginMethod::Plain;
    request.secret.assign(password);
    forget_user();
    return login(std::move(request), "USER/PASS");
  }

  // APOP name digest: the name may hold spaces, the digest does not.
  Output apop(std::string_view arguments) {
    forget_user();
    const std::size_t space = arguments.rfind(' ');
    if (space == std::string_view::npos || space == 0 || space + 1 == arguments.size()) {
      return send("-ERR APOP needs a name and a digest\r\n");
    }
    LoginRequest request;
    request.name = std::string(arguments.substr(0, space));
    request.method = LoginMethod::Apop;
    request.challenge = timestamp_;
    request.secret.assign(arguments.substr(space + 1));
    return login(std::move(request), "APOP");
  }

  Output auth(const Words& words) {
    forget_user();
    if (!words.has_rest || words.rest.empty()) {
      std::string out = "+OK\r\n";
      for (const auto m : offered_mechanisms(state_)) (out += sasl_mechanism_name(m)) += "\r\n";
      return send(out + ".\r\n");
    }
    const Words args = split_verb(words.rest);
    const auto mechanism = parse_sasl_mechanism(args.verb);
    if (!mechanism) return send("-ERR unsupported authentication mechanism\r\n");
    if (is_cleartext_mechanism(*mechanism) && !cleartext_permitted(state_)) {
      return send("-ERR [AUTH] " + std::string(login_text::secure_required) + "\r\n");
    }
    sasl_.emplace(*mechanism, state_);
    return sasl_step(sasl_->start(args.has_rest ? std::optional(args.rest) : std::nullopt));
  }

  Output sasl_response(std::string_view line) {
    if (has_forbidden_bytes(line)) {
      sasl_.reset();
      return send("-ERR NUL or CR in authentication response\r\n");
    }
    return sasl_step(sasl_->respond(line));
  }

  Output sasl_step(SaslStep step) {
    switch (step.kind) {
      case SaslStep::Kind::Challenge:
        return send("+ " + step.challenge + "\r\n");
      case SaslStep::Kind::Login: {
        const std::string mechanism = "AUTH " + std::string(sasl_mechanism_name(sasl_->mechanism()));
        LoginRequest request = std::move(sasl_->request());
        sasl_.reset();
        return login(std::move(request), mechanism);
      }
      case SaslStep::Kind::Cancelled:
        sasl_.reset();
        return send("-ERR authentication cancelled\r\n");
      case SaslStep::Kind::Malformed:
        sasl_.reset();
        return send("-ERR " + step.text + "\r\n");
      case SaslStep::Kind::Refused: {
        sasl_.reset();
        const bool last = too_many_failures();
        return send("-ERR [AUTH] " + step.text + "\r\n", last ? Output::Next::Close : Output::Next::ReadLine);
      }
    }
    sasl_.reset();
    return send("-ERR authentication failed\r\n");
  }

  static bool is_transaction_verb(std::string_view verb) {
    for (const std::string_view v : {"STAT", "LIST", "UIDL", "RETR", "DELE", "TOP", "NOOP", "RSET", "LAST"}) {
      if (equal_ignoring_case(verb, v)) return true;
    }
    return false;
  }

  Output transaction(const Words& words) {
    const std::string_view verb = words.verb;
    if (equal_ignoring_case(verb, "STAT")) return send("+OK 0 0\r\n");
    if (equal_ignoring_case(verb, "LIST") || equal_ignoring_case(verb, "UIDL")) {
      if (words.has_rest) return send("-ERR no such message\r\n");
      return send("+OK 0 messages\r\n.\r\n");
    }
    if (equal_ignoring_case(verb, "RETR") || equal_ignoring_case(verb, "DELE") || equal_ignoring_case(verb, "TOP")) {
      return send("-ERR no such message\r\n");
    }
    if (equal_ignoring_case(verb, "NOOP") || equal_ignoring_case(verb, "RSET")) return send("+OK\r\n");
    for (const std::string_view v : {"USER", "PASS", "APOP", "AUTH", "STLS"}) {
      if (equal_ignoring_case(verb, v)) return send("-ERR already logged in\r\n");
    }
    return send("-ERR unknown command\r\n");
  }

  void forget_user() {
    if (user_) wipe_string(*user_);
    user_.reset();
  }

  std::string timestamp_;
  std::optional<std::string> user_;
  std::optional<SaslExchange> sasl_;
};

}  // namespace

std::unique_ptr<Session> make_pop3_session(const ConnectionState& state, const SessionLimits& limits) {
  return std::make_unique<Pop3Session>(state, limits);
}

}  // namespace authd::host::fronts
