#include "host/fronts/sasl.hpp"

#include <openssl/rand.h>

#include <chrono>
#include <random>

#include "base/ascii.hpp"
#include "passwords/encoding.hpp"

namespace authd::host::fronts {
namespace {

using passwords::detail::as_bytes;
using passwords::detail::Base64Alphabet;

constexpr std::string_view kUsernameChallenge = "Username:";
constexpr std::string_view kPasswordChallenge = "Password:";

constexpr std::string_view kNotBase64 = "the response is not valid base64 or is too long";
constexpr std::string_view kNoCertificate = "EXTERNAL needs a valid client certificate";

SaslStep malformed(std::string_view text) {
  SaslStep step;
  step.kind = SaslStep::Kind::Malformed;
  step.text = text;
  return step;
}

SaslStep refused(std::string_view text) {
  SaslStep step;
  step.kind = SaslStep::Kind::Refused;
  step.text = text;
  return step;
}

std::uint64_t random_64() {
  std::array<unsigned char, 8> bytes{};
  std::uint64_t value = 0;
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) == 1) {
    for (const unsigned char b : bytes) value = (value << 8) | b;
  } else {
    // OpenSSL's generator failed: the challenge must still differ each time.
    std::random_device device;
    value = (std::uint64_t{device()} << 32) | device();
  }
  wipe_memory(bytes.data(), bytes.size());
  return value;
}

// The name `authzid` stands for the same account as `account`: equal
// ignoring case, or equal once the connection's domain is added.
bool same_identity(std::string_view authzid, std::string_view account, std::string_view domain) {
  if (base::equal_ignoring_case(authzid, account)) return true;
  if (authzid.find('@') != std::string_view::npos || domain.empty()) return false;
  const std::string qualified = std::string(authzid) + "@" + std::string(domain);
  return base::equal_ignoring_case(qualified, account);
}

}  // namespace

std::string_view sasl_mechanism_name(SaslMechanism mechanism) noexcept {
  switch (mechanism) {
    case SaslMechanism::Plain: return "PLAIN";
    case SaslMechanism::Login: return "LOGIN";
    case SaslMechanism::CramMd5: return "CRAM-MD5";
    case SaslMechanism::External: return "EXTERNAL";
  }
  return "PLAIN";
}

std::optional<SaslMechanism> parse_sasl_mechanism(std::string_view name) noexcept {
  for (const SaslMechanism m :
       {SaslMechanism::Plain, SaslMechanism::Login, SaslMechanism::CramMd5, SaslMechanism::External}) {
    if (base::equal_ignoring_case(name, sasl_mechanism_name(m))) return m;
  }
  return std::nullopt;
}

bool is_cleartext_mechanism(SaslMechanism mechanism) noexcept {
  return mechanism == SaslMechanism::Plain || mechanism == SaslMechanism::Login;
}

bool cleartext_permitted(const ConnectionState& state) noexcept { return state.tls || state.cleartext_allowed; }

bool mechanism_offered(SaslMechanism mechanism, const ConnectionState& state) noexcept {
  if (is_cleartext_mechanism(mechanism)) return cleartext_permitted(state);
  if (mechanism == SaslMechanism::External) return state.certificate_account.has_value();
  return true;
}

std::vector<SaslMechanism> offered_mechanisms(const ConnectionState& state) {
  std::vector<SaslMechanism> out;
  for (const SaslMechanism m :
       {SaslMechanism::Plain, SaslMechanism::Login, SaslMechanism::CramMd5, SaslMechanism::External}) {
    if (mechanism_offered(m, state)) out.push_back(m);
  }
  return out;
}

std::string make_challenge(std::string_view server_name) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  return "<" + std::to_string(random_64()) + "." + std::to_string(seconds) + "@" + std::string(server_name) + ">";
}

std::string sasl_encode(std::string_view bytes) {
  return passwords::detail::base64_encode(as_bytes(bytes), Base64Alphabet::Standard, true);
}

DecodedResponse::~DecodedResponse() { wipe_memory(bytes_.data(), bytes_.size()); }

bool DecodedResponse::decode(std::string_view text) noexcept {
  wipe_memory(bytes_.data(), size_);
  size_ = 0;
  // Longer text cannot decode into the buffer: refused before any work.
  if (text.size() > (kMaxSaslResponse + 2) / 3 * 4) return false;
  const auto decoded = passwords::detail::base64_decode(text, bytes_, Base64Alphabet::Standard);
  if (!decoded) return false;
  size_ = *decoded;
  return true;
}

SaslExchange::SaslExchange(SaslMechanism mechanism, const ConnectionState& state)
    : mechanism_(mechanism), state_(state) {}

SaslStep SaslExchange::challenge_step(std::string_view challenge) {
  SaslStep step;
  step.kind = SaslStep::Kind::Challenge;
  step.challenge = sasl_encode(challenge);
  return step;
}

SaslStep SaslExchange::login_step() {
  expect_ = Expect::Done;
  SaslStep step;
  step.kind = SaslStep::Kind::Login;
  return step;
}

SaslStep SaslExchange::start(std::optional<std::string_view> initial_response) {
  switch (mechanism_) {
    case SaslMechanism::Plain:
      expect_ = Expect::InitialResponse;
      break;
    case SaslMechanism::Login:
      expect_ = Expect::Username;
      if (!initial_response) return challenge_step(kUsernameChallenge);
      break;
    case SaslMechanism::CramMd5:
      if (initial_response) {
        expect_ = Expect::Done;
        return malformed("CRAM-MD5 takes no initial response");
      }
      expect_ = Expect::CramResponse;
      cram_challenge_ = make_challenge(state_.server_name);
      return challenge_step(cram_challenge_);
    case SaslMechanism::External:
      if (!state_.certificate_account) {
        expect_ = Expect::Done;
        return refused(kNoCertificate);
      }
      expect_ = Expect::ExternalResponse;
      break;
  }
  if (!initial_response) return challenge_step({});
  // "=" is an initial response that is empty (a bare command has none).
  return take(*initial_response == "=" ? std::string_view{} : *initial_response);
}

SaslStep SaslExchange::respond(std::string_view line) { return take(line); }

SaslStep SaslExchange::take(std::string_view line) {
  if (expect_ == Expect::Done) return malformed("the authentication exchange is over");
  if (line == "*") {
    expect_ = Expect::Done;
    SaslStep step;
    step.kind = SaslStep::Kind::Cancelled;
    return step;
  }
  DecodedResponse decoded;
  if (!decoded.decode(line)) {
    expect_ = Expect::Done;
    return malformed(kNotBase64);
  }
  switch (expect_) {
    case Expect::InitialResponse:
      return plain(decoded.view());
    case Expect::Username:
      if (decoded.view().empty()) {
        expect_ = Expect::Done;
        return malformed("the user name is empty");
      }
      request_.name.assign(decoded.view());
      request_.method = LoginMethod::Plain;
      expect_ = Expect::Password;
      return challenge_step(kPasswordChallenge);
    case Expect::Password:
      request_.secret.assign(decoded.view());
      return login_step();
    case Expect::CramResponse:
      return cram(decoded.view());
    case Expect::ExternalResponse:
      return external(decoded.view());
    case Expect::Done:
      break;
  }
  return malformed(kNotBase64);
}

// authzid NUL authcid NUL password (RFC 4616).
SaslStep SaslExchange::plain(std::string_view decoded) {
  expect_ = Expect::Done;
  const std::size_t first = decoded.find('\0');
  const std::size_t second = first == std::string_view::npos ? first : decoded.find('\0', first + 1);
  if (second == std::string_view::npos || decoded.find('\0', second + 1) != std::string_view::npos) {
    return malformed("PLAIN expects authorization identity, user name and password separated by NUL");
  }
  const std::string_view authzid = decoded.substr(0, first);
  const std::string_view authcid = decoded.substr(first + 1, second - first - 1);
  if (authcid.empty()) return malformed("the user name is empty");
  if (!authzid.empty() && !base::equal_ignoring_case(authzid, authcid)) {
    return refused("the authorization identity must be the user name");
  }
  request_.name.assign(authcid);
  request_.method = LoginMethod::Plain;
  request_.secret.assign(decoded.substr(second + 1));
  return login_step();
}

// "name digest" (RFC 2195): the name may hold spaces, the digest does not.
SaslStep SaslExchange::cram(std::string_view decoded) {
  expect_ = Expect::Done;
  const std::size_t space = decoded.rfind(' ');
  if (space == std::string_view::npos || space == 0 || space + 1 == decoded.size()) {
    return malformed("CRAM-MD5 expects a user name and a digest");
  }
  request_.name.assign(decoded.substr(0, space));
  request_.method = LoginMethod::CramMd5;
  request_.challenge = cram_challenge_;
  request_.secret.assign(decoded.substr(space + 1));
  return login_step();
}

SaslStep SaslExchange::external(std::string_view decoded) {
  expect_ = Expect::Done;
  const std::string& account = *state_.certificate_account;
  if (!decoded.empty() && decoded != "=" && !same_identity(decoded, account, state_.domain)) {
    return refused("the client certificate does not name this account");
  }
  request_.name = account;
  request_.method = LoginMethod::Certificate;
  request_.secret.clear();
  return login_step();
}

}  // namespace authd::host::fronts
