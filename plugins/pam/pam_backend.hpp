// The PAM backend: OS passwords, checked through a PAM service (Linux-PAM).
//
// A password check is pam::authenticate (os/pam_authenticate.hpp) for the OS
// user that the user_template makes from the account.
//
// Every call blocks (a PAM module may sleep about two seconds after a wrong
// password, or ask a network service), so every operation reports
// Cost::Blocking and runs on the engine's worker pool ([authd] workers).
// max_concurrent bounds how many of those workers PAM may hold at once: past
// it a request is answered at once as a temporary failure instead of taking
// another worker, so a slow or stuck PAM stack never starves the other
// backends. It is also the way to serialise a PAM module that is not
// thread-safe (max_concurrent = 1).
//
// Passwords longer than max_password_length bytes are refused before PAM
// sees them. NEW (exists) asks the OS user database (getpwnam_r), since PAM
// has no way to look a user up. PAM cannot hand out stored secrets, so this
// backend never serves SASL, and it has no timing reference: PAM modules
// keep their own delay after a failure.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <vector>

#include "authd/api/plugin.hpp"
#include "os/pam_authenticate.hpp"
#include "os/user_template.hpp"

namespace authd::pam {

// A PAM result as the plugin API's verdict; the status tables of
// os/pam_results.hpp as verdicts.
Verdict to_verdict(const PamResult& result);
Verdict authenticate_verdict(int status);
Verdict account_verdict(int status);

class PamBackend final : public Backend {
 public:
  static constexpr const char* type = "pam";
  static constexpr const char* description = "OS passwords checked through a PAM service (Linux-PAM)";
  static std::vector<SettingSpec> settings();

  explicit PamBackend(const BackendContext& context);

  Cost cost(Operation op, const Account& account) const override;
  Verdict verify(const Account& account, const Secret& password, std::string_view mode) override;
  Verdict exists(const Account& account) override;

 private:
  // Take one of the max_concurrent places; the caller gives it back.
  bool try_enter() noexcept;

  std::string name_;
  std::string service_;
  UserTemplate user_template_;
  int max_concurrent_;  // 0: no bound of its own
  std::atomic<int> active_{0};
  const HostServices& host_;
};

}  // namespace authd::pam
