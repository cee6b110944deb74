// One conformance suite for every backend. A backend takes part by adding a
// BackendFixture: it stores the suite's accounts the way that backend reads
// them (a file, a database, a directory server, a PAM service) and returns
// the [[backend]] table that points authd at them. The suite then asks the
// same questions of each through the real engine and expects the same
// answers, the uniform ERROR text included.
#pragma once

#include <functional>
#include <ostream>
#include <memory>
#include <string>
#include <vector>

namespace authd::testing {

struct TestAccount {
  std::string name;      // lower case, as the engine hands it to backends
  std::string domain;    // lower case
  std::string password;  // clear text; each fixture stores it its own way
  bool disabled = false;
};

// The accounts every backend is loaded with.
const std::vector<TestAccount>& conformance_accounts();

class BackendFixture {
 public:
  virtual ~BackendFixture() = default;
  // Prepare `accounts` (files, servers...) and return the TOML of one
  // [[backend]] table named "b" serving them. May start servers, which the
  // destructor stops.
  virtual std::string setup(const std::vector<TestAccount>& accounts) = 0;
  // Extra [authd] keys the backend needs (e.g. plugins = [...]).
  virtual std::string engine_toml() const { return {}; }
  // Whether this backend can hold `account` at all (an OS user name cannot
  // contain every byte an LDAP entry can). Accounts it cannot hold are left
  // out of its store and of its cases.
  virtual bool can_hold(const TestAccount& account) const {
    (void)account;
    return true;
  }
  virtual bool supports_disabled() const { return true; }
};

struct FixtureEntry {
  std::string name;
  std::function<std::unique_ptr<BackendFixture>()> make;
};
void PrintTo(const FixtureEntry& entry, std::ostream* out);

// Every registered fixture. Each backend's test file adds its own with
// AUTHD_CONFORMANCE_FIXTURE (static registration is fine in tests).
std::vector<FixtureEntry>& conformance_fixtures();

struct FixtureRegistration {
  FixtureRegistration(std::string name, std::function<std::unique_ptr<BackendFixture>()> make) {
    conformance_fixtures().push_back({std::move(name), std::move(make)});
  }
};

#define AUTHD_CONFORMANCE_FIXTURE(Name, Type) \
  static ::authd::testing::FixtureRegistration conformance_fixture_##Type(Name, [] { return std::make_unique<Type>(); })

}  // namespace authd::testing
