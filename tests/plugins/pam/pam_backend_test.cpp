// The PAM backend: the OS user name template, the meaning of PAM's status
// codes, the conversation, and real PAM transactions under pam_wrapper
// (pam_matrix, and Linux-PAM's own pam_permit, pam_deny, pam_debug and
// pam_faildelay), alone and through the engine.
#include <security/pam_appl.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include "authd/engine_services.hpp"
#include "authd/log.hpp"
#include "engine_harness.hpp"
#include "pam/pam_backend.hpp"
#include "os/pam_conversation.hpp"
#include "os/pam_results.hpp"
#include "os/user_template.hpp"
#include "pam_test_env.hpp"
#include "passwords/registry.hpp"
#include "protocol/quoting.hpp"

namespace authd::testing {
namespace {

using namespace std::chrono_literals;
using pam::PamBackend;
using pam::UserTemplate;
namespace service = pam_env::service;

// --- the OS user name template ---

std::string expand(std::string_view text, std::string_view name, std::string_view domain) {
  std::string error;
  auto parsed = UserTemplate::parse(text, error);
  if (!parsed) return "<refused: " + error + ">";
  return parsed->expand(name, domain);
}

TEST(PamUserTemplate, StarIsTheNameAndDollarDTheDomain) {
  EXPECT_EQ(expand("*", "joe", "example.com"), "joe");
  EXPECT_EQ(expand("*%comp1", "joe", "example.com"), "joe%comp1");
  EXPECT_EQ(expand("*@$d", "joe", "example.com"), "joe@example.com");
  EXPECT_EQ(expand("$d-*", "joe", "example.com"), "example.com-joe");
  EXPECT_EQ(expand("*$d$d", "a", "b"), "abb");
  EXPECT_EQ(expand("x$y*$", "joe", "example.com"), "x$yjoe$");  // '$' before anything but 'd' is kept
}

TEST(PamUserTemplate, NamesAreNeverExpandedAgain) {
  EXPECT_EQ(expand("*@$d", "a$d*", "example.com"), "a$d*@example.com");
  EXPECT_EQ(expand("*", "*", "example.com"), "*");
}

TEST(PamUserTemplate, NeedsExactlyOneStar) {
  for (const char* text : {"", "joe", "**", "*%*", "$d"}) {
    std::string error;
    EXPECT_FALSE(UserTemplate::parse(text, error)) << text;
    EXPECT_NE(error.find("exactly one '*'"), std::string::npos) << text << ": " << error;
  }
}

TEST(PamUserTemplate, RefusesWhatNoUserNameHolds) {
  const std::vector<std::string> refused = {"*:x", "* x", "*\tx", "*\x01", "*\x7f", "*" + std::string(256, 'x')};
  for (const auto& text : refused) {
    std::string error;
    EXPECT_FALSE(UserTemplate::parse(text, error)) << text;
    EXPECT_FALSE(error.empty());
  }
}

// --- PAM status codes as verdicts ---

TEST(PamResults, AuthenticationStatuses) {
  EXPECT_EQ(pam::authenticate_verdict(PAM_SUCCESS).kind, VerdictKind::Accept);
  EXPECT_EQ(pam::authenticate_verdict(PAM_USER_UNKNOWN).kind, VerdictKind::UnknownName);
  const Verdict wrong = pam::authenticate_verdict(PAM_AUTH_ERR);
  EXPECT_EQ(wrong.kind, VerdictKind::Reject);
  EXPECT_EQ(wrong.reason, RejectReason::WrongPassword);
  EXPECT_NE(wrong.detail.find("PAM_AUTH_ERR"), std::string::npos) << wrong.detail;
  for (int status : {PAM_MAXTRIES, PAM_PERM_DENIED}) {
    const Verdict verdict = pam::authenticate_verdict(status);
    EXPECT_EQ(verdict.kind, VerdictKind::Reject) << status;
    EXPECT_EQ(verdict.reason, RejectReason::Disabled) << status;
  }
  for (int status : {PAM_AUTHINFO_UNAVAIL, PAM_SYSTEM_ERR, PAM_BUF_ERR, PAM_CONV_ERR, PAM_CRED_INSUFFICIENT, PAM_ABORT,
                     PAM_MODULE_UNKNOWN, PAM_SERVICE_ERR, PAM_IGNORE, 999}) {
    const Verdict verdict = pam::authenticate_verdict(status);
    EXPECT_EQ(verdict.kind, VerdictKind::TempFail) << status;
    EXPECT_NE(verdict.detail.find(pam::status_name(status)), std::string::npos) << verdict.detail;
  }
  EXPECT_EQ(pam::status_name(999), "PAM status 999");
}

TEST(PamResults, AccountStatuses) {
  EXPECT_EQ(pam::account_verdict(PAM_SUCCESS).kind, VerdictKind::Accept);
  for (int status : {PAM_ACCT_EXPIRED, PAM_NEW_AUTHTOK_REQD, PAM_AUTHTOK_EXPIRED, PAM_PERM_DENIED, PAM_AUTH_ERR,
                     PAM_USER_UNKNOWN, PAM_MAXTRIES}) {
    const Verdict verdict = pam::account_verdict(status);
    EXPECT_EQ(verdict.kind, VerdictKind::Reject) << status;
    EXPECT_EQ(verdict.reason, RejectReason::Disabled) << status;
    EXPECT_NE(verdict.detail.find("pam_acct_mgmt"), std::string::npos) << verdict.detail;
  }
  for (int status : {PAM_AUTHINFO_UNAVAIL, PAM_SYSTEM_ERR, PAM_BUF_ERR, PAM_ABORT, 999})
    EXPECT_EQ(pam::account_verdict(status).kind, VerdictKind::TempFail) << status;
}

// --- the conversation, called as a PAM module would ---

struct Asked {
  int status = 0;
  pam_response* responses = nullptr;
};

Asked ask(pam::ConversationState& state, const std::vector<int>& styles) {
  std::vector<pam_message> messages(styles.size());
  std::vector<const pam_message*> pointers(styles.size());
  for (std::size_t i = 0; i < styles.size(); ++i) {
    messages[i] = {styles[i], "question"};
    pointers[i] = &messages[i];
  }
  Asked asked;
  asked.status = pam::converse(static_cast<int>(styles.size()), pointers.data(), &asked.responses, &state);
  return asked;
}

void release(pam_response* responses, std::size_t count) {
  if (responses == nullptr) return;
  for (std::size_t i = 0; i < count; ++i) std::free(responses[i].resp);
  std::free(responses);
}

TEST(PamConversation, PasswordPromptsGetThePasswordAndMessagesNothing) {
  const Secret password("correct horse");
  pam::ConversationState state;
  state.password = &password;
  const Asked asked = ask(state, {PAM_TEXT_INFO, PAM_PROMPT_ECHO_OFF, PAM_ERROR_MSG, PAM_PROMPT_ECHO_OFF});
  ASSERT_EQ(asked.status, PAM_SUCCESS);
  ASSERT_NE(asked.responses, nullptr);
  EXPECT_EQ(asked.responses[0].resp, nullptr);
  ASSERT_NE(asked.responses[1].resp, nullptr);
  EXPECT_STREQ(asked.responses[1].resp, "correct horse");
  EXPECT_EQ(asked.responses[2].resp, nullptr);
  EXPECT_STREQ(asked.responses[3].resp, "correct horse");
  EXPECT_NE(asked.responses[1].resp, asked.responses[3].resp);  // PAM frees each one
  EXPECT_EQ(state.password_prompts, 2);
  EXPECT_FALSE(state.refused);
  release(asked.responses, 4);
}

TEST(PamConversation, AnythingElseIsRefusedAndNothingIsLeftAllocated) {
  const Secret password("correct horse");
  for (int style : {PAM_PROMPT_ECHO_ON, PAM_BINARY_PROMPT, PAM_RADIO_TYPE, 0, 99, -1}) {
    pam::ConversationState state;
    state.password = &password;
    // The password copy made for the first message must be freed (ASan's
    // leak check sees it otherwise).
    const Asked asked = ask(state, {PAM_PROMPT_ECHO_OFF, style});
    EXPECT_EQ(asked.status, PAM_CONV_ERR) << style;
    EXPECT_EQ(asked.responses, nullptr) << style;
    EXPECT_TRUE(state.refused) << style;
    EXPECT_EQ(state.refused_style, style);
  }
}

TEST(PamConversation, MalformedCallsAreRefused) {
  const Secret password("pw");
  pam::ConversationState state;
  state.password = &password;
  pam_response* responses = reinterpret_cast<pam_response*>(0x1);
  EXPECT_EQ(pam::converse(0, nullptr, &responses, &state), PAM_CONV_ERR);
  EXPECT_EQ(responses, nullptr);
  const pam_message* none[1] = {nullptr};
  EXPECT_EQ(pam::converse(1, none, &responses, &state), PAM_CONV_ERR);
  EXPECT_EQ(pam::converse(1, none, nullptr, &state), PAM_CONV_ERR);
  const pam_message message{PAM_PROMPT_ECHO_OFF, "Password: "};
  const pam_message* one[1] = {&message};
  EXPECT_EQ(pam::converse(1, one, &responses, nullptr), PAM_CONV_ERR);
  const Asked too_many = ask(state, std::vector<int>(PAM_MAX_NUM_MSG + 1, PAM_TEXT_INFO));
  EXPECT_EQ(too_many.status, PAM_CONV_ERR);
  const Asked most = ask(state, std::vector<int>(PAM_MAX_NUM_MSG, PAM_TEXT_INFO));
  EXPECT_EQ(most.status, PAM_SUCCESS);
  release(most.responses, PAM_MAX_NUM_MSG);
}

TEST(PamConversation, PasswordPromptsAreBounded) {
  const Secret password("pw");
  pam::ConversationState state;
  state.password = &password;
  for (int i = 0; i < pam::max_password_prompts; ++i) {
    const Asked asked = ask(state, {PAM_PROMPT_ECHO_OFF});
    ASSERT_EQ(asked.status, PAM_SUCCESS) << i;
    release(asked.responses, 1);
  }
  const Asked extra = ask(state, {PAM_PROMPT_ECHO_OFF});
  EXPECT_EQ(extra.status, PAM_CONV_ERR);
  EXPECT_TRUE(state.refused);
  EXPECT_EQ(state.refused_style, PAM_PROMPT_ECHO_OFF);
}

// --- real PAM transactions ---

class PamBackendTest : public ::testing::Test {
 protected:
  PamBackendTest() : logger_({(dir_.path() / "log").string(), LogLevel::Debug, false}), services_(false, logger_) {
    pam_env::write_passdb({
        {"joe", "correct horse", service::matrix},
        {"joe%comp1", "component", service::matrix},
        {"ann", "wonderland", service::matrix},
        {"locked", "still right", "another-service"},
    });
    pam_env::write_os_users({"joe", "joe%comp1", "ann", "locked"});
  }

  std::unique_ptr<PamBackend> backend(const std::string& pam_service, const std::string& user_template = "*",
                                      std::int64_t max_concurrent = 0) {
    Settings settings({{"service", pam_service}, {"user_template", user_template}, {"max_concurrent", max_concurrent}});
    return std::make_unique<PamBackend>(BackendContext{"os", settings, services_});
  }
  Verdict verify(const std::string& pam_service, std::string_view name, std::string_view password,
                 const std::string& user_template = "*") {
    return backend(pam_service, user_template)->verify({name, "example.com"}, Secret(password), "IMAP");
  }
  std::string log_text() {
    logger_.flush();
    std::ifstream in(dir_.path() / "log");
    return {std::istreambuf_iterator<char>(in), {}};
  }

  TempDir dir_;
  Logger logger_;
  EngineServices services_;
};

void expect_reject(const Verdict& verdict, RejectReason reason) {
  EXPECT_EQ(verdict.kind, VerdictKind::Reject) << verdict.detail;
  EXPECT_EQ(verdict.reason, reason) << verdict.detail;
}

void expect_temp_fail(const Verdict& verdict, std::string_view detail_part) {
  EXPECT_EQ(verdict.kind, VerdictKind::TempFail) << verdict.detail;
  EXPECT_NE(verdict.detail.find(detail_part), std::string::npos) << verdict.detail;
}

TEST_F(PamBackendTest, ChecksPasswordsThroughTheService) {
  EXPECT_EQ(verify(service::matrix, "joe", "correct horse").kind, VerdictKind::Accept);
  EXPECT_EQ(verify(service::matrix, "ann", "wonderland").kind, VerdictKind::Accept);
  expect_reject(verify(service::matrix, "joe", "wonderland"), RejectReason::WrongPassword);
  expect_reject(verify(service::matrix, "joe", "correct horse "), RejectReason::WrongPassword);
  // pam_matrix, like pam_unix behind Debian's common-auth, answers an unknown
  // user as a wrong password.
  expect_reject(verify(service::matrix, "nobody", "correct horse"), RejectReason::WrongPassword);
}

TEST_F(PamBackendTest, DefaultTemplateIgnoresTheDomain) {
  auto os = backend(service::matrix);
  EXPECT_EQ(os->verify({"joe", "example.org"}, Secret("correct horse"), "").kind, VerdictKind::Accept);
}

TEST_F(PamBackendTest, TemplateMakesTheOsUserName) {
  EXPECT_EQ(verify(service::matrix, "joe", "component", "*%comp1").kind, VerdictKind::Accept);
  expect_reject(verify(service::matrix, "joe", "correct horse", "*%comp1"), RejectReason::WrongPassword);
  expect_reject(verify(service::matrix, "ann", "wonderland", "*%comp1"), RejectReason::WrongPassword);
}

TEST_F(PamBackendTest, PasswordsOver512BytesNeverReachPam) {
  // pam_permit accepts any password, so only the backend can refuse these.
  EXPECT_EQ(verify(service::permit, "joe", std::string(pam::max_password_length, 'a')).kind, VerdictKind::Accept);
  const Verdict long_one = verify(service::permit, "joe", std::string(pam::max_password_length + 1, 'a'));
  expect_reject(long_one, RejectReason::WrongPassword);
  EXPECT_NE(long_one.detail.find("512"), std::string::npos) << long_one.detail;
  expect_reject(verify(service::permit, "joe", std::string(100000, 'a')), RejectReason::WrongPassword);
}

TEST_F(PamBackendTest, PasswordWithNulNeverReachesPam) {
  // PAM would see "correct" only.
  expect_reject(verify(service::permit, "joe", std::string_view("correct\0horse", 13)), RejectReason::WrongPassword);
}

TEST_F(PamBackendTest, BrokenPamSetUpIsATemporaryFailure) {
  expect_temp_fail(verify(service::unavailable, "joe", "correct horse"), "PAM_AUTHINFO_UNAVAIL");
  expect_temp_fail(verify(service::system_error, "joe", "correct horse"), "PAM_SYSTEM_ERR");
  expect_temp_fail(verify(service::missing_module, "joe", "correct horse"), "pam_authenticate");
  {
    // Linux-PAM 1.5.2 itself leaks 96 bytes when pam_start fails this way,
    // and leaves the caller nothing to free.
#if defined(__SANITIZE_ADDRESS__)
    __lsan_disable();
#endif
    expect_temp_fail(verify(service::broken, "joe", "correct horse"),
                     "cannot start PAM service 'authd-test-broken': PAM_ABORT");
#if defined(__SANITIZE_ADDRESS__)
    __lsan_enable();
#endif
  }
}

TEST_F(PamBackendTest, ServiceWithoutAFileUsesOther) {
  expect_reject(verify(service::absent, "joe", "correct horse"), RejectReason::WrongPassword);
}

TEST_F(PamBackendTest, UserUnknownToPamSendsTheRouteOn) {
  EXPECT_EQ(verify(service::user_unknown, "joe", "correct horse").kind, VerdictKind::UnknownName);
}

TEST_F(PamBackendTest, EchoedPromptFailsClosed) {
  // pam_matrix's "echo" asks for the password with an echoed prompt, which
  // authd never answers: not even the right password gets through.
  expect_temp_fail(verify(service::echo_prompt, "joe", "correct horse"), "other than the password (an echoed prompt");
  expect_temp_fail(verify(service::echo_prompt, "joe", "wrong"), "other than the password");
}

TEST_F(PamBackendTest, InformationMessagesAreAnsweredWithNothing) {
  EXPECT_EQ(verify(service::chatty, "joe", "correct horse").kind, VerdictKind::Accept);
  expect_reject(verify(service::chatty, "joe", "wrong"), RejectReason::WrongPassword);
}

TEST_F(PamBackendTest, RepeatedPasswordPromptsAreAnsweredUpToTheBound) {
  EXPECT_EQ(verify(service::two_prompts, "joe", "correct horse").kind, VerdictKind::Accept);
  expect_reject(verify(service::two_prompts, "joe", "wrong"), RejectReason::WrongPassword);
  expect_temp_fail(verify(service::nine_prompts, "joe", "correct horse"), "more than 8 times");
}

TEST_F(PamBackendTest, AccountCheckRefusesLockedAndExpiredAccounts) {
  expect_reject(verify(service::deny_account, "joe", "correct horse"), RejectReason::Disabled);
  expect_reject(verify(service::deny_account, "joe", "wrong"), RejectReason::WrongPassword);
  expect_reject(verify(service::expired, "joe", "correct horse"), RejectReason::Disabled);
  expect_reject(verify(service::new_authtok, "joe", "correct horse"), RejectReason::Disabled);
  // pam_matrix lets a user into the service its passdb line names only.
  const Verdict locked = verify(service::matrix, "locked", "still right");
  expect_reject(locked, RejectReason::Disabled);
  EXPECT_NE(locked.detail.find("PAM_PERM_DENIED"), std::string::npos) << locked.detail;
}

TEST_F(PamBackendTest, ExistsAsksTheOsUserDatabase) {
  auto os = backend(service::matrix);
  EXPECT_EQ(os->exists({"joe", "example.com"}).kind, VerdictKind::Accept);
  EXPECT_EQ(os->exists({"nobody", "example.com"}).kind, VerdictKind::UnknownName);
  auto component = backend(service::matrix, "*%comp1");
  EXPECT_EQ(component->exists({"joe", "example.com"}).kind, VerdictKind::Accept);
  EXPECT_EQ(component->exists({"ann", "example.com"}).kind, VerdictKind::UnknownName);
}

TEST_F(PamBackendTest, EverythingRunsOnWorkersAndNoSecretsAreOffered) {
  auto os = backend(service::matrix);
  for (auto op : {Operation::Verify, Operation::Credentials, Operation::Exists})
    EXPECT_EQ(os->cost(op, {"joe", "example.com"}), Cost::Blocking);
  EXPECT_FALSE(os->supports_credentials());
  EXPECT_TRUE(os->timing_reference().empty());
}

TEST_F(PamBackendTest, BadSettingsAreReportedAtTheirKey) {
  auto key_of_error = [&](const std::string& pam_service, const std::string& user_template) -> std::string {
    try {
      backend(pam_service, user_template);
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()), "");
      return e.key();
    }
    return "<no error>";
  };
  EXPECT_EQ(key_of_error(service::matrix, "joe"), "user_template");
  EXPECT_EQ(key_of_error(service::matrix, "**"), "user_template");
  EXPECT_EQ(key_of_error(service::matrix, "* "), "user_template");
  EXPECT_EQ(key_of_error("Authd", "*"), "service");
  EXPECT_EQ(key_of_error("../authd", "*"), "service");
  EXPECT_EQ(key_of_error("", "*"), "service");
  EXPECT_EQ(key_of_error(".hidden", "*"), "service");
}

TEST_F(PamBackendTest, MissingSystemServiceFileIsLogged) {
  backend(service::matrix);
  const std::string log = log_text();
  EXPECT_NE(log.find("no /etc/pam.d/authd-test: Linux-PAM checks passwords with the stack of the 'other' service"),
            std::string::npos)
      << log;
}

TEST_F(PamBackendTest, ConcurrentTransactionsEachGetTheirOwnAnswer) {
  auto os = backend(service::matrix);
  std::vector<std::thread> threads;
  std::atomic<int> wrong_answers{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const bool right = (i + t) % 2 == 0;
        const Verdict verdict =
            os->verify({t % 2 ? "ann" : "joe", "example.com"},
                       Secret(right ? (t % 2 ? "wonderland" : "correct horse") : "nope"), "");
        if (verdict.accepted() != right) ++wrong_answers;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong_answers.load(), 0);
}

// --- through the engine ---

std::string vrfy_line(int seq, const std::string& account, const std::string& password) {
  std::string line = std::to_string(seq) + " VRFY (IMAP) " + account + " ";
  protocol::append_quoted_argument(line, password);
  return line;
}

class PamThroughEngine : public ::testing::Test {
 protected:
  PamThroughEngine() {
    pam_env::write_passdb({{"joe", "correct horse", service::matrix}});
    pam_env::write_os_users({"joe"});
  }
  // A PAM route and a password-file route whose hash (SHA512-CRYPT) is slow
  // enough to need a worker of its own.
  std::string config(const std::string& pam_service, int max_concurrent) {
    const std::string stored = passwords::Registry::instance().encode("SHA512-CRYPT", Secret("battery staple"));
    const std::string path = files_.file("users.passwd", "ann@file.test:" + stored + "\n");
    return "[authd]\nlog = \"syslog\"\nworkers = 4\nrequest_timeout_ms = 5000\n"
           "[[backend]]\nname = \"os\"\ntype = \"pam\"\nservice = \"" + pam_service + "\"\nmax_concurrent = " +
           std::to_string(max_concurrent) +
           "\n[[backend]]\nname = \"file\"\ntype = \"passwd-file\"\npath = \"" + path +
           "\"\ncheck_interval_ms = 0\n"
           "[[route]]\ndomains = [\"pam.test\"]\nbackends = [\"os\"]\n"
           "[[route]]\ndomains = [\"file.test\"]\nbackends = [\"file\"]\n"
           "[[route]]\ndomains = [\"both.test\"]\nbackends = [\"os\", \"file\"]\n";
  }
  TempDir files_;
};

TEST_F(PamThroughEngine, SlowPamFailureDelayHoldsUpNothingElse) {
  EngineHarness engine(config(service::slow, 0));
  const auto start = EngineHarness::Clock::now();
  engine.send_line(vrfy_line(1, "joe@pam.test", "wrong one"));
  engine.send_line(vrfy_line(2, "joe@pam.test", "wrong two"));
  engine.send_line(vrfy_line(3, "ann@file.test", "battery staple"));
  // pam_faildelay makes each failed PAM transaction last about one second
  // (Linux-PAM varies it at random); the password file answers meanwhile
  // from a free worker.
  EXPECT_EQ(engine.read_line(3s).value_or("<none>"), "3 OK");
  EXPECT_LT(EngineHarness::Clock::now() - start, 600ms);
  std::set<std::string> pam_answers;
  for (int i = 0; i < 2; ++i) pam_answers.insert(engine.read_line(5s).value_or("<none>"));
  // Linux-PAM randomises the delay; at least part of it must have been waited out.
  EXPECT_GE(EngineHarness::Clock::now() - start, 400ms);
  EXPECT_EQ(pam_answers, (std::set<std::string>{"1 ERROR incorrect account name or password",
                                                "2 ERROR incorrect account name or password"}));
  EXPECT_EQ(engine.ask(vrfy_line(4, "joe@pam.test", "correct horse")), "4 OK");
}

TEST_F(PamThroughEngine, PastMaxConcurrentRequestsFailAtOnce) {
  EngineHarness engine(config(service::slow, 1));
  const auto start = EngineHarness::Clock::now();
  engine.send_line(vrfy_line(1, "joe@pam.test", "wrong one"));
  engine.send_line(vrfy_line(2, "joe@pam.test", "wrong two"));
  // One takes the only place and waits out the failure delay; the other is
  // answered FAILURE without waiting for it.
  const std::string first = engine.read_line(3s).value_or("<none>");
  EXPECT_LT(EngineHarness::Clock::now() - start, 600ms);
  EXPECT_NE(first.find(" FAILURE temporarily unavailable"), std::string::npos) << first;
  const std::string second = engine.read_line(5s).value_or("<none>");
  EXPECT_NE(second.find(" ERROR incorrect account name or password"), std::string::npos) << second;
  EXPECT_NE(first.substr(0, 2), second.substr(0, 2));
  EXPECT_NE(engine.log_text().find("PAM is busy: max_concurrent = 1 transactions are running already"),
            std::string::npos);
}

TEST_F(PamThroughEngine, UserUnknownToPamIsAskedOfTheNextBackend) {
  const std::string stored = passwords::Registry::instance().encode("SSHA", Secret("battery staple"));
  const std::string path = files_.file("both.passwd", "ann@both.test:" + stored + "\n");
  EngineHarness engine("[authd]\nlog = \"syslog\"\nworkers = 2\n"
                       "[[backend]]\nname = \"os\"\ntype = \"pam\"\nservice = \"" +
                       std::string(service::user_unknown) +
                       "\"\n[[backend]]\nname = \"file\"\ntype = \"passwd-file\"\npath = \"" + path +
                       "\"\ncheck_interval_ms = 0\n[[route]]\ndomains = [\"*\"]\nbackends = [\"os\", \"file\"]\n");
  EXPECT_EQ(engine.ask(vrfy_line(1, "ann@both.test", "battery staple")), "1 OK");
  EXPECT_EQ(engine.ask(vrfy_line(2, "ann@both.test", "wrong")), "2 ERROR incorrect account name or password");
  EXPECT_EQ(engine.ask(vrfy_line(3, "bob@both.test", "battery staple")), "3 ERROR incorrect account name or password");
}

TEST_F(PamThroughEngine, BrokenServiceIsAnsweredFailure) {
  EngineHarness engine(config(service::unavailable, 0));
  EXPECT_EQ(engine.ask(vrfy_line(1, "joe@pam.test", "correct horse")), "1 FAILURE temporarily unavailable");
  EXPECT_NE(engine.log_text().find("PAM_AUTHINFO_UNAVAIL"), std::string::npos);
}

}  // namespace
}  // namespace authd::testing
