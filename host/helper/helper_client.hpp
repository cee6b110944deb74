// The host's side of the external-authentication protocol: it launches a
// helper program, keeps it running, and sends it requests.
//
// One thread owns the helper: it writes queued requests to the helper's
// standard input, reads its answers, matches them to requests by sequence
// number (byte for byte: "0002" does not answer 2), and enforces time-outs.
// submit() never waits: it queues a request, and its completion runs on the
// client's thread when the answer (or a temporary failure) is known. ask()
// is submit() plus a wait for that completion, for callers that have a
// thread of their own to block (a login on an administration connection,
// the command-line tools); an event loop uses submit(). Either way the wait
// is bounded by the request time-out and one re-send.
//
// Interface versions: after each start the helper is sent INTF and nothing
// else until it answers. "OK v" or "INTF v" sets the version to v, or to
// interface_version when v is higher; ERROR, FAILURE or an OK without a
// version (a helper written before INTF existed) sets version 0. A request's
// "(mode)" is sent only to a helper at version 1 or higher.
//
// Line limit: a request whose line (sequence number, space, command,
// arguments; the LF not counted) would exceed protocol::max_request_line is
// never written, not even in part: it is answered TooLong, a definitive
// rejection, at once.
//
// Faults and what they cause:
//   * an answer with an unknown or already answered number: logged, dropped;
//   * a line that is not a valid response, or longer than 4096 bytes; an
//     INTF answer to anything but INTF; the helper exiting; a request
//     unanswered past the time-out: the helper is broken. It is killed and
//     reaped, and started again after a back-off that doubles with each
//     crash in a row; every pending request is sent again once, to the new
//     helper; a request that was already sent again is answered with a
//     temporary failure instead. Nothing is ever answered twice.
//   * too many crashes in a short time: requests fail fast with a temporary
//     failure until the back-off ends.
//   * more requests waiting than the queue holds: overloaded, failed at once.
// A program named without a slash is looked up on PATH, as a shell does; a
// helper that cannot start is logged with the reason. Only standard input,
// output and error are passed to the helper; its standard error goes to a
// file or nowhere. Every helper process is reaped: none is left a zombie.
//
// Logging: starts, faults, kills and exits are Major lines; the helper's
// "* text" information lines are Detail lines (authhost logs them with -v
// only), and every password or SASL response of a request in flight is
// replaced by *** in them first.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "authd/api/secret.hpp"
#include "protocol/response.hpp"

namespace authd::host {

struct HelperOptions {
  std::vector<std::string> command;  // program and arguments
  std::chrono::milliseconds request_timeout{5000};
  std::chrono::milliseconds restart_backoff{100};     // first pause before a restart
  std::chrono::milliseconds max_restart_backoff{10000};
  std::chrono::milliseconds shutdown_wait{5000};      // after closing its input, before SIGKILL
  std::size_t max_queued = 10000;                     // requests waiting or in flight
  std::string stderr_path;                            // empty: discarded
  unsigned interface_version = 2;                     // sent with INTF
};

enum class AnswerKind {
  Ok,
  Error,     // a definitive rejection, with the helper's text
  Failure,   // the helper's FAILURE, with its text
  TempFail,  // no answer could be had: time-out, overloaded, helper down
  TooLong,   // a definitive rejection: the request line would exceed the protocol's limit; never sent
};

// One request, before its sequence number is known.
class HelperRequest {
 public:
  // `command`: INTF, VRFY, SASL(CRAM-MD5), NEW, ...; `mode`: the service
  // asking (IMAP, POP, ...), empty for none.
  explicit HelperRequest(std::string command, std::string mode = {});
  // "VRFY joe@example.com secret": the first word is the command, the rest is
  // sent as it is (already quoted), with no mode. For tools and tests.
  static HelperRequest from_text(std::string_view text);

  // Append an argument, quoted as the protocol requires.
  HelperRequest& argument(std::string_view value);
  // The same for a password or a SASL response: it is also hidden in the
  // helper's information lines while the request is in flight.
  HelperRequest& secret_argument(std::string_view value);

  const std::string& command() const noexcept { return command_; }
  const std::string& mode() const noexcept { return mode_; }
  // " arg1 arg2": each argument with the space before it.
  std::string_view arguments() const noexcept { return arguments_.view(); }
  // The byte length of "seq command [(mode)] arguments" without its LF.
  std::size_t line_size(std::size_t seq_digits, bool with_mode) const noexcept;
  // `text` with every secret of this request replaced by "***".
  void hide_secrets(std::string& text) const;

 private:
  std::string command_;
  std::string mode_;
  Secret arguments_;
  std::vector<Secret> secrets_;  // each secret as given and as quoted, longest first
};

enum class HelperLogLevel {
  Major,   // starts, exits, kills, faults
  Detail,  // the helper's information lines
};

struct HelperAnswer {
  AnswerKind kind = AnswerKind::TempFail;
  std::string text;
};

struct HelperStats {
  std::uint64_t sent = 0;          // request lines written (re-sends included)
  std::uint64_t answered = 0;      // completions delivered
  std::uint64_t resent = 0;        // requests sent again after a restart
  std::uint64_t restarts = 0;      // helper processes started after the first
  std::uint64_t dropped_lines = 0; // answers with unknown or duplicate numbers
  std::uint64_t info_lines = 0;    // "* text" lines
};

class HelperClient {
 public:
  using Completion = std::function<void(const HelperAnswer&)>;
  using Logger = std::function<void(HelperLogLevel, const std::string&)>;

  HelperClient(HelperOptions options, Logger log = {});
  HelperClient(const HelperClient&) = delete;
  HelperClient& operator=(const HelperClient&) = delete;
  ~HelperClient();  // shutdown()

  // Queue `request` and call `done` once with the outcome, on the client's
  // thread (or on the caller's, for a request refused at once: overloaded,
  // shutting down, too long). Never blocks.
  void submit(HelperRequest request, Completion done);

  // submit() and wait for the completion (see the top of this file).
  HelperAnswer ask(HelperRequest request);

  // Close the helper's input, wait up to shutdown_wait for it to exit, then
  // kill it; pending requests are answered TempFail. Idempotent.
  void shutdown();

  // The version the helper's INTF answer set (0 until it answered).
  unsigned helper_version() const;
  HelperStats stats() const;
  // The process id of the running helper, or -1.
  int helper_pid() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace authd::host
