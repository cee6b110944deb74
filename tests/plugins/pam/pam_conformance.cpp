// PAM in the conformance suite: pam_matrix under pam_wrapper holds the
// passwords, nss_wrapper the OS users, and the OS user name keeps the domain
// ("*@$d"), so joe@example.com and joe@example.org are two OS users.
#include "conformance.hpp"
#include "pam_test_env.hpp"
#include "pam/pam_backend.hpp"

namespace authd::testing {
namespace {

class PamFixture final : public BackendFixture {
 public:
  std::string setup(const std::vector<TestAccount>& accounts) override {
    std::vector<pam_env::PassdbEntry> passdb;
    std::vector<std::string> users;
    for (const auto& account : accounts) {
      const std::string user = account.name + "@" + account.domain;
      // pam_matrix's account check lets a user in only to the service its
      // line names: a disabled account names another one.
      passdb.push_back({user, account.password,
                        account.disabled ? std::string("no-such-service") : std::string(pam_env::service::matrix)});
      users.push_back(user);
    }
    pam_env::write_passdb(passdb);
    pam_env::write_os_users(users);
    return "[[backend]]\nname = \"b\"\ntype = \"pam\"\nservice = \"" + std::string(pam_env::service::matrix) +
           "\"\nuser_template = \"*@$d\"\n";
  }

  // pam_matrix's passdb is "user:password:service" lines read with fgets,
  // and the backend refuses passwords over 512 bytes by design.
  bool can_hold(const TestAccount& account) const override {
    auto fits = [](const std::string& text) {
      return text.find_first_of(":\n") == std::string::npos && !text.empty() && text.front() != ' ' &&
             text.front() != '\t';
    };
    return fits(account.name) && fits(account.password) && account.name.front() != '#' &&
           account.password.size() <= pam::max_password_length;
  }
};

}  // namespace

AUTHD_CONFORMANCE_FIXTURE("Pam", PamFixture);

}  // namespace authd::testing
