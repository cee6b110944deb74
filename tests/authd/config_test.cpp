// Configuration loading: every problem is reported with file, line and key.
#include <gtest/gtest.h>

#include <set>

#include "authd/config.hpp"
#include "authd/plugin_loader.hpp"
#include "passwords/registry.hpp"
#include "engine_harness.hpp"

namespace authd::testing {
namespace {

std::variant<Config, std::vector<ConfigIssue>> load(const std::string& text, BackendTypes& types,
                                                    const std::string& dir = "/tmp") {
  return load_config_text(text, "authd.toml", dir, types, "");
}

std::vector<ConfigIssue> issues_of(const std::string& text) {
  BackendTypes types;
  register_builtin_backends(types);
  types.add(describe_backend<TestBackend>(), "test");
  auto result = load(text, types);
  if (auto* issues = std::get_if<std::vector<ConfigIssue>>(&result)) return *issues;
  return {};
}

const std::string good_tail = "[[backend]]\nname = \"t\"\ntype = \"test\"\n[[route]]\ndomains = [\"*\"]\nbackends = [\"t\"]\n";

TEST(Config, TheIssueExampleLoads) {
  TempDir dir;
  dir.file("users.passwd", "joe@example.com:{SSHA}W8WH2WBVmWBfukWy2gYTy5xPiub1vTC63j/bQA==\n");
  BackendTypes types;
  register_builtin_backends(types);
  auto result = load(R"([authd]
workers = 4                # worker threads for blocking backends
request_timeout_ms = 3000  # per-request deadline -> FAILURE
hide_unknown = true        # one ERROR text for every credential failure
allow_weak_schemes = false # plain, unsalted digests, DES: refused unless true
intf_reply = "ok"          # "ok" (seed form) or "intf"
log = "syslog"             # or a file path

[[backend]]
name = "local"
type = "passwd-file"
path = "users.passwd"      # relative paths are relative to the config file

[[route]]
domains = ["*"]            # "*" = any domain; a route per domain list
backends = ["local"]       # tried in order; "unknown name" goes on to the next
)",
                     types, dir.path().string());
  ASSERT_TRUE(std::holds_alternative<Config>(result));
  const auto& config = std::get<Config>(result);
  EXPECT_EQ(config.workers, 4u);
  EXPECT_EQ(config.request_timeout.count(), 3000);
  EXPECT_TRUE(config.hide_unknown);
  EXPECT_FALSE(config.allow_weak_schemes);
  ASSERT_EQ(config.backends.size(), 1u);
  EXPECT_EQ(config.backends[0].settings.string("path"), (dir.path() / "users.passwd").string());
  EXPECT_EQ(config.backends[0].settings.integer("check_interval_ms"), 1000);
}

TEST(Config, EveryProblemIsReportedWithLineAndKey) {
  const auto issues = issues_of(R"([authd]
workers = 0
request_timeout_ms = "3000"
intf_reply = "maybe"
colour = "blue"
log_level = "loud"

[[backend]]
name = "t"
type = "test"
delay_ms = -5
bogus = 1

[[route]]
domains = ["*"]
backends = ["t", "missing"]
)");
  ASSERT_EQ(issues.size(), 8u) << [&] {
    std::string all;
    for (const auto& i : issues) all += i.to_string() + "\n";
    return all;
  }();
  auto has = [&](int line, const std::string& key) {
    for (const auto& issue : issues)
      if (issue.line == line && issue.key == key && issue.file == "authd.toml") return true;
    return false;
  };
  EXPECT_TRUE(has(2, "authd.workers"));
  EXPECT_TRUE(has(3, "authd.request_timeout_ms"));
  EXPECT_TRUE(has(4, "authd.intf_reply"));
  EXPECT_TRUE(has(5, "authd.colour"));
  EXPECT_TRUE(has(6, "authd.log_level"));
  EXPECT_TRUE(has(11, "backend \"t\".delay_ms"));
  EXPECT_TRUE(has(12, "backend \"t\".bogus"));
  EXPECT_TRUE(has(16, "route 1.backends"));
}

TEST(Config, SyntaxErrorsCarryTheirLine) {
  const auto issues = issues_of("[authd]\nworkers = 4\nhide_unknown = tru\n");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].line, 3);
}

TEST(Config, MissingPiecesAreNamed) {
  auto issues = issues_of("[authd]\n");
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_EQ(issues[0].key, "backend");
  EXPECT_EQ(issues[1].key, "route");

  issues = issues_of("[[backend]]\ntype = \"test\"\n[[route]]\ndomains = [\"*\"]\nbackends = [\"t\"]\n");
  ASSERT_FALSE(issues.empty());
  EXPECT_EQ(issues[0].key, "backend.name");

  issues = issues_of("[[backend]]\nname = \"t\"\ntype = \"nope\"\n[[route]]\ndomains = [\"*\"]\nbackends = [\"t\"]\n");
  ASSERT_FALSE(issues.empty());
  EXPECT_EQ(issues[0].line, 3);
  EXPECT_NE(issues[0].message.find("unknown backend type 'nope'"), std::string::npos);

  issues = issues_of("[[backend]]\nname = \"t\"\ntype = \"passwd-file\"\n[[route]]\ndomains = [\"*\"]\nbackends = [\"t\"]\n");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].key, "backend \"t\".path");
  EXPECT_NE(issues[0].message.find("required"), std::string::npos);
}

TEST(Config, RoutesAreChecked) {
  auto issues = issues_of("[[backend]]\nname = \"t\"\ntype = \"test\"\n"
                          "[[route]]\ndomains = [\"a.example\"]\nbackends = [\"t\"]\n"
                          "[[route]]\ndomains = [\"A.example\", \"bad domain\", \"\"]\nbackends = []\ncolour = 1\n");
  std::set<std::string> messages;
  for (const auto& issue : issues) messages.insert(issue.key + "@" + std::to_string(issue.line));
  EXPECT_TRUE(messages.count("route 2.domains@8"));
  EXPECT_TRUE(messages.count("route 2.backends@9"));
  EXPECT_TRUE(messages.count("route 2.colour@10"));
  EXPECT_EQ(issues.size(), 5u);  // duplicate, "bad domain", "", empty backends, colour
}

TEST(Config, DuplicateBackendNames) {
  auto issues = issues_of("[[backend]]\nname = \"t\"\ntype = \"test\"\n[[backend]]\nname = \"t\"\ntype = \"test\"\n"
                          "[[route]]\ndomains = [\"*\"]\nbackends = [\"t\"]\n");
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].line, 5);
}

TEST(Config, BackendCreationErrorsPointAtTheirKey) {
  BackendTypes types;
  types.add(describe_backend<TestBackend>(), "test");
  auto loaded = load("[[backend]]\nname = \"t\"\ntype = \"test\"\nfail_create = true\n" 
                     "[[route]]\ndomains = [\"*\"]\nbackends = [\"t\"]\n", types);
  ASSERT_TRUE(std::holds_alternative<Config>(loaded));
  Logger logger({"stderr", LogLevel::Error, false});
  EngineServices services(false, logger);
  auto routes = Routes::build(std::get<Config>(loaded), services);
  ASSERT_TRUE(std::holds_alternative<std::vector<ConfigIssue>>(routes));
  const auto& issue = std::get<std::vector<ConfigIssue>>(routes).front();
  EXPECT_EQ(issue.line, 4);
  EXPECT_EQ(issue.key, "backend \"t\".fail_create");
  EXPECT_EQ(issue.message, "asked to fail");
}

TEST(Config, MissingPasswordFileIsAStartupError) {
  BackendTypes types;
  register_builtin_backends(types);
  auto loaded = load("[[backend]]\nname = \"f\"\ntype = \"passwd-file\"\npath = \"/nonexistent/users.passwd\"\n"
                     "[[route]]\ndomains = [\"*\"]\nbackends = [\"f\"]\n", types);
  ASSERT_TRUE(std::holds_alternative<Config>(loaded));
  Logger logger({"stderr", LogLevel::Error, false});
  EngineServices services(false, logger);
  auto routes = Routes::build(std::get<Config>(loaded), services);
  ASSERT_TRUE(std::holds_alternative<std::vector<ConfigIssue>>(routes));
  const auto& issue = std::get<std::vector<ConfigIssue>>(routes).front();
  EXPECT_EQ(issue.line, 4);
  EXPECT_NE(issue.message.find("No such file"), std::string::npos);
}

// Each backend's services learn the schemes of that backend alone: an
// unknown name on a route costs what a wrong password there costs.
TEST(Config, EachBackendLearnsItsOwnSlowestScheme) {
  TempDir dir;
  const auto& registry = passwords::Registry::instance();
  const auto fast = dir.file("fast", "a@example.com:" + registry.encode("SSHA", Secret("a")) + "\n");
  const auto slow = dir.file("slow", "b@example.com:" + registry.encode("SHA512-CRYPT", Secret("b")) + "\n");
  BackendTypes types;
  register_builtin_backends(types);
  auto loaded = load("[[backend]]\nname = \"fast\"\ntype = \"passwd-file\"\npath = \"" + fast + "\"\n"
                     "[[backend]]\nname = \"slow\"\ntype = \"passwd-file\"\npath = \"" + slow + "\"\n"
                     "[[route]]\ndomains = [\"*\"]\nbackends = [\"fast\", \"slow\"]\n", types);
  ASSERT_TRUE(std::holds_alternative<Config>(loaded));
  Logger logger({"stderr", LogLevel::Error, false});
  EngineServices services(false, logger);
  auto built = Routes::build(std::get<Config>(loaded), services);
  ASSERT_TRUE(std::holds_alternative<Routes>(built));
  const auto& backends = std::get<Routes>(built).backends();
  ASSERT_EQ(backends.size(), 2u);
  EXPECT_TRUE(backends[0]->services->timing_reference().starts_with("{SSHA}"));
  EXPECT_TRUE(backends[1]->services->timing_reference().starts_with("$6$"));
  EXPECT_EQ(services.timing_reference(), "");  // the shared services hold none of them
}

TEST(Config, FileThatCannotBeRead) {
  BackendTypes types;
  auto result = load_config("/nonexistent/authd.toml", types, "");
  ASSERT_TRUE(std::holds_alternative<std::vector<ConfigIssue>>(result));
  EXPECT_NE(std::get<std::vector<ConfigIssue>>(result)[0].message.find("cannot read"), std::string::npos);
}

TEST(Config, TheLogMustBeWritableBeforeStartUp) {
  TempDir dir;
  std::filesystem::create_directory(dir.path() / "logs");
  const auto issue_for = [&](const std::string& log) -> std::string {
    BackendTypes types;
    register_builtin_backends(types);
    types.add(describe_backend<TestBackend>(), "test");
    auto result = load("[authd]\nworkers = 2\nlog = \"" + log + "\"\n" + good_tail, types, dir.path().string());
    auto* issues = std::get_if<std::vector<ConfigIssue>>(&result);
    if (issues == nullptr) return {};
    EXPECT_EQ(issues->size(), 1u);
    EXPECT_EQ(issues->front().line, 3);
    EXPECT_EQ(issues->front().key, "authd.log");
    return issues->front().message;
  };
  EXPECT_NE(issue_for("").find("is empty"), std::string::npos);
  EXPECT_NE(issue_for("missing/authd.log").find("No such file or directory"), std::string::npos);
  EXPECT_NE(issue_for("logs").find("is a directory"), std::string::npos);
  EXPECT_NE(issue_for(dir.file("plain", "x") + "/authd.log").find("Not a directory"), std::string::npos);
  if (::geteuid() != 0) {
    std::filesystem::create_directory(dir.path() / "locked");
    std::filesystem::permissions(dir.path() / "locked", std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    EXPECT_NE(issue_for("locked/authd.log").find("Permission denied"), std::string::npos);
    const auto readonly = dir.file("readonly.log", "");
    std::filesystem::permissions(readonly, std::filesystem::perms::owner_read);
    EXPECT_NE(issue_for(readonly).find("Permission denied"), std::string::npos);
  }
  // A file that does not exist yet in a writable directory is fine, and the
  // check does not create it.
  EXPECT_EQ(issue_for("logs/authd.log"), "");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "logs" / "authd.log"));
  EXPECT_EQ(issue_for(dir.file("existing.log", "")), "");
  EXPECT_EQ(issue_for("syslog"), "");
  EXPECT_EQ(issue_for("stderr"), "");
}

}  // namespace
}  // namespace authd::testing
