// The SQL backend in the conformance suite: an SQLite file made from the
// example schema, read with the default query.
#include "conformance.hpp"
#include "engine_harness.hpp"
#include "passwords/registry.hpp"
#include "sql_test_database.hpp"

namespace authd::testing {
namespace {

class SqlFixture final : public BackendFixture {
 public:
  std::string setup(const std::vector<TestAccount>& accounts) override {
    const std::string path = (dir_.path() / "users.db").string();
    UsersDatabase db(path);
    // Both a {SCHEME} value and a bare crypt string, the two forms a
    // password column holds without default_scheme.
    const char* schemes[] = {"SSHA", "SHA512-CRYPT"};
    std::size_t i = 0;
    for (const auto& account : accounts)
      db.add(account.name, account.domain,
             passwords::Registry::instance().encode(schemes[i++ % 2], Secret(account.password)), !account.disabled);
    return "[[backend]]\nname = \"b\"\ntype = \"sql\"\npath = \"" + path + "\"\n";
  }

 private:
  TempDir dir_;
};

}  // namespace

AUTHD_CONFORMANCE_FIXTURE("Sql", SqlFixture);

}  // namespace authd::testing
