#include "host/conformance/conformance.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <random>

#include "host/conformance/probe_session.hpp"
#include "host/conformance/request_lines.hpp"
#include "host/conformance/statistics.hpp"
#include "host/helper/pipe_signal.hpp"
#include "protocol/limits.hpp"
#include "protocol/log_text.hpp"
#include "protocol/quoting.hpp"

namespace authd::host::conformance {

namespace {

using namespace std::chrono_literals;

// The battery in report order. Names are stable: scripts read them.
constexpr CaseInfo cases[] = {
    {"intf-1", "INTF 1 is answered \"OK v\" or \"INTF v\", v = min(1, the helper's version)"},
    {"intf-2", "INTF 2 is answered \"OK v\" or \"INTF v\", v = min(2, the helper's version)"},
    {"intf-3", "INTF 3 (newer than any helper) is answered with the helper's own version, at most 3"},
    {"right-atom", "each account's right password, sent as an atom, is accepted"},
    {"right-quoted", "the same passwords sent as quoted strings (\"...\") are accepted"},
    {"wrong-atom", "a wrong password, sent as an atom, is rejected with ERROR"},
    {"wrong-quoted", "a wrong password, sent as a quoted string, is rejected with ERROR"},
    {"password-space", "a password with a space is accepted whole; the right password plus \" x\" is not"},
    {"password-quote", "a password with a quote (\\\") is accepted; the right password plus a quote is not"},
    {"password-backslash", "a password with a backslash (\\\\) is accepted; the right password plus one is not"},
    {"password-ddd", "\\ddd codes decode to their byte: the right password with a byte as \\ddd is accepted, "
                     "the right one plus \\001 is not"},
    {"password-utf8", "a UTF-8 password is accepted byte for byte; the right password plus \"\xc3\xa9\" is not"},
    {"name-case", "names and domains compare without case: NAME@DOMAIN in upper case is accepted"},
    {"unknown-name", "an unknown name is rejected with ERROR, in the same words as a wrong password"},
    {"empty-password", "an empty password (\"\") is rejected with ERROR"},
    {"missing-password", "a VRFY without a password is rejected with ERROR"},
    {"in-flight", "100 requests in flight: each answered once, by its number, with the right verdict"},
    {"slow-fast", "a slow request does not hold up a fast one sent after it"},
    {"max-line", "a request of exactly 8192 bytes (extra arguments ignored) is served"},
    {"over-long-line", "a line over 8192 bytes gets ERROR or nothing and never turns into a second request"},
    {"nul-in-line", "a NUL byte (raw or \\000) never lets a request through as if the line ended there"},
    {"cr-in-line", "CR LF ends a line like LF; a CR inside a line is just a byte"},
    {"unknown-command", "an unknown command and an unknown SASL method get ERROR"},
    {"response-length", "every answer line, of every case, fits in 4096 bytes, even for huge requests"},
    {"sequence-echo", "sequence numbers come back byte for byte (leading zeros, 20 digits)"},
    {"end-of-input", "at end of input the helper answers what it holds and exits with status 0 within 5 s"},
    {"timing", "an unknown name and a wrong password take the same time to answer (Welch's t)"},
};

constexpr std::size_t max_listed_lines = 40;   // per case and direction in the report
constexpr std::size_t in_flight_requests = 100;
constexpr std::size_t timing_lanes = 16;       // timing requests in flight at once, for a concurrent helper
constexpr double timing_t_limit = 4.5;
constexpr auto eof_limit = 5s;                 // the contract's bound on exiting after end of input
constexpr auto short_grace = 1s;               // for helpers that do not exit at end of input
constexpr auto slow_margin = 20ms;             // how long a fast answer must wait to count as held up

// What a probe's answer must be.
enum class Expect {
  Ok,
  Error,
  NotOk,           // an answer, and not OK (ERROR or FAILURE)
  ErrorOrNothing,  // ERROR, or no answer at all
  AnyAnswer,
};

struct Probe {
  std::string seq;
  Expect expect;
  std::string what;  // what the probe sends, in words
};

std::string_view expect_words(Expect expect) {
  switch (expect) {
    case Expect::Ok: return "OK";
    case Expect::Error: return "ERROR";
    case Expect::NotOk: return "an answer other than OK";
    case Expect::ErrorOrNothing: return "ERROR or no answer";
    case Expect::AnyAnswer: return "an answer";
  }
  return "";
}

bool status_is(const AnswerLine* line, protocol::Status status) {
  return line != nullptr && line->response && !line->response->intf_form && line->response->status == status;
}

std::string to_upper_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

std::string domain_of(std::string_view address) {
  const auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : std::string(address.substr(at + 1));
}

std::string random_hex(std::size_t digits) {
  std::random_device device;
  std::string out;
  static constexpr char hex[] = "0123456789abcdef";
  while (out.size() < digits) out.push_back(hex[device() % 16]);
  return out;
}

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "ended by signal " + std::to_string(WTERMSIG(status));
  return "ended";
}

class Battery {
 public:
  Battery(const Options& options, Report& report) : options_(options), report_(report) {
    primary_ = 0;
    for (std::size_t i = 0; i < options_.accounts.size(); ++i) {
      if (protocol::is_atom(options_.accounts[i].password.view())) {
        primary_ = i;
        break;
      }
    }
    wrong_ = "cf-wrong-" + random_hex(8);
    unknown_ = options_.unknown.empty() ? "conformance-nobody-" + random_hex(6) + "@" + domain_of(primary().address)
                                        : options_.unknown;
    for (const auto& account : options_.accounts) masks_.add(account.address, account.password.view());
    for (const auto& account : options_.accounts) report_.accounts.push_back(shown_safe(account.address));
    report_.unknown = shown_safe(unknown_);
    report_.timeout = options_.timeout;
  }

  void run() {
    if (!preflight()) return;
    // First, so that the rest knows how long an ending may take.
    end_of_input();
    intf();
    right_passwords();
    wrong_passwords();
    special_passwords();
    name_case();
    unknown_name();
    empty_and_missing();
    in_flight();
    slow_fast();
    max_line();
    over_long_line();
    nul_in_line();
    cr_in_line();
    unknown_command();
    sequence_echo();
    timing();
    response_length();  // last: it also judges the answers of every other case
    for (const auto& info : battery()) {
      auto found = results_.find(std::string(info.name));
      if (found != results_.end()) report_.cases.push_back(std::move(found->second));
    }
  }

 private:
  // ---- accounts and passwords ----

  const Account& primary() const { return options_.accounts[primary_]; }

  Password right(const Account& account) const {
    return {Secret(account.password.view()), "<password of " + account.address + ">"};
  }
  Password right_plus(const Account& account, std::string_view suffix, std::string_view suffix_shown) const {
    Password p;
    p.bytes.reserve(account.password.size() + suffix.size());
    p.bytes.append(account.password.view());
    p.bytes.append(suffix);
    p.shown = "<password of " + account.address + ">" + std::string(suffix_shown);
    return p;
  }
  Password made_up(std::string_view text) const { return {Secret(text), std::string(text)}; }
  Password wrong() const { return made_up(wrong_); }

  // ---- sessions ----

  std::chrono::milliseconds grace() const { return exits_at_end_of_input_ ? eof_limit : short_grace; }

  std::unique_ptr<ProbeSession> open(CaseReport& c, bool handshake = true) {
    auto session = std::make_unique<ProbeSession>(options_.command, options_.timeout);
    if (const auto why = session->start()) {
      c.result = Result::Fail;
      c.detail = "the helper could not be started for this case: " + shown_safe(*why);
      return nullptr;
    }
    if (handshake) session->handshake();
    return session;
  }

  CaseReport& begin(std::string_view name) {
    CaseReport& c = results_[std::string(name)];
    c.name = std::string(name);
    for (const auto& info : battery())
      if (info.name == name) c.explanation = std::string(info.explanation);
    return c;
  }

  // Copies what the session sent and received into the case, and fails it
  // for any broken rule the session saw (answers to numbers never sent, ...).
  void record(CaseReport& c, const ProbeSession& session, std::size_t max_lines = max_listed_lines) {
    const auto& sent = session.sent_shown();
    for (std::size_t i = 0; i < sent.size() && c.sent.size() < max_lines; ++i) c.sent.push_back(sent[i]);
    if (sent.size() > max_lines) c.sent.push_back("... " + std::to_string(sent.size() - max_lines) + " more lines");
    const auto& answers = session.answers();
    for (std::size_t i = 0; i < answers.size() && c.received.size() < max_lines; ++i) {
      std::string text = shown_safe(masks_.masked(answers[i].text));
      if (answers[i].overlong) text += " ... (over-long line: its first bytes only)";
      c.received.push_back(std::move(text));
    }
    if (answers.size() > max_lines)
      c.received.push_back("... " + std::to_string(answers.size() - max_lines) + " more lines");
    for (const auto& line : answers)
      if (line.overlong) overlong_cases_.push_back(c.name);
    if (!session.problems().empty()) {
      std::string problems;
      for (const auto& p : session.problems()) problems += (problems.empty() ? "" : "; ") + shown_safe(p);
      fail(c, problems);
    }
  }

  // A helper that closed its output before its input ended most likely
  // died: saying how explains the answers that never came.
  static void note_early_end(CaseReport& c, const SessionEnd& ending) {
    if (!ending.closed_early) return;
    fail(c, "the helper stopped before the end of its input (it " +
                (ending.exited ? describe_wait_status(ending.status) : std::string("closed its output")) + ")");
  }

  static void fail(CaseReport& c, const std::string& why) {
    c.result = Result::Fail;
    c.detail += (c.detail.empty() ? "" : "; ") + why;
  }

  std::string answer_text(const AnswerLine* line) const {
    return line == nullptr ? "no answer" : "\"" + shown_safe(masks_.masked(line->text)) + "\"";
  }

  // Checks each probe's answer; true when all are as expected.
  bool check(CaseReport& c, const ProbeSession& session, const std::vector<Probe>& probes) {
    bool all = true;
    for (const auto& probe : probes) {
      const AnswerLine* line = session.answer(probe.seq);
      bool as_expected = false;
      switch (probe.expect) {
        case Expect::Ok: as_expected = status_is(line, protocol::Status::Ok); break;
        case Expect::Error: as_expected = status_is(line, protocol::Status::Error); break;
        case Expect::NotOk: as_expected = line != nullptr && !status_is(line, protocol::Status::Ok); break;
        case Expect::ErrorOrNothing: as_expected = line == nullptr || status_is(line, protocol::Status::Error); break;
        case Expect::AnyAnswer: as_expected = line != nullptr; break;
      }
      if (!as_expected) {
        all = false;
        fail(c, probe.seq + " (" + probe.what + "): expected " + std::string(expect_words(probe.expect)) + ", got " +
                    answer_text(line));
      }
    }
    return all;
  }

  // The usual shape of a case: send the probes' lines in one go, wait for
  // the answers that must come, end the helper, check.
  void run_probes(CaseReport& c, std::vector<RequestLine> lines, const std::vector<Probe>& probes,
                  const std::string& pass_detail) {
    auto session = open(c);
    if (!session) return;
    session->send(std::move(lines));
    std::vector<std::string> required;
    for (const auto& probe : probes)
      if (probe.expect != Expect::ErrorOrNothing) required.push_back(probe.seq);
    session->wait_for(required);
    const auto ending = session->end(grace());
    c.result = Result::Pass;
    check(c, *session, probes);
    record(c, *session);
    note_early_end(c, ending);
    if (c.result == Result::Pass) c.detail = pass_detail;
  }

  std::string next_seq() { return std::to_string(++seq_); }

  RequestLine vrfy(const std::string& seq, const std::string& address, const Password& password, Form form) {
    return LineBuilder(seq).text(" VRFY " + address + " ").password(password, form).finish();
  }

  // ---- the cases ----

  bool preflight() {
    // The helper's standard error goes to a file of ours, so that a helper
    // that will not start can say why in the report.
    std::string stderr_path = (std::filesystem::temp_directory_path() / "authhost-conformance-XXXXXX").string();
    const int fd = ::mkstemp(stderr_path.data());
    if (fd >= 0) ::close(fd);
    else stderr_path.clear();
    ProbeSession session(options_.command, options_.timeout, stderr_path);
    if (const auto why = session.start()) {
      report_.could_not_run = shown_safe(*why);
      if (!stderr_path.empty()) std::filesystem::remove(stderr_path);
      return false;
    }
    std::vector<RequestLine> lines;
    lines.push_back(LineBuilder("1").text(" INTF 2").finish());
    lines.push_back(vrfy("2", primary().address, right(primary()), Form::Natural));
    session.send(std::move(lines));
    session.wait_for({"1", "2"});
    const bool answered = std::any_of(session.answers().begin(), session.answers().end(),
                                      [](const AnswerLine& line) { return line.response.has_value(); });
    const auto ending = session.end(short_grace);
    if (!answered) {
      report_.could_not_run = "the helper answered neither \"1 INTF 2\" nor a VRFY within " +
                              std::to_string(options_.timeout.count()) + " ms";
      if (ending.exited) report_.could_not_run += "; it " + describe_wait_status(ending.status);
      report_.could_not_run += stderr_excerpt(stderr_path);
    }
    if (!stderr_path.empty()) std::filesystem::remove(stderr_path);
    return answered;
  }

  std::string stderr_excerpt(const std::string& path) const {
    std::ifstream in(path, std::ios::binary);
    std::string text(4096, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.empty()) return {};
    std::string out = "; its standard error:";
    std::size_t start = 0;
    for (int lines = 0; start < text.size() && lines < 5; ++lines) {
      const auto end = std::min(text.find('\n', start), text.size());
      out += "\n    " + protocol::log_safe_text(masks_.masked(text.substr(start, end - start)), 300);
      start = end + 1;
    }
    return out;
  }

  void end_of_input() {
    CaseReport& c = begin("end-of-input");
    auto session = open(c);
    if (!session) return;
    std::vector<RequestLine> lines;
    lines.push_back(vrfy("2", primary().address, wrong(), Form::Natural));
    lines.push_back(vrfy("3", primary().address, right(primary()), Form::Natural));
    session->send(std::move(lines));
    // No wait: the input ends with both requests in flight.
    const auto ending = session->end(eof_limit);
    c.result = Result::Pass;
    check(c, *session, {{"2", Expect::AnyAnswer, "a wrong password, in flight at the end of input"},
                        {"3", Expect::AnyAnswer, "the right password, in flight at the end of input"}});
    record(c, *session);
    const std::string took = fixed(std::chrono::duration<double>(ending.took).count(), 2) + " s";
    exits_at_end_of_input_ = ending.exited;
    if (!ending.exited) {
      fail(c, "still running " + std::to_string(eof_limit.count()) + " s after the end of its input: killed");
    } else if (!WIFEXITED(ending.status) || WEXITSTATUS(ending.status) != 0) {
      fail(c, describe_wait_status(ending.status) + " " + took + " after the end of its input, not with status 0");
    } else if (c.result == Result::Pass) {
      c.detail = "answered both requests in flight and exited with status 0, " + took + " after the end of its input";
    }
  }

  void intf() {
    struct Seen {
      CaseReport* c;
      unsigned offered;
      std::optional<std::uint64_t> version;  // as announced
    };
    std::vector<Seen> seen;
    std::uint64_t highest = 0;
    for (const unsigned offered : {1U, 2U, 3U}) {
      CaseReport& c = begin("intf-" + std::to_string(offered));
      seen.push_back({&c, offered, std::nullopt});
      auto session = open(c, false);
      if (!session) continue;
      session->send(LineBuilder("1").text(" INTF " + std::to_string(offered)).finish());
      session->wait_for({"1"});
      const auto ending = session->end(grace());
      c.result = Result::Pass;
      const AnswerLine* line = session->answer("1");
      const std::string got = answer_text(line);
      if (line == nullptr) {
        fail(c, "no answer within " + std::to_string(options_.timeout.count()) + " ms");
      } else if (line->response->intf_form || line->response->status == protocol::Status::Ok) {
        if (!line->response->version) {
          c.detail = "answered " + got + " without a version: the host serves it at version 0";
        } else if (*line->response->version > offered) {
          fail(c, "answered " + got + ": a version above the " + std::to_string(offered) + " the host offered");
        } else {
          seen.back().version = line->response->version;
          highest = std::max(highest, *line->response->version);
          c.detail = "answered " + got + (line->response->intf_form ? " (the compat INTF form)" : "");
        }
      } else if (line->response->status == protocol::Status::Error) {
        c.detail = "answered " + got + ": a helper from before INTF, which the host serves at version 0";
      } else {
        fail(c, "answered " + got + ": FAILURE is no answer to INTF");
      }
      note_early_end(c, ending);
      record(c, *session);
    }
    // One helper version must explain every answer: v = min(offered, it).
    for (auto& s : seen) {
      if (!s.version || s.c->result != Result::Pass) continue;
      const auto expected = std::min<std::uint64_t>(s.offered, highest);
      if (*s.version != expected)
        fail(*s.c, "announced version " + std::to_string(*s.version) + ", but another INTF was answered with " +
                       std::to_string(highest) + ": expected min(" + std::to_string(s.offered) + ", " +
                       std::to_string(highest) + ") = " + std::to_string(expected));
    }
  }

  void right_passwords() {
    for (const bool quoted : {false, true}) {
      CaseReport& c = begin(quoted ? "right-quoted" : "right-atom");
      std::vector<RequestLine> lines;
      std::vector<Probe> probes;
      seq_ = 1;
      for (const auto& account : options_.accounts) {
        if (!protocol::is_atom(account.password.view())) continue;
        const auto seq = next_seq();
        lines.push_back(vrfy(seq, account.address, right(account), quoted ? Form::Quoted : Form::Atom));
        probes.push_back({seq, Expect::Ok, "the right password of " + account.address});
      }
      if (probes.empty()) {
        c.result = Result::NotApplicable;
        c.detail = "no supplied password can travel as an atom (each has a space, a quote, a backslash or a "
                   "control byte); the password-* cases send them";
        continue;
      }
      run_probes(c, std::move(lines), probes, std::to_string(probes.size()) + " accepted");
    }
  }

  void wrong_passwords() {
    for (const bool quoted : {false, true}) {
      CaseReport& c = begin(quoted ? "wrong-quoted" : "wrong-atom");
      std::vector<RequestLine> lines;
      std::vector<Probe> probes;
      seq_ = 1;
      for (const auto& account : options_.accounts) {
        const auto seq = next_seq();
        lines.push_back(vrfy(seq, account.address, wrong(), quoted ? Form::Quoted : Form::Atom));
        probes.push_back({seq, Expect::Error, "a wrong password for " + account.address});
      }
      run_probes(c, std::move(lines), probes, std::to_string(probes.size()) + " rejected with ERROR");
    }
  }

  // A password holding `special` is accepted (when an account has one),
  // and the primary's right password plus `suffix` is not.
  void special_password(std::string_view name, const std::function<bool(std::string_view)>& holds,
                        std::string_view suffix, std::string_view suffix_shown, bool first_byte_ddd = false) {
    CaseReport& c = begin(name);
    std::vector<RequestLine> lines;
    std::vector<Probe> probes;
    seq_ = 1;
    std::size_t accepted = 0;
    if (first_byte_ddd) {
      const auto seq = next_seq();
      lines.push_back(vrfy(seq, primary().address, right(primary()), Form::FirstByteDdd));
      probes.push_back({seq, Expect::Ok, "the right password of " + primary().address + ", first byte as \\ddd"});
      ++accepted;
    }
    for (const auto& account : options_.accounts) {
      if (!holds(account.password.view())) continue;
      const auto seq = next_seq();
      lines.push_back(vrfy(seq, account.address, right(account), Form::Natural));
      probes.push_back({seq, Expect::Ok, "the right password of " + account.address});
      ++accepted;
    }
    const auto seq = next_seq();
    lines.push_back(vrfy(seq, primary().address, right_plus(primary(), suffix, suffix_shown), Form::Natural));
    probes.push_back({seq, Expect::Error, "the right password of " + primary().address + " plus " +
                                              std::string(suffix_shown) + ": a wrong password"});
    run_probes(c, std::move(lines), probes,
               accepted == 0 ? "no supplied password has one; the wrong password that holds one was rejected"
                             : std::to_string(accepted) + " accepted, the wrong one rejected");
  }

  void special_passwords() {
    special_password("password-space", [](std::string_view p) { return p.find(' ') != p.npos; }, " x", " x");
    special_password("password-quote", [](std::string_view p) { return p.find('"') != p.npos; }, "\"", "\\\"");
    special_password("password-backslash", [](std::string_view p) { return p.find('\\') != p.npos; }, "\\", "\\\\");
    special_password(
        "password-ddd",
        [](std::string_view p) {
          return std::any_of(p.begin(), p.end(), [](char ch) {
            const auto b = static_cast<unsigned char>(ch);
            return b < 0x20 || b == 0x7f;
          });
        },
        "\x01", "\\001", true);
    special_password(
        "password-utf8",
        [](std::string_view p) {
          return std::any_of(p.begin(), p.end(), [](char ch) { return static_cast<unsigned char>(ch) >= 0x80; });
        },
        "\xc3\xa9", "\xc3\xa9");
  }

  void name_case() {
    CaseReport& c = begin("name-case");
    std::vector<RequestLine> lines;
    std::vector<Probe> probes;
    seq_ = 1;
    // Accounts whose password travels as an atom, so that only the name's
    // case is on trial (all of them when none does).
    const bool any_atom = std::any_of(options_.accounts.begin(), options_.accounts.end(),
                                      [](const Account& a) { return protocol::is_atom(a.password.view()); });
    for (const auto& account : options_.accounts) {
      const std::string upper = to_upper_ascii(account.address);
      if (upper == account.address || (any_atom && !protocol::is_atom(account.password.view()))) continue;
      const auto seq = next_seq();
      lines.push_back(vrfy(seq, upper, right(account), Form::Natural));
      probes.push_back({seq, Expect::Ok, "the right password of " + account.address + ", the name as " + upper});
    }
    if (probes.empty()) {
      c.result = Result::NotApplicable;
      c.detail = "no supplied name has a letter to change";
      return;
    }
    run_probes(c, std::move(lines), probes, std::to_string(probes.size()) + " accepted in upper case");
  }

  void unknown_name() {
    CaseReport& c = begin("unknown-name");
    auto session = open(c);
    if (!session) return;
    std::vector<RequestLine> lines;
    lines.push_back(vrfy("2", primary().address, wrong(), Form::Natural));
    // The primary's real password: a helper that checks it against the
    // wrong entry (or any entry) would accept it.
    lines.push_back(vrfy("3", unknown_, right(primary()), Form::Natural));
    session->send(std::move(lines));
    session->wait_for({"2", "3"});
    const auto ending = session->end(grace());
    c.result = Result::Pass;
    check(c, *session, {{"3", Expect::Error, "an unknown name (with the password of " + primary().address + ")"}});
    record(c, *session);
    note_early_end(c, ending);
    if (c.result != Result::Pass) return;
    const AnswerLine* unknown = session->answer("3");
    const AnswerLine* wrong_answer = session->answer("2");
    if (!status_is(wrong_answer, protocol::Status::Error)) {
      c.detail = "rejected with ERROR; the wrong password's answer (" + answer_text(wrong_answer) +
                 ") is no ERROR to compare with (see wrong-atom)";
      return;
    }
    if (unknown->response->text != wrong_answer->response->text) {
      c.result = Result::Finding;
      c.detail = "name harvesting: an unknown name gets \"ERROR " + shown_safe(masks_.masked(unknown->response->text)) +
                 "\", a wrong password \"ERROR " + shown_safe(masks_.masked(wrong_answer->response->text)) +
                 "\": anyone can tell which names exist";
      return;
    }
    c.detail = "rejected in the same words as a wrong password";
  }

  void empty_and_missing() {
    {
      CaseReport& c = begin("empty-password");
      std::vector<RequestLine> lines;
      lines.push_back(LineBuilder("2").text(" VRFY " + primary().address + " \"\"").finish());
      run_probes(c, std::move(lines), {{"2", Expect::Error, "an empty password"}}, "rejected with ERROR");
    }
    {
      CaseReport& c = begin("missing-password");
      std::vector<RequestLine> lines;
      lines.push_back(LineBuilder("2").text(" VRFY " + primary().address).finish());
      run_probes(c, std::move(lines), {{"2", Expect::Error, "no password at all"}}, "rejected with ERROR");
    }
  }

  void in_flight() {
    CaseReport& c = begin("in-flight");
    std::vector<RequestLine> lines;
    std::vector<Probe> probes;
    std::vector<std::string> order;
    for (std::size_t i = 0; i < in_flight_requests; ++i) {
      const std::string seq = std::to_string(100 + i);
      const bool right_one = i % 2 == 0;
      lines.push_back(vrfy(seq, primary().address, right_one ? right(primary()) : wrong(), Form::Natural));
      probes.push_back({seq, right_one ? Expect::Ok : Expect::Error, right_one ? "right password" : "wrong password"});
      order.push_back(seq);
    }
    auto session = open(c);
    if (!session) return;
    session->send(std::move(lines));
    session->wait_for(order);
    const auto ending = session->end(grace());
    c.result = Result::Pass;
    check(c, *session, probes);
    record(c, *session);
    note_early_end(c, ending);
    if (c.result != Result::Pass) return;
    // How many answers came before one of a request sent earlier.
    std::size_t overtaking = 0, highest_seen = 0;
    for (const auto& line : session->answers()) {
      if (!line.response) continue;
      const std::size_t number = std::stoul(line.response->seq);
      if (number < highest_seen) ++overtaking;
      highest_seen = std::max(highest_seen, number);
    }
    c.detail = std::to_string(in_flight_requests) + " answered once each, " +
               (overtaking == 0 ? std::string("all in the order sent")
                                : std::to_string(overtaking) + " overtaken by a later request");
  }

  // Whether the helper works on requests side by side. A request the kit
  // can make slow for an arbitrary helper is one that fails: wrong
  // passwords, unknown names and unknown domains often cost a slow hash, a
  // directory search or a deliberate delay. Each is sent just before a
  // right password (fast); if the fast answer ever comes first, the helper
  // answers concurrently. If it never does, the fast answer's wait behind
  // the slow one tells a serial helper (held up) from a case the kit cannot
  // judge (nothing was slow).
  void slow_fast() {
    CaseReport& c = begin("slow-fast");
    auto session = open(c);
    if (!session) return;
    seq_ = 1;
    const auto latency_of = [&](const std::string& seq) -> std::optional<double> {
      const AnswerLine* line = session->answer(seq);
      const auto sent = session->sent_at(seq);
      if (line == nullptr || !sent) return std::nullopt;
      return ms_between(*sent, line->at);
    };
    std::vector<double> alone;
    for (int i = 0; i < 3; ++i) {
      const auto seq = next_seq();
      session->send(vrfy(seq, primary().address, right(primary()), Form::Natural));
      session->wait_for({seq});
      if (const auto ms = latency_of(seq)) alone.push_back(*ms);
    }
    c.result = Result::Pass;
    if (alone.empty()) {
      session->end(grace());
      fail(c, "the right password got no answer within " + std::to_string(options_.timeout.count()) + " ms");
      record(c, *session);
      return;
    }
    const double fast = median_of(alone);
    struct Candidate {
      std::string what;
      std::string address;
    };
    const std::vector<Candidate> candidates = {
        {"a wrong password", primary().address},
        {"an unknown name", unknown_},
        {"a name in an unknown domain", "conformance-nobody@" + random_hex(8) + ".invalid"},
    };
    bool concurrent = false;
    double best_held = -1;
    std::string best_what, concurrent_what;
    for (const auto& candidate : candidates) {
      double least_held = INFINITY;
      for (int trial = 0; trial < 3 && !concurrent; ++trial) {
        const auto slow_seq = next_seq(), fast_seq = next_seq();
        std::vector<RequestLine> pair;
        pair.push_back(vrfy(slow_seq, candidate.address, wrong(), Form::Natural));
        pair.push_back(vrfy(fast_seq, primary().address, right(primary()), Form::Natural));
        session->send(std::move(pair));
        if (!session->wait_for({slow_seq, fast_seq})) {
          check(c, *session, {{slow_seq, Expect::NotOk, candidate.what}, {fast_seq, Expect::Ok, "the right password"}});
          least_held = -1;
          break;
        }
        const auto& answers = session->answers();
        const auto index_of = [&](const std::string& seq) {
          return std::find_if(answers.begin(), answers.end(),
                              [&](const AnswerLine& l) { return l.response && l.response->seq == seq; }) -
                 answers.begin();
        };
        if (index_of(fast_seq) < index_of(slow_seq)) {
          concurrent = true;
          concurrent_what = candidate.what;
          break;
        }
        least_held = std::min(least_held, *latency_of(fast_seq) - fast);
      }
      if (concurrent || c.result == Result::Fail) break;
      if (least_held > best_held) {
        best_held = least_held;
        best_what = candidate.what;
      }
    }
    session->end(grace());
    record(c, *session);
    if (c.result == Result::Fail) return;
    const double threshold = std::max(std::chrono::duration<double, std::milli>(slow_margin).count(), 2 * fast);
    concurrent_ = concurrent;
    if (concurrent) {
      c.detail = "the right password was answered before " + concurrent_what + " sent just ahead of it";
    } else if (best_held >= threshold) {
      c.result = Result::Finding;
      c.detail = "answers one request at a time: the right password waited " + fixed(best_held, 1) +
                 " ms behind " + best_what + " (alone it takes " + fixed(fast, 1) +
                 " ms); one slow backend call holds up every login behind it";
    } else {
      c.result = Result::NotApplicable;
      c.detail = "nothing the kit can send was slow (the right password took " + fixed(fast, 1) +
                 " ms, and waited at most " + fixed(std::max(best_held, 0.0), 1) +
                 " ms behind a failing one), and every answer came in the order sent: whether the helper works "
                 "concurrently cannot be told";
    }
  }

  void max_line() {
    CaseReport& c = begin("max-line");
    LineBuilder line("2");
    line.text(" VRFY " + primary().address + " ").password(right(primary()), Form::Natural).text(" ");
    if (line.size() >= protocol::max_request_line) {
      c.result = Result::NotApplicable;
      c.detail = "the primary account's request alone is longer than 8192 bytes";
      return;
    }
    const std::size_t pad = protocol::max_request_line - line.size();
    line.raw(std::string(pad, 'x'), "x...x");
    std::vector<RequestLine> lines;
    lines.push_back(line.finish("\n", " (" + std::to_string(pad) + " x; 8192 bytes before the LF)"));
    run_probes(c, std::move(lines),
               {{"2", Expect::Ok, "the right password in a line of 8192 bytes, padded by an extra argument"}},
               "served");
  }

  // Over-long lines padded with "7 7 7 ...": wherever a helper that reads in
  // fixed-size pieces cuts such a line, the piece after the cut reads as a
  // request of number 7 (never sent), and any answer to it shows the cut.
  RequestLine over_long(const std::string& seq, std::size_t bytes) {
    LineBuilder line(seq);
    line.text(" VRFY " + primary().address + " ").password(right(primary()), Form::Natural);
    std::string pad;
    while (line.size() + pad.size() < bytes) pad += pad.size() % 2 == 0 ? " " : "7";
    pad.resize(bytes - std::min(bytes, line.size()));
    line.raw(pad, " 7 7 ... 7");
    return line.finish("\n", " (" + std::to_string(bytes) + " bytes before the LF)");
  }

  void over_long_line() {
    CaseReport& c = begin("over-long-line");
    std::vector<RequestLine> lines;
    lines.push_back(over_long("100", protocol::max_request_line + 1));
    lines.push_back(over_long("101", 20000));
    lines.push_back(vrfy("102", primary().address, right(primary()), Form::Natural));
    run_probes(c, std::move(lines),
               {{"100", Expect::ErrorOrNothing, "8193 bytes with the right password"},
                {"101", Expect::ErrorOrNothing, "20000 bytes with the right password"},
                {"102", Expect::Ok, "the right password, after the over-long lines"}},
               "discarded whole; the next request was served");
  }

  void nul_in_line() {
    CaseReport& c = begin("nul-in-line");
    std::vector<RequestLine> lines;
    // Read as a C string, this line ends right after the password.
    lines.push_back(LineBuilder("2")
                        .text(" VRFY " + primary().address + " ")
                        .password(right(primary()), Form::Natural)
                        .raw(std::string_view("\0 x", 3), "<NUL> x")
                        .finish());
    // Decoded into a C string, this password ends before its \000.
    lines.push_back(LineBuilder("3")
                        .text(" VRFY " + primary().address + " ")
                        .password(right_plus(primary(), std::string_view("\0", 1), "\\000"), Form::Quoted)
                        .finish());
    lines.push_back(vrfy("4", primary().address, right(primary()), Form::Natural));
    run_probes(c, std::move(lines),
               {{"2", Expect::ErrorOrNothing, "the right password followed by a raw NUL byte"},
                {"3", Expect::ErrorOrNothing, "the right password followed by \\000"},
                {"4", Expect::Ok, "the right password, after the lines with NUL"}},
               "neither line with a NUL was accepted; the next request was served");
  }

  void cr_in_line() {
    CaseReport& c = begin("cr-in-line");
    std::vector<RequestLine> lines;
    lines.push_back(LineBuilder("2")
                        .text(" VRFY " + primary().address + " ")
                        .password(right(primary()), Form::Natural)
                        .finish("\r\n", "<CR><LF>"));
    lines.push_back(LineBuilder("3")
                        .text(" VRFY " + primary().address + " ")
                        .password(right(primary()), Form::Natural)
                        .raw("\r x", "<CR> x")
                        .finish());
    run_probes(c, std::move(lines),
               {{"2", Expect::Ok, "the right password, the line ended by CR LF"},
                {"3", Expect::Error, "the right password followed by a CR and more bytes"}},
               "CR LF ended a line; a CR inside one did not");
  }

  void unknown_command() {
    CaseReport& c = begin("unknown-command");
    std::vector<RequestLine> lines;
    lines.push_back(LineBuilder("2").text(" XYZZY " + primary().address).finish());
    lines.push_back(LineBuilder("3").text(" SASL(XYZZY) " + primary().address + " 0123abcd <1.2@conformance>").finish());
    run_probes(c, std::move(lines),
               {{"2", Expect::Error, "an unknown command"}, {"3", Expect::Error, "an unknown SASL method"}},
               "both rejected with ERROR");
  }

  void sequence_echo() {
    CaseReport& c = begin("sequence-echo");
    std::vector<RequestLine> lines;
    std::vector<Probe> probes;
    // 98765432109876543210 does not fit in 64 bits.
    for (const char* seq : {"0", "007", "00000000000000000042", "98765432109876543210"}) {
      lines.push_back(vrfy(seq, primary().address, right(primary()), Form::Natural));
      probes.push_back({seq, Expect::Ok, std::string("the right password under number ") + seq});
    }
    run_probes(c, std::move(lines), probes, "every number came back as sent");
  }

  void response_length() {
    CaseReport& c = begin("response-length");
    std::vector<RequestLine> lines;
    const std::string long_name(7000, 'n');
    lines.push_back(LineBuilder("2").text(" XYZZY " + std::string(8000, 'A')).finish("\n", " (8000 A)"));
    lines.push_back(LineBuilder("3")
                        .text(" VRFY ")
                        .raw(long_name, "nnn...n")
                        .text("@" + domain_of(primary().address) + " x")
                        .finish("\n", " (a name of 7000 bytes)"));
    run_probes(c, std::move(lines),
               {{"2", Expect::AnyAnswer, "an unknown command of 8000 bytes"},
                {"3", Expect::NotOk, "a name of 7000 bytes"}},
               "");
    if (!overlong_cases_.empty()) {
      std::string where;
      for (const auto& name : overlong_cases_)
        if (where.find(name) == std::string::npos) where += (where.empty() ? "" : ", ") + name;
      fail(c, "answer lines over 4096 bytes in: " + where);
    }
    if (c.result == Result::Pass) c.detail = "every answer line of every case fits in 4096 bytes";
  }

  // Requests go out in lanes, each with one request in flight, the next
  // sent when its answer is in; each kind is picked at random, half and
  // half. A helper that answered concurrently (slow-fast) gets many lanes;
  // any other gets one, because a queue in front of a serial helper would
  // add the wait for the requests ahead to every sample and drown the
  // difference between the kinds.
  void timing() {
    CaseReport& c = begin("timing");
    auto session = open(c);
    if (!session) return;
    struct Lane {
      std::string seq;  // empty: idle
      bool unknown = false;
    };
    std::vector<Lane> lanes(concurrent_ ? timing_lanes : 1);
    std::vector<double> unknown_ms, wrong_ms;
    std::mt19937 random(std::random_device{}());
    std::vector<bool> kinds;  // the kinds still to send, shuffled in pairs
    const auto start = Clock::now();
    std::size_t next = 100;
    c.result = Result::Pass;
    const auto enough = [&] {
      return (unknown_ms.size() >= options_.timing_samples && wrong_ms.size() >= options_.timing_samples) ||
             Clock::now() - start >= options_.timing_budget;
    };
    bool sending = true;
    for (;;) {
      sending = sending && !enough();
      std::vector<RequestLine> lines;
      for (auto& lane : lanes) {
        if (!lane.seq.empty() || !sending) continue;
        if (kinds.empty()) {
          kinds = {true, false};
          std::shuffle(kinds.begin(), kinds.end(), random);
        }
        lane.unknown = kinds.back();
        kinds.pop_back();
        lane.seq = std::to_string(next++);
        lines.push_back(vrfy(lane.seq, lane.unknown ? unknown_ : primary().address, wrong(), Form::Natural));
      }
      if (!lines.empty()) session->send(std::move(lines));
      std::vector<std::string> waiting;
      for (const auto& lane : lanes)
        if (!lane.seq.empty()) waiting.push_back(lane.seq);
      if (waiting.empty()) break;
      // The oldest request in flight bounds the wait.
      auto oldest = Clock::now();
      for (const auto& seq : waiting) oldest = std::min(oldest, session->sent_at(seq).value_or(oldest));
      if (!session->wait_for_any(waiting, oldest + options_.timeout)) {
        fail(c, "no answer to " + waiting.front() + " (a wrong password or an unknown name) within " +
                    std::to_string(options_.timeout.count()) + " ms");
        break;
      }
      for (auto& lane : lanes) {
        const AnswerLine* line = lane.seq.empty() ? nullptr : session->answer(lane.seq);
        if (line == nullptr) continue;
        if (status_is(line, protocol::Status::Ok)) {
          fail(c, lane.seq + ": a wrong password was accepted: " + answer_text(line));
          sending = false;
        }
        (lane.unknown ? unknown_ms : wrong_ms).push_back(ms_between(*session->sent_at(lane.seq), line->at));
        lane.seq.clear();
      }
    }
    session->end(grace());
    // Hundreds of alike lines: the first few show what the samples were.
    record(c, *session, 8);
    if (c.result == Result::Fail) return;
    if (unknown_ms.size() < 20 || wrong_ms.size() < 20) {
      c.result = Result::NotApplicable;
      c.detail = "only " + std::to_string(std::min(unknown_ms.size(), wrong_ms.size())) + " samples of each in " +
                 std::to_string(options_.timing_budget.count()) + " s: too slow to compare";
      return;
    }
    const double t = welch_t(unknown_ms, wrong_ms);
    c.detail = "Welch t = " + fixed(t, 2) + " over " + std::to_string(unknown_ms.size()) + " + " +
               std::to_string(wrong_ms.size()) + " samples, " + std::to_string(lanes.size()) +
               (lanes.size() == 1 ? " request" : " requests") + " in flight (unknown name: mean " +
               fixed(mean_of(unknown_ms), 2) + " ms, median " + fixed(median_of(unknown_ms), 2) +
               " ms; wrong password: mean " + fixed(mean_of(wrong_ms), 2) + " ms, median " +
               fixed(median_of(wrong_ms), 2) + " ms)";
    if (!(std::abs(t) <= timing_t_limit)) {
      c.result = Result::Finding;
      c.detail += "; |t| > " + fixed(timing_t_limit, 1) + ": the time to answer tells which names exist";
    }
  }

  const Options& options_;
  Report& report_;
  std::size_t primary_ = 0;
  std::string wrong_;
  std::string unknown_;
  PasswordMasks masks_;
  std::map<std::string, CaseReport> results_;
  std::vector<std::string> overlong_cases_;
  bool exits_at_end_of_input_ = true;
  bool concurrent_ = false;  // slow-fast saw a later request answered first
  std::uint64_t seq_ = 1;
};

}  // namespace

std::string_view result_name(Result result) noexcept {
  switch (result) {
    case Result::Pass: return "pass";
    case Result::Fail: return "fail";
    case Result::Finding: return "finding";
    case Result::NotApplicable: return "not applicable";
  }
  return "";
}

std::span<const CaseInfo> battery() { return cases; }

Summary Report::summary() const {
  Summary s;
  for (const auto& c : cases) {
    switch (c.result) {
      case Result::Pass: ++s.pass; break;
      case Result::Fail: ++s.fail; break;
      case Result::Finding: ++s.finding; break;
      case Result::NotApplicable: ++s.not_applicable; break;
    }
  }
  return s;
}

int Report::exit_code() const {
  if (!could_not_run.empty()) return 2;
  return summary().fail == 0 ? 0 : 1;
}

Report run_conformance(const Options& options) {
  Report report;
  for (const auto& word : options.command) report.command.push_back(shown_safe(word));
  if (options.command.empty() || options.accounts.empty()) {
    report.could_not_run = options.command.empty() ? "no helper command given" : "no account given";
    return report;
  }
  const PipeSignalBlocked no_sigpipe;
  Battery battery(options, report);
  battery.run();
  return report;
}

bool read_password_file(const std::string& path, Secret& out, std::string& why) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    why = "cannot read the password file " + path;
    return false;
  }
  // One byte over the limit tells a file that is too long.
  Scratch text(protocol::max_request_line + 2);
  text.text().resize(protocol::max_request_line + 2);
  in.read(text.text().data(), static_cast<std::streamsize>(text.text().size()));
  std::string_view bytes(text.text().data(), static_cast<std::size_t>(in.gcount()));
  if (bytes.ends_with('\n')) bytes.remove_suffix(1);
  if (bytes.ends_with('\r')) bytes.remove_suffix(1);
  if (bytes.size() > protocol::max_request_line) {
    why = "the password in " + path + " is longer than a request line can carry";
  } else if (bytes.empty()) {
    why = "the password file " + path + " is empty: an empty password is never accepted, so it cannot be checked";
  } else if (bytes.find('\0') != std::string_view::npos) {
    why = "the password in " + path + " holds a NUL byte, which the protocol cannot carry";
  } else {
    out.assign(bytes);
    return true;
  }
  return false;
}

}  // namespace authd::host::conformance
