// The LDAP backend in the conformance suite, in its three ways of working:
// search then bind, direct bind (a DN template) and lookup (the password
// attribute read and checked by authd). Each fixture runs its own slapd.
#include <memory>

#include "conformance.hpp"
#include "passwords/registry.hpp"
#include "slapd_fixture.hpp"

namespace authd::testing {
namespace {

enum class LdapWay { SearchBind, DirectBind, Lookup };

class LdapFixture : public BackendFixture {
 public:
  explicit LdapFixture(LdapWay way) : way_(way) {}

  std::string setup(const std::vector<TestAccount>& accounts) override {
    const auto& registry = passwords::Registry::instance();
    std::vector<LdapUser> users;
    std::size_t i = 0;
    for (const auto& account : accounts) {
      const Secret password(account.password);
      std::string stored;
      // Bind modes: schemes slapd checks itself. Lookup: schemes authd
      // checks, clear text and {CRAM-MD5} included.
      switch (i++ % (way_ == LdapWay::Lookup ? 4 : 3)) {
        case 0: stored = registry.encode("SSHA", password); break;
        case 1: stored = "{CRYPT}" + registry.encode("SHA512-CRYPT", password); break;
        case 2: stored = account.password; break;
        default: stored = registry.encode("CRAM-MD5", password); break;
      }
      users.push_back({account.name, account.domain, {stored}, account.disabled, false});
    }
    slapd_ = std::make_unique<Slapd>(users);
    std::string toml = "[[backend]]\nname = \"b\"\ntype = \"ldap\"\nuris = [\"" + slapd_->uri() + "\"]\n" +
                       "disabled_filter = \"(description=disabled)\"\n";
    switch (way_) {
      case LdapWay::SearchBind:
        toml += "mode = \"bind\"\nbase = \"ou=%d,ou=people,dc=example,dc=com\"\nscope = \"one\"\n"
                "service_dn = \"" + std::string(Slapd::service_dn) + "\"\nservice_password = \"" +
                Slapd::service_password + "\"\n";
        break;
      case LdapWay::DirectBind:
        // No service account: existence and disabled checks search anonymously.
        toml += "mode = \"bind\"\nbind_dn_template = \"uid=%u,ou=%d,ou=people,dc=example,dc=com\"\n";
        break;
      case LdapWay::Lookup:
        toml += "mode = \"lookup\"\nbase = \"ou=people,dc=example,dc=com\"\n"
                "filter = \"(&(objectClass=inetOrgPerson)(mail=%n))\"\n"
                "service_dn = \"" + std::string(Slapd::service_dn) + "\"\nservice_password = \"" +
                Slapd::service_password + "\"\n";
        break;
    }
    return toml;
  }
  // Clear text and {CRAM-MD5} are weak schemes.
  std::string engine_toml() const override { return way_ == LdapWay::Lookup ? "allow_weak_schemes = true\n" : ""; }

 private:
  LdapWay way_;
  std::unique_ptr<Slapd> slapd_;
};

struct LdapSearchBindFixture final : LdapFixture {
  LdapSearchBindFixture() : LdapFixture(LdapWay::SearchBind) {}
};
struct LdapDirectBindFixture final : LdapFixture {
  LdapDirectBindFixture() : LdapFixture(LdapWay::DirectBind) {}
};
struct LdapLookupFixture final : LdapFixture {
  LdapLookupFixture() : LdapFixture(LdapWay::Lookup) {}
};

}  // namespace

AUTHD_CONFORMANCE_FIXTURE("LdapBind", LdapSearchBindFixture);
AUTHD_CONFORMANCE_FIXTURE("LdapDirectBind", LdapDirectBindFixture);
AUTHD_CONFORMANCE_FIXTURE("LdapLookup", LdapLookupFixture);

}  // namespace authd::testing
