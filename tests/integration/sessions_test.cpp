// The real authd binary, launched as a mail server launches it, replaying
// the scripted sessions shipped in examples/sessions.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "helper_process.hpp"

namespace authd::testing {
namespace {

using namespace std::chrono_literals;

const std::string examples = std::string(AUTHD_SOURCE_DIR) + "/examples";

std::string describe(const SessionResult& result) {
  std::string text;
  for (const auto& p : result.problems) text += "  problem: " + p + "\n";
  for (const auto& r : result.received) text += "  received: " + r + "\n";
  return text;
}

void expect_session(const std::string& config, const std::string& session) {
  const auto result = run_session({AUTHD_BINARY, "--config", examples + "/" + config}, examples + "/sessions/" + session);
  EXPECT_TRUE(result.problems.empty()) << session << "\n" << describe(result);
  EXPECT_EQ(result.exit_status, 0);
  EXPECT_LT(result.exit_after, 5s);
}

TEST(Sessions, SeedBasic) { expect_session("sessions/seed.toml", "seed-basic.txt"); }
TEST(Sessions, SeedOutOfOrder) { expect_session("sessions/seed.toml", "seed-out-of-order.txt"); }
TEST(Sessions, SeedUnknownNames) { expect_session("sessions/seed-new.toml", "seed-new.txt"); }
TEST(Sessions, Demo) { expect_session("demo/authd.toml", "demo.txt"); }

TEST(Sessions, InOrderReplayOfTheSeedSessionsPasses) {
  // The basic seed session answered one request at a time matches in file
  // order too.
  HelperProcess helper({AUTHD_BINARY, "--config", examples + "/sessions/seed.toml"});
  const std::pair<const char*, const char*> exchange[] = {
      {"00001 INTF 1\n", "00001 OK 1"},
      {"00010 VRFY user1@domain1.com dsyui134\n", "00010 OK"},
      {"00011 VRFY (IMAP) user2@domain2.com jskj23#45\n", "00011 ERROR incorrect password"},
      {"00012 SASL(CRAM-MD5) user4@domain2.com hdkj547812329394055 <pop-23456@mydomain.com>\n",
       "00012 ERROR unsupported SASL method"},
  };
  for (const auto& [request, answer] : exchange) {
    helper.send(request);
    EXPECT_EQ(helper.read_line(5s), answer);
  }
  helper.close_input();
  EXPECT_EQ(helper.wait(5s), 0);
}

TEST(Binary, CheckConfigAcceptsTheExamples) {
  for (const char* config :
       {"/demo/authd.toml", "/sessions/seed.toml", "/sessions/seed-new.toml", "/pam/authd.toml", "/ldap/authd.toml"}) {
    HelperProcess check({AUTHD_BINARY, "--check-config", examples + config});
    EXPECT_EQ(check.wait(10s), 0) << config;
  }
}

TEST(Binary, CheckConfigReportsFileLineAndKey) {
  const auto dir = std::filesystem::temp_directory_path() / ("authd-cc-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto config = (dir / "bad.toml").string();
  std::ofstream(config) << "[authd]\nworkers = \"many\"\n[[backend]]\nname = \"x\"\ntype = \"passwd-file\"\n"
                           "path = \"missing.passwd\"\n[[route]]\ndomains = [\"*\"]\nbackends = [\"x\"]\n";
  const auto err = (dir / "stderr").string();
  HelperProcess check({AUTHD_BINARY, "--check-config", config}, err);
  EXPECT_EQ(check.wait(10s), 1);
  std::ifstream in(err);
  const std::string text{std::istreambuf_iterator<char>(in), {}};
  EXPECT_NE(text.find(config + ":2: authd.workers: must be a whole number"), std::string::npos) << text;
  std::filesystem::remove_all(dir);
}

TEST(Binary, CheckConfigRefusesALogThatCannotBeOpened) {
  // --check-config must refuse what --config cannot start with.
  const auto dir = std::filesystem::temp_directory_path() / ("authd-cl-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "a-directory");
  std::ofstream(dir / "users.passwd") << "joe@example.com:{SSHA}W8WH2WBVmWBfukWy2gYTy5xPiub1vTC63j/bQA==\n";
  for (const std::string log : {"", "missing-directory/authd.log", "a-directory"}) {
    const auto config = (dir / "authd.toml").string();
    std::ofstream(config) << "[authd]\nlog = \"" << log << "\"\n[[backend]]\nname = \"x\"\ntype = \"passwd-file\"\n"
                             "path = \"users.passwd\"\n[[route]]\ndomains = [\"*\"]\nbackends = [\"x\"]\n";
    const auto err = (dir / "stderr").string();
    HelperProcess check({AUTHD_BINARY, "--check-config", config}, err);
    EXPECT_EQ(check.wait(10s), 1) << "log = \"" << log << "\"";
    std::ifstream in(err);
    const std::string text{std::istreambuf_iterator<char>(in), {}};
    EXPECT_NE(text.find(config + ":2: authd.log: "), std::string::npos) << text;
    HelperProcess serve({AUTHD_BINARY, "--config", config}, "/dev/null");
    serve.close_input();
    EXPECT_EQ(serve.wait(10s), 1) << "log = \"" << log << "\"";
  }
  std::filesystem::remove_all(dir);
}

TEST(Binary, ExitsPromptlyAtEndOfInputWithWorkInFlight) {
  HelperProcess helper({AUTHD_BINARY, "--config", examples + "/sessions/seed.toml"});
  for (int i = 0; i < 20; ++i) helper.send(std::to_string(i) + " VRFY user1@domain1.com dsyui134\n");
  helper.close_input();
  int answers = 0;
  while (auto line = helper.read_line(6s)) ++answers;
  EXPECT_EQ(answers, 20);
  EXPECT_EQ(helper.wait(1s), 0);
}

TEST(Binary, WritesNothingToStandardErrorWhileServing) {
  const auto err = std::filesystem::temp_directory_path() / ("authd-err-" + std::to_string(::getpid()));
  {
    HelperProcess helper({AUTHD_BINARY, "--config", examples + "/sessions/seed.toml"}, err.string());
    helper.send("1 INTF 2\nnonsense\n2 VRFY a@b c\n3 BOGUS\n");
    helper.close_input();
    while (helper.read_line(5s)) {
    }
    EXPECT_EQ(helper.wait(5s), 0);
  }
  EXPECT_EQ(std::filesystem::file_size(err), 0u);
  std::filesystem::remove(err);
}

}  // namespace
}  // namespace authd::testing
