// Helpers shared by the LDAP backend tests.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine_harness.hpp"
#include "protocol/quoting.hpp"
#include "ldap/ldap_backend.hpp"
#include "slapd_fixture.hpp"

namespace authd::testing {

// A [[backend]] table of type "ldap" named `name`; `extra` holds more
// key = value lines.
inline std::string ldap_backend_toml(const std::string& name, const std::vector<std::string>& uris,
                                     const std::string& extra) {
  std::string list;
  for (const auto& uri : uris) list += (list.empty() ? "\"" : ", \"") + uri + "\"";
  return "[[backend]]\nname = \"" + name + "\"\ntype = \"ldap\"\nuris = [" + list + "]\n" + extra;
}

inline std::string service_account_toml() {
  return "service_dn = \"" + std::string(Slapd::service_dn) + "\"\nservice_password = \"" + Slapd::service_password +
         "\"\n";
}

inline const std::string search_bind_toml =
    "mode = \"bind\"\nbase = \"ou=people,dc=example,dc=com\"\n"
    "filter = \"(&(objectClass=inetOrgPerson)(mail=%n))\"\n";
inline const std::string lookup_toml =
    "mode = \"lookup\"\nbase = \"ou=people,dc=example,dc=com\"\n"
    "filter = \"(&(objectClass=inetOrgPerson)(mail=%n))\"\n";

inline std::string one_route(const std::string& backend) {
  return "[[route]]\ndomains = [\"*\"]\nbackends = [\"" + backend + "\"]\n";
}

inline std::string engine_config(const std::string& engine, const std::string& rest) {
  return "[authd]\nlog = \"syslog\"\n" + engine + "\n" + rest;
}

// "seq VRFY (IMAP) name password" with the password quoted as needed.
inline std::string vrfy_line(int seq, const std::string& account, const std::string& password) {
  std::string line = std::to_string(seq) + " VRFY (IMAP) " + account + " ";
  protocol::append_quoted_argument(line, password);
  return line;
}

// Reads answers until `expected` of them have come or `limit` passes: seq
// -> the rest of the line. A seq answered twice is recorded in `repeated`.
struct Answers {
  std::map<int, std::string> by_seq;
  std::set<int> repeated;
  std::vector<std::string> garbage;
};
inline Answers read_answers(EngineHarness& harness, std::size_t expected, std::chrono::milliseconds limit) {
  Answers answers;
  const auto until = std::chrono::steady_clock::now() + limit;
  while (answers.by_seq.size() < expected) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    const auto line = harness.read_line(left);
    if (!line) break;
    const auto space = line->find(' ');
    int seq = -1;
    try {
      seq = std::stoi(line->substr(0, space));
    } catch (...) {
      answers.garbage.push_back(*line);
      continue;
    }
    const std::string rest = space == std::string::npos ? std::string() : line->substr(space + 1);
    if (!answers.by_seq.emplace(seq, rest).second) answers.repeated.insert(seq);
  }
  return answers;
}

}  // namespace authd::testing
