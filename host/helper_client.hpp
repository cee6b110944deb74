// The host's side of the external-authentication protocol: it launches a
// helper program, keeps it running, and sends it requests.
//
// One thread owns the helper: it writes queued requests to the helper's
// standard input, reads its answers, matches them to requests by sequence
// number, and enforces time-outs. Callers never wait on the helper: submit()
// queues a request and its completion runs on the client's thread when the
// answer (or a temporary failure) is known.
//
// Faults and what they cause:
//   * an answer with an unknown or already answered number: logged, dropped;
//   * a line that is not a valid response, or longer than 4096 bytes; the
//     helper exiting; a request unanswered past the time-out: the helper is
//     broken. It is stopped (SIGKILL if it does not exit) and started again
//     after a back-off that doubles with each crash in a row; every pending
//     request is sent again once, to the new helper; a request that was
//     already sent again is answered with a temporary failure instead.
//     Nothing is ever answered twice.
//   * too many crashes in a short time: requests fail fast with a temporary
//     failure until the back-off ends.
//   * more requests waiting than the queue holds: overloaded, failed at once.
// Only standard input, output and error are passed to the helper; its
// standard error goes to a file or nowhere; no zombie is left behind.
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
#include <thread>
#include <unordered_map>
#include <vector>

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
  using Logger = std::function<void(const std::string&)>;

  HelperClient(HelperOptions options, Logger log = {});
  HelperClient(const HelperClient&) = delete;
  HelperClient& operator=(const HelperClient&) = delete;
  ~HelperClient();  // shutdown()

  // Queue `arguments` (the request without its sequence number, e.g.
  // "VRFY (IMAP) joe@example.com \"pass word\"") and call `done` once with
  // the outcome, on the client's thread. Never blocks.
  void submit(std::string arguments, Completion done);

  // Send and wait (for tools and tests).
  HelperAnswer ask(const std::string& arguments);

  // Close the helper's input, wait up to shutdown_wait for it to exit, then
  // kill it; pending requests are answered TempFail. Idempotent.
  void shutdown();

  // The version the helper answered to INTF (0 until it answered).
  unsigned helper_version() const;
  HelperStats stats() const;
  // The process id of the running helper, or -1.
  int helper_pid() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace authd::host
