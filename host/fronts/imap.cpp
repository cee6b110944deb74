// IMAP4rev1 (RFC 3501) with SASL-IR (RFC 4959), LITERAL+ (RFC 7888),
// STARTTLS (RFC 2595) and response codes (RFC 5530). After a login there is
// one empty INBOX: the host authenticates and keeps no mail.
//
// A command may span several lines: a line ending in a literal's
// announcement "{n}" or "{n+}" is followed by n bytes (on_literal) and then
// the rest of the command as the next line. The pieces are kept as
// segments, lines and literals alternating, until a line without an
// announcement ends the command; then the command is parsed as a whole.
#include <optional>
#include <vector>

#include "base/ascii.hpp"
#include "host/fronts/sessions_internal.hpp"

namespace authd::host::fronts {
namespace {

using base::equal_ignoring_case;

// At most this many literals in one command (LOGIN needs two).
constexpr std::size_t kMaxLiteralsPerCommand = 8;

constexpr std::string_view kFlags = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";

bool is_atom_char(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  return std::string_view("(){%*\"\\]").find(c) == std::string_view::npos;
}
bool is_astring_char(char c) noexcept { return is_atom_char(c) || c == ']'; }
bool is_tag_char(char c) noexcept { return is_astring_char(c) && c != '+'; }
bool is_list_char(char c) noexcept { return is_atom_char(c) || c == '%' || c == '*' || c == ']'; }

// The announcement at the end of a line: "{n}" (synchronising) or "{n+}".
struct LiteralAnnouncement {
  bool synchronising = true;
  bool too_large = false;  // more than fits in 32 bits or the session's limit
  std::size_t size = 0;
};

std::optional<LiteralAnnouncement> announced_literal(std::string_view line, std::size_t limit) {
  if (line.empty() || line.back() != '}') return std::nullopt;
  const std::size_t open = line.rfind('{');
  if (open == std::string_view::npos) return std::nullopt;
  std::string_view digits = line.substr(open + 1, line.size() - open - 2);
  LiteralAnnouncement literal;
  if (!digits.empty() && digits.back() == '+') {
    literal.synchronising = false;
    digits.remove_suffix(1);
  }
  if (digits.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : digits) {
    if (!base::is_ascii_digit(c)) return std::nullopt;
    // Past 2^32 - 1 the number is not an IMAP number; stop before any overflow.
    if (value > 0xffffffffULL) {
      literal.too_large = true;
      continue;
    }
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (value > 0xffffffffULL || value > limit) literal.too_large = true;
  literal.size = literal.too_large ? 0 : static_cast<std::size_t>(value);
  return literal;
}

// A cursor over a command's segments (line, literal, line, ...).
class CommandParser {
 public:
  explicit CommandParser(const std::vector<std::string>& segments) : segments_(segments) {}

  bool at_end() const { return pos_ == line().size() && segment_ + 1 >= segments_.size(); }

  bool space() {
    if (pos_ < line().size() && line()[pos_] == ' ') {
      ++pos_;
      return true;
    }
    return false;
  }

  bool literal_char(char c) {
    if (pos_ < line().size() && line()[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  template <typename Predicate>
  std::optional<std::string> word(Predicate accepts) {
    const std::size_t start = pos_;
    while (pos_ < line().size() && accepts(line()[pos_])) ++pos_;
    if (pos_ == start) return std::nullopt;
    return std::string(line().substr(start, pos_ - start));
  }

  std::optional<std::string> tag() { return word(is_tag_char); }
  std::optional<std::string> atom() { return word(is_atom_char); }

  std::optional<std::string> astring() {
    if (pos_ >= line().size()) return std::nullopt;
    if (line()[pos_] == '"') return quoted();
    if (line()[pos_] == '{') return literal();
    return word(is_astring_char);
  }

  std::optional<std::string> list_mailbox() {
    if (pos_ >= line().size()) return std::nullopt;
    if (line()[pos_] == '"' || line()[pos_] == '{') return astring();
    return word(is_list_char);
  }

 private:
  const std::string& line() const { return segments_[segment_]; }

  // "..." with \\ and \" as the only escapes.
  std::optional<std::string> quoted() {
    std::string out;
    for (++pos_; pos_ < line().size(); ++pos_) {
      const char c = line()[pos_];
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c == '\\') {
        if (++pos_ == line().size()) break;
        const char escaped = line()[pos_];
        if (escaped != '\\' && escaped != '"') break;
        out.push_back(escaped);
        continue;
      }
      out.push_back(c);
    }
    wipe_string(out);
    return std::nullopt;
  }

  // "{n}" or "{n+}" closing this line; the literal is the next segment and
  // the command goes on at the start of the one after it.
  std::optional<std::string> literal() {
    const std::string_view rest = std::string_view(line()).substr(pos_);
    if (segment_ + 2 >= segments_.size() || rest.rfind('{') != 0) return std::nullopt;
    const auto announced = announced_literal(rest, segments_[segment_ + 1].size());
    if (!announced || announced->too_large || rest.find('}') + 1 != rest.size()) return std::nullopt;
    const std::string& bytes = segments_[segment_ + 1];
    if (announced->size != bytes.size() || bytes.find('\0') != std::string::npos) return std::nullopt;
    segment_ += 2;
    pos_ = 0;
    return bytes;
  }

  const std::vector<std::string>& segments_;
  std::size_t segment_ = 0;
  std::size_t pos_ = 0;
};

// LIST's wildcards: "*" matches anything, "%" anything but the delimiter.
bool wildcard_match(std::string_view pattern, std::string_view name) {
  if (pattern.empty()) return name.empty();
  if (pattern[0] == '*' || pattern[0] == '%') {
    for (std::size_t i = 0; i <= name.size(); ++i) {
      if (wildcard_match(pattern.substr(1), name.substr(i))) return true;
      if (i < name.size() && pattern[0] == '%' && name[i] == '/') break;
    }
    return false;
  }
  return !name.empty() && base::lower_ascii(pattern[0]) == base::lower_ascii(name[0]) &&
         wildcard_match(pattern.substr(1), name.substr(1));
}

bool is_inbox(std::string_view mailbox) { return equal_ignoring_case(mailbox, "INBOX"); }

class ImapSession final : public SessionBase {
 public:
  ImapSession(const ConnectionState& state, const SessionLimits& limits)
      : SessionBase(Protocol::Imap, state, limits) {}
  ~ImapSession() override { forget_command(); }

  Output greeting() override {
    return send("* OK [CAPABILITY " + capabilities() + "] " + state_.server_name + " ready\r\n");
  }

  Output on_line(std::string_view line) override {
    if (sasl_) return sasl_response(line);
    if (segments_.empty() && too_many_commands()) {
      return send("* BYE too many commands before login\r\n", Output::Next::Close);
    }
    if (has_forbidden_bytes(line)) {
      const std::string tag = segments_.empty() ? tag_of(line) : tag_of(segments_.front());
      forget_command();
      return bad(tag, "NUL or CR in command");
    }
    segments_.emplace_back(line);
    if (const auto literal = announced_literal(line, limits_.max_literal)) return announce(*literal);
    Output out = execute();
    forget_command();
    return out;
  }

  Output on_literal(std::string_view bytes) override {
    if (segments_.empty()) return send("* BYE unexpected literal\r\n", Output::Next::Close);
    segments_.emplace_back(bytes);
    return send({});
  }

  Output on_login(const LoginResult& result) override {
    const std::string tag = std::move(login_tag_);
    switch (result.status) {
      case LoginStatus::Accepted:
        logged_in_ = true;
        return send(tag + " OK [CAPABILITY " + capabilities() + "] " + login_verb_ + " completed\r\n");
      case LoginStatus::Rejected:
        return rejected(tag, result.text);
      case LoginStatus::TempFail:
        return send(tag + " NO [UNAVAILABLE] " + result.text + "\r\n");
      case LoginStatus::AddressRefused:
        return send("* BYE " + result.text + "\r\n" + tag + " NO " + result.text + "\r\n", Output::Next::Close);
    }
    return send(tag + " NO [UNAVAILABLE] " + result.text + "\r\n");
  }

  Output on_tls_started() override {
    forget_command();
    sasl_.reset();
    return send({});
  }

  Output on_line_too_long() override { return send("* BYE line too long\r\n", Output::Next::Close); }
  std::string on_timeout() override { return "* BYE autologout; idle for too long\r\n"; }
  std::string on_shutdown() override { return "* BYE server shutting down\r\n"; }

 private:
  static Output bad(const std::string& tag, std::string_view text) {
    return send((tag.empty() ? std::string("*") : tag) + " BAD " + std::string(text) + "\r\n");
  }
  static Output ok(const std::string& tag, std::string_view verb) {
    return send(tag + " OK " + std::string(verb) + " completed\r\n");
  }

  static std::string tag_of(std::string_view line) {
    std::size_t n = 0;
    while (n < line.size() && is_tag_char(line[n])) ++n;
    if (n == line.size() || line[n] != ' ') return {};
    return std::string(line.substr(0, n));
  }

  bool starttls_offered() const { return state_.starttls_available && !state_.tls && !logged_in_; }

  std::string capabilities() const {
    std::string out = "IMAP4rev1 LITERAL+ ID";
    if (logged_in_) return out + " NAMESPACE UNSELECT";
    out += " SASL-IR";
    if (starttls_offered()) out += " STARTTLS";
    if (!cleartext_permitted(state_)) out += " LOGINDISABLED";
    for (const auto m : offered_mechanisms(state_)) (out += " AUTH=") += sasl_mechanism_name(m);
    return out;
  }

  void forget_command() {
    for (auto& segment : segments_) wipe_string(segment);
    segments_.clear();
    literal_bytes_ = 0;
  }

  Output announce(const LiteralAnnouncement& literal) {
    const std::size_t literals = segments_.size() / 2 + 1;
    const bool too_large = literal.too_large || literal_bytes_ + literal.size > limits_.max_literal ||
                           literals > kMaxLiteralsPerCommand;
    if (too_large) {
      const std::string tag = tag_of(segments_.front());
      forget_command();
      // The client of a non-synchronising literal sends the bytes anyway:
      // they cannot be told apart from commands, so the connection ends.
      if (!literal.synchronising) return send("* BYE literal too large\r\n", Output::Next::Close);
      return bad(tag, "literal too large");
    }
    literal_bytes_ += literal.size;
    Output out = send(literal.synchronising ? "+ Ready for literal data\r\n" : std::string{},
                      Output::Next::ReadLiteral);
    out.literal_size = literal.size;
    return out;
  }

  Output execute() {
    CommandParser p(segments_);
    const auto tag = p.tag();
    if (!tag || !p.space()) return bad({}, "invalid tag");
    const auto verb_text = p.atom();
    if (!verb_text) return bad(*tag, "missing command");
    const std::string verb = base::upper_ascii(*verb_text);

    if (verb == "CAPABILITY") return simple(p, *tag, verb, "* CAPABILITY " + capabilities() + "\r\n");
    if (verb == "NOOP") return simple(p, *tag, verb, {});
    if (verb == "LOGOUT") {
      if (!p.at_end()) return bad(*tag, "LOGOUT takes no arguments");
      return send("* BYE " + state_.server_name + " logging out\r\n" + *tag + " OK LOGOUT completed\r\n",
                  Output::Next::Close);
    }
    if (verb == "ID") return send("* ID (\"name\" \"authhost\")\r\n" + *tag + " OK ID completed\r\n");
    if (verb == "STARTTLS") {
      if (!p.at_end()) return bad(*tag, "STARTTLS takes no arguments");
      if (!starttls_offered()) return bad(*tag, "STARTTLS not available");
      return send(*tag + " OK Begin TLS negotiation now\r\n", Output::Next::StartTls);
    }
    if (verb == "LOGIN") return login_command(p, *tag);
    if (verb == "AUTHENTICATE") return authenticate(p, *tag);
    if (!logged_in_) {
      if (is_known_command(verb)) return bad(*tag, verb + " needs a login first");
      return bad(*tag, "unknown command");
    }
    return authenticated(p, *tag, verb);
  }

  Output simple(CommandParser& p, const std::string& tag, const std::string& verb, std::string untagged) {
    if (!p.at_end()) return bad(tag, verb + " takes no arguments");
    return send(untagged + tag + " OK " + verb + " completed\r\n");
  }

  static bool is_known_command(std::string_view verb) {
    for (const std::string_view v : {"SELECT", "EXAMINE", "CREATE", "DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE",
                                     "LIST", "LSUB", "STATUS", "APPEND", "CHECK", "CLOSE", "EXPUNGE", "SEARCH",
                                     "FETCH", "STORE", "COPY", "UID", "UNSELECT", "NAMESPACE", "ENABLE", "IDLE"}) {
      if (verb == v) return true;
    }
    return false;
  }

  Output login_command(CommandParser& p, const std::string& tag) {
    if (logged_in_) return bad(tag, "already logged in");
    std::optional<std::string> name;
    std::optional<std::string> password;
    if (p.space()) name = p.astring();
    if (name && p.space()) password = p.astring();
    const bool well_formed = name && password && p.at_end();
    if (!well_formed) {
      if (password) wipe_string(*password);
      return bad(tag, "LOGIN expects a user name and a password");
    }
    if (!cleartext_permitted(state_)) {
      wipe_string(*password);
      return send(tag + " NO [PRIVACYREQUIRED] " + std::string(login_text::secure_required) + "\r\n");
    }
    LoginRequest request;
    request.name = std::move(*name);
    request.method = LoginMethod::Plain;
    request.secret.assign(*password);
    wipe_string(*password);
    login_tag_ = tag;
    login_verb_ = "LOGIN";
    return login(std::move(request), "LOGIN");
  }

  Output authenticate(CommandParser& p, const std::string& tag) {
    if (logged_in_) return bad(tag, "already logged in");
    std::optional<std::string> name;
    if (p.space()) name = p.atom();
    if (!name) return bad(tag, "AUTHENTICATE expects a mechanism");
    std::optional<std::string> initial;
    if (p.space()) {
      initial = p.word(is_astring_char);
      if (!initial) return bad(tag, "invalid initial response");
    }
    if (!p.at_end()) return bad(tag, "AUTHENTICATE expects a mechanism and an initial response");
    const auto mechanism = parse_sasl_mechanism(*name);
    if (!mechanism) return send(tag + " NO unsupported authentication mechanism\r\n");
    if (is_cleartext_mechanism(*mechanism) && !cleartext_permitted(state_)) {
      if (initial) wipe_string(*initial);
      return send(tag + " NO [PRIVACYREQUIRED] " + std::string(login_text::secure_required) + "\r\n");
    }
    sasl_.emplace(*mechanism, state_);
    sasl_tag_ = tag;
    Output out = sasl_step(sasl_->start(initial ? std::optional<std::string_view>(*initial) : std::nullopt));
    if (initial) wipe_string(*initial);
    return out;
  }

  Output sasl_response(std::string_view line) {
    if (has_forbidden_bytes(line)) {
      sasl_.reset();
      return bad(sasl_tag_, "NUL or CR in authentication response");
    }
    return sasl_step(sasl_->respond(line));
  }

  Output sasl_step(SaslStep step) {
    const std::string tag = sasl_tag_;
    switch (step.kind) {
      case SaslStep::Kind::Challenge:
        return send("+ " + step.challenge + "\r\n");
      case SaslStep::Kind::Login: {
        const std::string mechanism = "AUTHENTICATE " + std::string(sasl_mechanism_name(sasl_->mechanism()));
        LoginRequest request = std::move(sasl_->request());
        sasl_.reset();
        login_tag_ = tag;
        login_verb_ = "AUTHENTICATE";
        return login(std::move(request), mechanism);
      }
      case SaslStep::Kind::Cancelled:
        sasl_.reset();
        return bad(tag, "AUTHENTICATE cancelled");
      case SaslStep::Kind::Malformed:
        sasl_.reset();
        return bad(tag, step.text);
      case SaslStep::Kind::Refused:
        sasl_.reset();
        return rejected(tag, step.text);
    }
    sasl_.reset();
    return bad(tag, "AUTHENTICATE failed");
  }

  Output rejected(const std::string& tag, const std::string& text) {
    const std::string answer = tag + " NO [AUTHENTICATIONFAILED] " + text + "\r\n";
    if (too_many_failures()) return send("* BYE too many failed logins\r\n" + answer, Output::Next::Close);
    return send(answer);
  }

  Output authenticated(CommandParser& p, const std::string& tag, const std::string& verb) {
    if (verb == "SELECT" || verb == "EXAMINE") return select(p, tag, verb);
    if (verb == "LIST" || verb == "LSUB") return list(p, tag, verb);
    if (verb == "STATUS") return status(p, tag);
    if (verb == "NAMESPACE") return simple(p, tag, verb, "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n");
    if (verb == "CHECK" || verb == "CLOSE" || verb == "UNSELECT") {
      if (!selected_) return bad(tag, "no mailbox selected");
      if (!p.at_end()) return bad(tag, verb + " takes no arguments");
      if (verb != "CHECK") selected_ = false;
      return ok(tag, verb);
    }
    if (is_known_command(verb)) return send(tag + " NO [CANNOT] " + verb + " is not available: this host keeps no mail\r\n");
    return bad(tag, "unknown command");
  }

  Output select(CommandParser& p, const std::string& tag, const std::string& verb) {
    std::optional<std::string> mailbox;
    if (p.space()) mailbox = p.astring();
    if (!mailbox || !p.at_end()) return bad(tag, verb + " expects a mailbox name");
    selected_ = false;
    if (!is_inbox(*mailbox)) return send(tag + " NO [NONEXISTENT] mailbox does not exist\r\n");
    selected_ = true;
    const bool read_write = verb == "SELECT";
    std::string out = "* FLAGS (" + std::string(kFlags) + ")\r\n* 0 EXISTS\r\n* 0 RECENT\r\n";
    out += read_write ? "* OK [PERMANENTFLAGS (" + std::string(kFlags) + " \\*)] flags permitted\r\n"
                      : std::string("* OK [PERMANENTFLAGS ()] read-only\r\n");
    out += "* OK [UIDVALIDITY 1] UIDs valid\r\n* OK [UIDNEXT 1] predicted next UID\r\n";
    out += tag + (read_write ? " OK [READ-WRITE] " : " OK [READ-ONLY] ") + verb + " completed\r\n";
    return send(std::move(out));
  }

  Output list(CommandParser& p, const std::string& tag, const std::string& verb) {
    std::optional<std::string> reference;
    std::optional<std::string> pattern;
    if (p.space()) reference = p.astring();
    if (reference && p.space()) pattern = p.list_mailbox();
    if (!pattern || !p.at_end()) return bad(tag, verb + " expects a reference and a mailbox pattern");
    std::string out;
    if (pattern->empty()) {
      if (verb == "LIST") out = "* LIST (\\Noselect) \"/\" \"\"\r\n";
    } else if (wildcard_match(*reference + *pattern, "INBOX")) {
      out = "* " + verb + (verb == "LIST" ? " (\\HasNoChildren)" : " ()") + " \"/\" INBOX\r\n";
    }
    return send(out + tag + " OK " + verb + " completed\r\n");
  }

  Output status(CommandParser& p, const std::string& tag) {
    std::optional<std::string> mailbox;
    if (p.space()) mailbox = p.astring();
    if (!mailbox || !p.space() || !p.literal_char('(')) return bad(tag, "STATUS expects a mailbox and items");
    std::string items;
    do {
      const auto item = p.atom();
      if (!item) return bad(tag, "STATUS expects a mailbox and items");
      const std::string name = base::upper_ascii(*item);
      std::string_view value;
      if (name == "MESSAGES" || name == "RECENT" || name == "UNSEEN") value = "0";
      else if (name == "UIDNEXT" || name == "UIDVALIDITY") value = "1";
      else return bad(tag, "unknown STATUS item");
      if (!items.empty()) items += ' ';
      items += name + " " + std::string(value);
    } while (p.space());
    if (!p.literal_char(')') || !p.at_end()) return bad(tag, "STATUS expects a mailbox and items");
    if (!is_inbox(*mailbox)) return send(tag + " NO [NONEXISTENT] mailbox does not exist\r\n");
    return send("* STATUS INBOX (" + items + ")\r\n" + tag + " OK STATUS completed\r\n");
  }

  std::vector<std::string> segments_;
  std::size_t literal_bytes_ = 0;
  std::optional<SaslExchange> sasl_;
  std::string sasl_tag_;
  std::string login_tag_;
  std::string login_verb_;
  bool selected_ = false;
};

}  // namespace

std::unique_ptr<Session> make_imap_session(const ConnectionState& state, const SessionLimits& limits) {
  return std::make_unique<ImapSession>(state, limits);
}

}  // namespace authd::host::fronts
