// Setting declarations, values and inheritance.
#include <gtest/gtest.h>

#include "host/store/settings.hpp"

namespace authd::host {
namespace {

std::optional<std::string> normalised(std::string_view name, std::string_view value) {
  std::string error;
  const auto* spec = find_setting(name);
  EXPECT_NE(spec, nullptr) << name;
  return spec ? normalise_setting(*spec, value, error) : std::nullopt;
}

TEST(HostSettings, ValuesAreCheckedAndNormalised) {
  EXPECT_EQ(normalised("HideUnknownAccounts", "Yes"), "true");
  EXPECT_EQ(normalised("HideUnknownAccounts", "off"), "false");
  EXPECT_FALSE(normalised("HideUnknownAccounts", "maybe"));
  EXPECT_EQ(normalised("FailedLoginLimit", "3"), "3");
  EXPECT_FALSE(normalised("FailedLoginLimit", "-1"));
  EXPECT_FALSE(normalised("FailedLoginLimit", "3x"));
  EXPECT_EQ(normalised("FailedLoginWindow", "600s"), "10m");
  EXPECT_EQ(normalised("FailedLoginWindow", "1500ms"), "1500ms");
  EXPECT_EQ(normalised("FailedLoginWindow", "2h"), "2h");
  EXPECT_FALSE(normalised("FailedLoginWindow", "10"));
  EXPECT_FALSE(normalised("FailedLoginWindow", "ms"));
  EXPECT_EQ(normalised("PasswordEncryption", "sha512-crypt"), "SHA512-CRYPT");
  EXPECT_EQ(normalised("PasswordEncryption", "Clear"), "clear");
  EXPECT_FALSE(normalised("PasswordEncryption", "rot13"));
  EXPECT_TRUE(normalised("ClientIPAddresses", "192.0.2.0/24, ::1"));
  EXPECT_FALSE(normalised("ClientIPAddresses", "192.0.2.0/24, nowhere"));
  EXPECT_FALSE(normalised("OSUserName", "a\nb"));
  EXPECT_EQ(find_setting("NoSuchSetting"), nullptr);
}

TEST(HostSettings, LevelsSayWhereASettingMayBeGiven) {
  const auto& password = *find_setting("Password");
  EXPECT_TRUE(settable_at(password, SettingLevel::Account));
  EXPECT_FALSE(settable_at(password, SettingLevel::Domain));
  EXPECT_FALSE(settable_at(password, SettingLevel::Server));
  const auto& secure = *find_setting("RequireSecureMethod");
  EXPECT_TRUE(settable_at(secure, SettingLevel::Server));
  EXPECT_TRUE(settable_at(secure, SettingLevel::Domain));
  const auto& consult = *find_setting("ConsultExternalAuthenticator");
  EXPECT_TRUE(settable_at(consult, SettingLevel::Domain));
  EXPECT_FALSE(settable_at(consult, SettingLevel::Account));
  const auto& hide = *find_setting("HideUnknownAccounts");
  EXPECT_FALSE(settable_at(hide, SettingLevel::Domain));
}

TEST(HostSettings, InheritServerThenDomainThenAccount) {
  const Effective defaults({}, {}, {});
  EXPECT_FALSE(defaults.boolean("RequireSecureMethod"));
  EXPECT_EQ(defaults.origin("RequireSecureMethod"), "default");
  EXPECT_EQ(defaults.duration("FailedLoginWindow"), std::chrono::minutes(10));

  const Effective server({{"RequireSecureMethod", "true"}}, {}, {});
  EXPECT_TRUE(server.boolean("RequireSecureMethod"));
  EXPECT_EQ(server.origin("RequireSecureMethod"), "server");

  const Effective domain({{"RequireSecureMethod", "true"}}, {{"RequireSecureMethod", "false"}}, {});
  EXPECT_FALSE(domain.boolean("RequireSecureMethod"));
  EXPECT_EQ(domain.origin("RequireSecureMethod"), "domain");

  const Effective account({{"RequireSecureMethod", "true"}}, {{"RequireSecureMethod", "false"}},
                          {{"RequireSecureMethod", "true"}, {"Password", "{PLAIN}x"}});
  EXPECT_TRUE(account.boolean("RequireSecureMethod"));
  EXPECT_EQ(account.origin("RequireSecureMethod"), "account");
  EXPECT_EQ(account.text("Password"), "{PLAIN}x");

  // A server setting in an account's row, or a password given domain-wide,
  // is never taken.
  const Effective misplaced({}, {{"Password", "{PLAIN}everyone"}, {"HideUnknownAccounts", "false"}},
                            {{"HideUnknownAccounts", "false"}});
  EXPECT_EQ(misplaced.text("Password"), "");
  EXPECT_TRUE(misplaced.boolean("HideUnknownAccounts"));
}

}  // namespace
}  // namespace authd::host
