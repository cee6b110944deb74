// `authhost pki ...`: the command line of the host's PKI (host.hpp's pki_*
// operations, run as --as with its rights). docs/pki.md walks through it.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "host/host.hpp"

namespace authd::host::cli {

struct PkiCommandLine {
  std::string domain;
  std::string type = "rsa-2048";
  std::string file;
  std::string mode;
  std::string which;
  std::string common_name, alt_names, country, province, city, organization, unit, contact;
  int days = pki::default_certificate_days;
  int check_days = pki::default_check_days;
  bool with_chain = false;

  CLI::App* pki = nullptr;
  CLI::App* generate_key = nullptr;
  CLI::App* import_key = nullptr;
  CLI::App* remove_key = nullptr;
  CLI::App* export_key = nullptr;
  CLI::App* self_sign = nullptr;
  CLI::App* csr = nullptr;
  CLI::App* set_certificate = nullptr;
  CLI::App* refresh = nullptr;
  CLI::App* remove_certificate = nullptr;
  CLI::App* set_chain = nullptr;
  CLI::App* remove_chain = nullptr;
  CLI::App* show = nullptr;
  CLI::App* export_certificate = nullptr;
  CLI::App* mode_cmd = nullptr;
  CLI::App* trust = nullptr;
  CLI::App* trust_add = nullptr;
  CLI::App* trust_list = nullptr;
  CLI::App* trust_remove = nullptr;
  CLI::App* check = nullptr;
  CLI::App* refresh_test = nullptr;
};

void add_pki_commands(CLI::App& app, PkiCommandLine& c);

// Whether a pki command was given.
bool pki_parsed(const PkiCommandLine& c);

// Runs it: 0 done, 1 refused or failed (the reason on standard error);
// pki check: 0 when nothing in use ends within --days, 1 otherwise.
int run_pki(Host& host, const Address& caller, const PkiCommandLine& c);

}  // namespace authd::host::cli
