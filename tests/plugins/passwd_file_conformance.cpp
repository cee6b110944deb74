// The password file in the conformance suite.
#include "conformance.hpp"
#include "engine_harness.hpp"
#include "passwords/registry.hpp"

namespace authd::testing {
namespace {

class PasswdFileFixture final : public BackendFixture {
 public:
  std::string setup(const std::vector<TestAccount>& accounts) override {
    std::string content;
    const char* schemes[] = {"SSHA", "SHA512-CRYPT", "SSHA512", "BCRYPT"};
    std::size_t i = 0;
    for (const auto& account : accounts) {
      // Mixed case in the file: the store must compare names without case.
      std::string name = account.name;
      if (i % 2 == 0 && !name.empty()) name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
      content += name + "@" + account.domain + ":" +
                 passwords::Registry::instance().encode(schemes[i++ % 4], Secret(account.password)) +
                 (account.disabled ? ":disabled" : "") + "\n";
    }
    const auto path = dir_.file("users.passwd", content);
    return "[[backend]]\nname = \"b\"\ntype = \"passwd-file\"\npath = \"" + path + "\"\n";
  }

 private:
  TempDir dir_;
};

}  // namespace

AUTHD_CONFORMANCE_FIXTURE("PasswdFile", PasswdFileFixture);

}  // namespace authd::testing
