// `authhost admin`: the administration protocol's client.
//
//   authhost admin --connect 127.0.0.1:PORT --user NAME@DOMAIN [COMMAND ARG...]
//
// The password is the first line of standard input (never an argument,
// where other users could read it). After the login the client sends
// INLINE, so that every answer is one line. With a command on the command
// line, each word is sent as one argument: a word starting with '{' or '('
// as it is (a CGP dictionary or array), any other as one string (quoted
// when needed, so spaces and control bytes survive); without one, the rest
// of standard input is sent line by line as protocol lines (empty lines
// and lines starting with '#' skipped). Every answer line is printed as
// received.
//
// Exit status: 0 every answer was 200 or 201; 1 an answer was 500 (the login
// included); 2 the server could not be reached, answered 400 (busy,
// temporary failure) or closed the connection unexpectedly.
#pragma once

#include <chrono>
#include <iosfwd>
#include <string>
#include <vector>

namespace authd::host::admin {

struct ClientOptions {
  std::string connect;                // HOST:PORT, [IPv6]:PORT
  std::string user;                   // NAME@DOMAIN
  std::vector<std::string> command;   // empty: commands from standard input
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};  // per answer
};

// Runs the client; returns the exit status. `in` gives the password and,
// without a command, the commands.
int run_client(const ClientOptions& options, std::istream& in, std::ostream& out, std::ostream& err);

// "host:port" or "[v6]:port"; false when malformed.
bool split_host_port(const std::string& text, std::string& host, std::string& port);

}  // namespace authd::host::admin
