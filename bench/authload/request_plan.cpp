#include "bench/authload/request_plan.hpp"

#include <charconv>
#include <stdexcept>
#include <unordered_set>

#include "base/ascii.hpp"
#include "bench/common/random.hpp"
#include "protocol/quoting.hpp"

namespace authd::bench {
namespace {

struct SplitAccount {
  std::string_view name;
  std::string_view domain;  // empty when the account has no '@'
};

SplitAccount split_at_sign(std::string_view account) noexcept {
  const std::size_t at = account.find('@');
  if (at == std::string_view::npos) return {account, {}};
  return {account.substr(0, at), account.substr(at + 1)};
}

using base::lower_ascii;

void append_decimal(std::string& out, std::uint64_t value) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, result.ptr);
}

// Builds the lines of one run. Names are compared without case because
// authd does, so a made-up unknown name can never hit an existing account.
class PlanBuilder {
 public:
  PlanBuilder(const PlanSettings& settings, const std::vector<Credential>& credentials)
      : settings_(settings) {
    known_.reserve(credentials.size());
    for (const Credential& credential : credentials) {
      if (settings.protocol == WireProtocol::Authd && !protocol::is_atom(credential.account)) {
        throw std::invalid_argument("account \"" + credential.account +
                                    "\" cannot be sent as a protocol atom (it holds a space or a control byte, "
                                    "or starts with a quote)");
      }
      known_.insert(lower_ascii(name_as_sent(credential.account)));
    }
  }

  // The name a request carries: the whole account, or for Squid with
  // --squid-strip-domain the part before '@'.
  std::string_view name_as_sent(std::string_view account) const noexcept {
    if (settings_.protocol == WireProtocol::Squid && settings_.squid_strip_domain) return split_at_sign(account).name;
    return account;
  }

  std::string unknown_name(std::string_view account) const {
    const SplitAccount split = split_at_sign(name_as_sent(account));
    std::string prefix = "absent-";
    for (int attempt = 0; attempt < 8; ++attempt, prefix += "absent-") {
      std::string candidate = prefix;
      candidate.append(split.name);
      if (!split.domain.empty()) candidate.append("@").append(split.domain);
      if (!known_.contains(lower_ascii(candidate))) return candidate;
    }
    throw std::invalid_argument("cannot make up an unknown name from \"" + std::string(account) +
                                "\": every candidate exists in the credentials file");
  }

  // Names authd must reject as malformed (authd/account_name.hpp): no
  // domain, no name, no '@', two '@'.
  static std::string malformed_name(std::string_view account, std::uint64_t variant) {
    const SplitAccount split = split_at_sign(account);
    const std::string_view domain = split.domain.empty() ? std::string_view("example.com") : split.domain;
    std::string name;
    switch (variant % 4) {
      case 0:
        name.append(split.name).append("@");
        break;
      case 1:
        name.append("@").append(domain);
        break;
      case 2:
        name.append(split.name);
        break;
      default:
        name.append(split.name).append("@@").append(domain);
        break;
    }
    return name;
  }

  void append_line(std::string& out, std::uint64_t sequence, std::string_view name, std::string_view password) const {
    if (settings_.protocol == WireProtocol::Squid) {
      append_url_escaped(out, name);
      out.push_back(' ');
      append_url_escaped(out, password);
      out.push_back('\n');
      return;
    }
    append_decimal(out, sequence);
    out.append(" VRFY ");
    if (!settings_.mode.empty()) out.append("(").append(settings_.mode).append(") ");
    out.append(name);
    out.push_back(' ');
    protocol::append_quoted_argument(out, password);
    out.push_back('\n');
  }

 private:
  const PlanSettings& settings_;
  std::unordered_set<std::string> known_;
};

// With a zero slow share the draws fall exactly as they did before the
// slow kind existed, so a seed keeps giving the same mix.
RequestKind choose_kind(const PlanSettings& settings, double draw) noexcept {
  if (draw < settings.slow_share) return RequestKind::SlowBackend;
  draw -= settings.slow_share;
  if (draw < settings.malformed_share) return RequestKind::MalformedName;
  draw -= settings.malformed_share;
  if (draw < settings.unknown_share) return RequestKind::UnknownName;
  draw -= settings.unknown_share;
  if (draw < settings.wrong_share) return RequestKind::WrongPassword;
  return RequestKind::RightPassword;
}

}  // namespace

std::string_view describe(RequestKind kind) noexcept {
  switch (kind) {
    case RequestKind::RightPassword:
      return "right password";
    case RequestKind::WrongPassword:
      return "wrong password";
    case RequestKind::UnknownName:
      return "unknown name";
    case RequestKind::MalformedName:
      return "malformed name";
    case RequestKind::SlowBackend:
      return "slow backend";
  }
  return "?";
}

void append_url_escaped(std::string& out, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f || byte == '%') {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0x0f]);
    } else {
      out.push_back(c);
    }
  }
}

RequestPlan::RequestPlan(const PlanSettings& settings, const std::vector<Credential>& credentials)
    : fields_before_password_(settings.protocol == WireProtocol::Squid ? 1 : settings.mode.empty() ? 3 : 4) {
  if (credentials.empty()) throw std::invalid_argument("no credentials to build requests from");
  if (settings.slow_share > 0 && (settings.slow_account.empty() || !protocol::is_atom(settings.slow_account))) {
    throw std::invalid_argument("a slow share needs a slow account (name@domain, no spaces)");
  }
  const PlanBuilder builder(settings, credentials);
  SplitMix64 random(settings.seed);

  kinds_.reserve(settings.requests);
  line_ends_.reserve(settings.requests);
  // Sized from the first credential so that the buffer grows at most a few times.
  const std::size_t typical = 40 + credentials.front().account.size() + 2 * credentials.front().password.size();
  bytes_.reserve(settings.requests * typical);

  std::string password;
  for (std::size_t index = 0; index < settings.requests; ++index) {
    const RequestKind kind = choose_kind(settings, random.unit());
    const Credential& credential = credentials[random.below(credentials.size())];
    const std::uint64_t variant = random.next();
    password = credential.password;
    switch (kind) {
      case RequestKind::RightPassword:
        builder.append_line(bytes_, sequence_of(index), builder.name_as_sent(credential.account), password);
        break;
      case RequestKind::WrongPassword:
        // Appending keeps it distinct from the account's own password.
        password.push_back(static_cast<char>('!' + variant % 10));
        builder.append_line(bytes_, sequence_of(index), builder.name_as_sent(credential.account), password);
        break;
      case RequestKind::UnknownName:
        builder.append_line(bytes_, sequence_of(index), builder.unknown_name(credential.account), password);
        break;
      case RequestKind::MalformedName:
        builder.append_line(bytes_, sequence_of(index), PlanBuilder::malformed_name(credential.account, variant),
                            password);
        break;
      case RequestKind::SlowBackend:
        builder.append_line(bytes_, sequence_of(index), settings.slow_account, settings.slow_password);
        break;
    }
    kinds_.push_back(kind);
    line_ends_.push_back(bytes_.size());
    ++counts_[static_cast<std::size_t>(kind)];
  }
}

std::string RequestPlan::describe_request(std::size_t index) const {
  const std::string_view line(bytes_.data() + line_begin(index), line_end(index) - line_begin(index));
  // Counted from the front: a quoted password may itself hold spaces.
  std::size_t cut = std::string_view::npos;
  for (std::size_t field = 0, from = 0; field < fields_before_password_; ++field, from = cut + 1) {
    cut = line.find(' ', from);
    if (cut == std::string_view::npos) break;
  }
  std::string text = "request " + std::to_string(index + 1) + " (" + std::string(describe(kinds_[index])) + "): ";
  text.append(line.substr(0, cut == std::string_view::npos ? line.size() - 1 : cut));
  text.append(" <password>");
  return text;
}

}  // namespace authd::bench
