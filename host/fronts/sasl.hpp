// The SASL mechanisms the three login fronts share (RFC 4422): PLAIN
// (RFC 4616), LOGIN, CRAM-MD5 (RFC 2195) and EXTERNAL. An exchange turns the
// client's base64 responses into one LoginRequest; the protocols only wrap
// the steps in their own words ("+ ", "334 ", tagged answers).
//
// The rules of every exchange:
//   * an initial response of "=" is an empty one (RFC 4954, 4959, 5034);
//   * a response of "*" cancels the exchange;
//   * a response that is not base64 (standard alphabet, padding optional),
//     that decodes to more than kMaxSaslResponse bytes, or that does not
//     have the mechanism's form ends this exchange with Malformed: no login
//     is attempted and nothing else changes;
//   * PLAIN's authorisation identity must be empty or the authentication
//     identity; EXTERNAL's must be empty, "=" or the certificate's account,
//     and without a client certificate EXTERNAL is Refused at once;
//   * decoded passwords go straight into the request's Secret; every
//     temporary copy of a decoded response is wiped.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/fronts/session.hpp"

namespace authd::host::fronts {

enum class SaslMechanism { Plain, Login, CramMd5, External };

// The bound on one decoded response (a PLAIN response holds two names and a
// password).
inline constexpr std::size_t kMaxSaslResponse = 4096;

// "PLAIN", "LOGIN", "CRAM-MD5", "EXTERNAL".
std::string_view sasl_mechanism_name(SaslMechanism mechanism) noexcept;
// Any case; nullopt for a mechanism the fronts do not serve.
std::optional<SaslMechanism> parse_sasl_mechanism(std::string_view name) noexcept;
// PLAIN and LOGIN carry the password itself.
bool is_cleartext_mechanism(SaslMechanism mechanism) noexcept;

// Whether clear-text methods may be used on this connection now: it is
// encrypted, or the domain allows them without encryption.
bool cleartext_permitted(const ConnectionState& state) noexcept;

// Whether `mechanism` may be used on this connection: a clear-text one only
// where cleartext_permitted, EXTERNAL only with a client certificate.
bool mechanism_offered(SaslMechanism mechanism, const ConnectionState& state) noexcept;

// The mechanisms to advertise, in the order they are advertised.
std::vector<SaslMechanism> offered_mechanisms(const ConnectionState& state);

// "<random.time@server_name>": an APOP timestamp or a CRAM-MD5 challenge,
// with 64 random bits from RAND_bytes.
std::string make_challenge(std::string_view server_name);

// Standard base64 with padding (challenges sent to the client).
std::string sasl_encode(std::string_view bytes);

// One response, decoded into a buffer that wipes itself.
class DecodedResponse {
 public:
  DecodedResponse() = default;
  DecodedResponse(const DecodedResponse&) = delete;
  DecodedResponse& operator=(const DecodedResponse&) = delete;
  ~DecodedResponse();

  // False when `text` is not base64 or decodes to more than kMaxSaslResponse.
  bool decode(std::string_view text) noexcept;
  std::string_view view() const noexcept {
    return {reinterpret_cast<const char*>(bytes_.data()), size_};
  }

 private:
  std::array<std::uint8_t, kMaxSaslResponse> bytes_{};
  std::size_t size_ = 0;
};

struct SaslStep {
  enum class Kind {
    Challenge,  // send `challenge` (base64, maybe empty) as a continuation and read the response line
    Login,      // the exchange is complete: run SaslExchange::request()
    Cancelled,  // the client sent "*"
    Malformed,  // not base64, too large, or not the mechanism's form: no login
    Refused,    // a failure decided without a login (EXTERNAL without a certificate, a foreign authzid)
  };
  Kind kind = Kind::Malformed;
  std::string challenge;  // Challenge
  std::string text;       // Malformed, Refused: for the client
};

class SaslExchange {
 public:
  SaslExchange(SaslMechanism mechanism, const ConnectionState& state);

  // The first step, with the initial response if the client sent one.
  SaslStep start(std::optional<std::string_view> initial_response);
  // The client's next response line.
  SaslStep respond(std::string_view line);

  SaslMechanism mechanism() const noexcept { return mechanism_; }
  // After a Login step: name as the client gave it (or the certificate's
  // account), method, secret and challenge.
  LoginRequest& request() noexcept { return request_; }

 private:
  enum class Expect { InitialResponse, Username, Password, CramResponse, ExternalResponse, Done };

  SaslStep take(std::string_view line);
  SaslStep plain(std::string_view decoded);
  SaslStep cram(std::string_view decoded);
  SaslStep external(std::string_view decoded);
  SaslStep login_step();
  SaslStep challenge_step(std::string_view challenge);

  SaslMechanism mechanism_;
  const ConnectionState& state_;
  Expect expect_ = Expect::InitialResponse;
  std::string cram_challenge_;
  LoginRequest request_;
};

}  // namespace authd::host::fronts
