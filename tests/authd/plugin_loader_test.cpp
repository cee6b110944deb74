// Loading plugins: a good one works end to end; broken ones are refused
// with a message that says why, and nothing crashes.
#include <gtest/gtest.h>

#include "authd/plugin_loader.hpp"
#include "engine_harness.hpp"

namespace authd::testing {
namespace {

std::string plugin(const std::string& name) { return std::string(AUTHD_TEST_PLUGIN_DIR) + "/" + name + ".so"; }

std::string load_error(const std::string& name) {
  auto result = load_plugin(plugin(name));
  if (auto* error = std::get_if<std::string>(&result)) return *error;
  return {};
}

TEST(PluginLoader, LoadsAGoodPlugin) {
  auto result = load_plugin(plugin("authd-test-backend"));
  ASSERT_TRUE(std::holds_alternative<const PluginDescriptor*>(result)) << std::get<std::string>(result);
  const auto* descriptor = std::get<const PluginDescriptor*>(result);
  EXPECT_STREQ(descriptor->type, "test");
  BackendTypes types;
  EXPECT_EQ(types.add(*descriptor, plugin("authd-test-backend")), "");
  ASSERT_NE(types.find("test"), nullptr);
  EXPECT_FALSE(types.find("test")->settings.empty());
  // Loading the same file twice gives the same code; the type is taken once.
  auto again = load_plugin(plugin("authd-test-backend"));
  EXPECT_NE(types.add(*std::get<const PluginDescriptor*>(again), "again"), "");
}

TEST(PluginLoader, RefusesAWrongAbiVersion) {
  EXPECT_NE(load_error("broken-wrong-abi").find("built for plugin ABI version 99"), std::string::npos);
}

// Version 2 added HostServices::note_stored at the end: a version 1 plugin,
// which never calls it, still loads; a version past this authd's does not.
TEST(PluginLoader, TakesEveryAbiVersionFromTheOldestItStillSpeaks) {
  auto descriptor = *std::get<const PluginDescriptor*>(load_plugin(plugin("authd-test-backend")));
  for (std::uint32_t version = plugin_abi_oldest; version <= plugin_abi_version; ++version) {
    descriptor.abi_version = version;
    EXPECT_EQ(check_descriptor(&descriptor), "") << version;
  }
  for (std::uint32_t version : {plugin_abi_oldest - 1, plugin_abi_version + 1}) {
    descriptor.abi_version = version;
    EXPECT_NE(check_descriptor(&descriptor).find("speaks versions 1 to 2"), std::string::npos) << version;
  }
}

TEST(PluginLoader, RefusesAnObjectWithoutEntryPoint) {
  EXPECT_NE(load_error("broken-no-entry").find("no entry point authd_plugin_v1"), std::string::npos);
}

TEST(PluginLoader, RefusesANullDescriptor) {
  EXPECT_NE(load_error("broken-null-descriptor").find("returned no descriptor"), std::string::npos);
}

TEST(PluginLoader, RefusesAMissingFile) {
  EXPECT_NE(load_error("does-not-exist").find("cannot load plugin"), std::string::npos);
}

TEST(PluginLoader, RefusesAFileThatIsNotASharedObject) {
  TempDir dir;
  auto path = dir.file("fake.so", "not an ELF file");
  auto result = load_plugin(path);
  ASSERT_TRUE(std::holds_alternative<std::string>(result));
}

TEST(PluginLoader, SettingsThatThrowAreRefused) {
  auto result = load_plugin(plugin("broken-throwing-settings"));
  ASSERT_TRUE(std::holds_alternative<const PluginDescriptor*>(result));
  BackendTypes types;
  EXPECT_NE(types.add(*std::get<const PluginDescriptor*>(result), "x").find("failed to declare its settings"),
            std::string::npos);
}

TEST(PluginLoader, AThrowingConstructorBecomesAnErrorNotACrash) {
  auto result = load_plugin(plugin("broken-throwing-init"));
  ASSERT_TRUE(std::holds_alternative<const PluginDescriptor*>(result));
  const auto* descriptor = std::get<const PluginDescriptor*>(result);
  Logger logger({"stderr", LogLevel::Error, false});
  EngineServices services(false, logger);
  Settings settings;
  CreateResult created = descriptor->create({"x", settings, services});
  EXPECT_EQ(created.backend, nullptr);
  EXPECT_EQ(created.error, "cannot start: broken on purpose");
}

TEST(PluginLoader, ConfigLoadsPluginsAndReportsBrokenOnes) {
  BackendTypes types;
  register_builtin_backends(types);
  auto result = load_config_text("[authd]\nplugins = [\"" + plugin("authd-test-backend") + "\", \"" +
                                     plugin("broken-wrong-abi") + "\"]\n"
                                     "[[backend]]\nname = \"t\"\ntype = \"test\"\n"
                                     "[[route]]\ndomains = [\"*\"]\nbackends = [\"t\"]\n",
                                 "authd.toml", "/", types, "");
  ASSERT_TRUE(std::holds_alternative<std::vector<ConfigIssue>>(result));
  const auto& issues = std::get<std::vector<ConfigIssue>>(result);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].line, 2);
  EXPECT_EQ(issues[0].key, "authd.plugins");
  EXPECT_NE(issues[0].message.find("ABI version 99"), std::string::npos);
}

TEST(PluginLoader, TypesAreFoundInThePluginDirectory) {
  BackendTypes types;
  auto result = load_config_text("[[backend]]\nname = \"t\"\ntype = \"authd-test-backend\"\n"
                                 "[[route]]\ndomains = [\"*\"]\nbackends = [\"t\"]\n",
                                 "authd.toml", "/", types, AUTHD_TEST_PLUGIN_DIR);
  // The file authd-test-backend.so provides the type "test", not
  // "authd-test-backend": a clear error, not a wrong backend.
  ASSERT_TRUE(std::holds_alternative<std::vector<ConfigIssue>>(result));
  EXPECT_NE(std::get<std::vector<ConfigIssue>>(result)[0].message.find("does not provide backend type"),
            std::string::npos);
}

}  // namespace
}  // namespace authd::testing
