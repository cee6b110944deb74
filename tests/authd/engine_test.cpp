// The dispatcher: ordering, deadlines, overload, shutdown, bad input and the
// uniform answer, driven over pipes with the configurable test backend.
#include <set>


#include "engine_harness.hpp"

namespace authd::testing {
namespace {

using namespace std::chrono_literals;

std::string config(const std::string& engine, const std::string& backends, const std::string& route = "") {
  // Failures are answered at once unless a test is about their answer time.
  const std::string hold = engine.find("failure_answer_time_ms") == std::string::npos ? "failure_answer_time_ms = 0\n" : "";
  return "[authd]\nlog = \"syslog\"\n" + hold + engine + "\n" + backends + "\n" +
         (route.empty() ? "[[route]]\ndomains = [\"*\"]\nbackends = [\"t\"]\n" : route);
}
const std::string cheap_backend = "[[backend]]\nname = \"t\"\ntype = \"test\"\ncheap = true\nnames = [\"joe@example.com\"]\n";

TEST(Engine, AnswersIntfWithTheLowerVersion) {
  EngineHarness h(config("", cheap_backend));
  EXPECT_EQ(h.ask("00001 INTF 1"), "00001 OK 1");
  EXPECT_EQ(h.ask("00002 INTF 7"), "00002 OK 2");
  EXPECT_EQ(h.finish(), 0);
}

TEST(Engine, AnswersIntfInTheCompatForm) {
  EngineHarness h(config("intf_reply = \"intf\"", cheap_backend));
  EXPECT_EQ(h.ask("1 INTF 3"), "1 INTF 2");
}

TEST(Engine, VerifiesThroughTheBackend) {
  EngineHarness h(config("", cheap_backend));
  EXPECT_EQ(h.ask("007 VRFY joe@example.com secret"), "007 OK");
  EXPECT_EQ(h.ask("008 VRFY (IMAP) JOE@Example.Com secret"), "008 OK");
  EXPECT_EQ(h.ask("009 VRFY joe@example.com wrong"), "009 ERROR incorrect account name or password");
}

TEST(Engine, EveryCredentialFailureReadsTheSameWhenHiding) {
  EngineHarness h(config("", cheap_backend));
  const std::string uniform = "ERROR incorrect account name or password";
  EXPECT_EQ(h.ask("1 VRFY joe@example.com wrong"), "1 " + uniform);
  EXPECT_EQ(h.ask("2 VRFY nobody@example.com secret"), "2 " + uniform);
  EXPECT_EQ(h.ask("3 VRFY joe@example.com \"\""), "3 " + uniform);
  EXPECT_EQ(h.ask("4 VRFY joe@ secret"), "4 " + uniform);
  EXPECT_EQ(h.ask("5 VRFY @example.com secret"), "5 " + uniform);
  EXPECT_EQ(h.ask("6 VRFY a@b@c secret"), "6 " + uniform);
  EXPECT_EQ(h.ask("7 VRFY joe secret"), "7 " + uniform);
  EXPECT_EQ(h.ask("8 VRFY joe@nowhere.example secret"), "8 " + uniform);
}

TEST(Engine, FailuresHaveTheirOwnTextsWhenNotHiding) {
  EngineHarness h(config("hide_unknown = false", cheap_backend));
  EXPECT_EQ(h.ask("1 VRFY joe@example.com wrong"), "1 ERROR incorrect password");
  EXPECT_EQ(h.ask("2 VRFY nobody@example.com secret"), "2 ERROR unknown account name");
  EXPECT_EQ(h.ask("3 VRFY joe@example.com \"\""), "3 ERROR empty password");
  EXPECT_EQ(h.ask("4 VRFY joe@ secret"), "4 ERROR malformed account name");
}

TEST(Engine, ConfiguredRejectText) {
  EngineHarness h(config("reject_text = \"no\"", cheap_backend));
  EXPECT_EQ(h.ask("1 VRFY nobody@example.com secret"), "1 ERROR no");
}

TEST(Engine, AnswersNew) {
  EngineHarness h(config("", cheap_backend));
  EXPECT_EQ(h.ask("1 NEW joe@example.com"), "1 OK");
  EXPECT_EQ(h.ask("2 NEW Joe@EXAMPLE.com"), "2 OK");
  EXPECT_EQ(h.ask("3 NEW nobody@example.com"), "3 ERROR this account is not known");
  EXPECT_EQ(h.ask("4 NEW nobody"), "4 ERROR malformed account name");
}

TEST(Engine, SlowRequestsDoNotDelayFastOnes) {
  EngineHarness h(config("workers = 1",
                         "[[backend]]\nname = \"slow\"\ntype = \"test\"\ndelay_ms = 400\n"
                         "names = [\"slow@example.com\"]\n"
                         "[[backend]]\nname = \"t\"\ntype = \"test\"\ncheap = true\nnames = [\"joe@fast.example\"]\n",
                         "[[route]]\ndomains = [\"example.com\"]\nbackends = [\"slow\"]\n"
                         "[[route]]\ndomains = [\"*\"]\nbackends = [\"t\"]\n"));
  // Three slow requests occupy the single worker and its queue; the cheap
  // ones sent after them must be answered first, in the order they came.
  h.send_line("1 VRFY slow@example.com secret");
  h.send_line("2 VRFY slow@example.com secret");
  h.send_line("3 VRFY slow@example.com secret");
  h.send_line("4 VRFY joe@fast.example secret");
  h.send_line("5 VRFY joe@fast.example wrong");
  EXPECT_EQ(h.read_line(), "4 OK");
  EXPECT_EQ(h.read_line(), "5 ERROR incorrect account name or password");
  EXPECT_EQ(h.read_line(), "1 OK");
  EXPECT_EQ(h.read_line(), "2 OK");
  EXPECT_EQ(h.read_line(), "3 OK");
}

TEST(Engine, AnswersOutOfOrderAsSoonAsEachIsDone) {
  EngineHarness h(config("workers = 2",
                         "[[backend]]\nname = \"slow\"\ntype = \"test\"\ndelay_ms = 600\nnames = [\"a@slow.example\"]\n"
                         "[[backend]]\nname = \"medium\"\ntype = \"test\"\ndelay_ms = 100\nnames = [\"b@medium.example\"]\n",
                         "[[route]]\ndomains = [\"slow.example\"]\nbackends = [\"slow\"]\n"
                         "[[route]]\ndomains = [\"medium.example\"]\nbackends = [\"medium\"]\n"));
  h.send_line("10 VRFY a@slow.example secret");
  h.send_line("11 VRFY b@medium.example wrong");
  EXPECT_EQ(h.read_line(), "11 ERROR incorrect account name or password");
  EXPECT_EQ(h.read_line(), "10 OK");
}

TEST(Engine, RequestPastItsDeadlineFailsOnceAndTheLateResultIsDropped) {
  EngineHarness h(config("workers = 1\nrequest_timeout_ms = 200",
                         "[[backend]]\nname = \"t\"\ntype = \"test\"\ndelay_ms = 700\n"));
  const auto start = std::chrono::steady_clock::now();
  h.send_line("1 VRFY joe@example.com secret");
  EXPECT_EQ(h.read_line(), "1 FAILURE request timed out");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 650ms);
  // The worker finishes at 700 ms; its answer must not appear.
  EXPECT_EQ(h.read_line(900ms), std::nullopt);
  // A request queued behind the stuck worker is failed at its own deadline
  // and never run.
  const int calls_before = TestBackend::calls();
  h.send_line("2 VRFY joe@example.com secret");
  h.send_line("3 VRFY joe@example.com secret");
  EXPECT_EQ(h.read_line(), "2 FAILURE request timed out");
  EXPECT_EQ(h.read_line(), "3 FAILURE request timed out");
  EXPECT_EQ(h.finish(), 0);
  EXPECT_LE(TestBackend::calls() - calls_before, 1);
}

TEST(Engine, FullQueueAnswersOverloaded) {
  EngineHarness h(config("workers = 1\nmax_queued = 1",
                         "[[backend]]\nname = \"t\"\ntype = \"test\"\ndelay_ms = 300\n"));
  h.send_line("1 VRFY joe@example.com secret");
  std::this_thread::sleep_for(50ms);  // let the worker take the first one
  h.send_line("2 VRFY joe@example.com secret");
  h.send_line("3 VRFY joe@example.com secret");
  EXPECT_EQ(h.read_line(), "3 FAILURE overloaded, try again later");
  std::set<std::string> rest{*h.read_line(), *h.read_line()};
  EXPECT_EQ(rest, (std::set<std::string>{"1 OK", "2 OK"}));
}

TEST(Engine, BackendFailuresAndExceptionsBecomeFailure) {
  EngineHarness h(config("",
                         "[[backend]]\nname = \"f\"\ntype = \"test\"\nfail = true\n"
                         "[[backend]]\nname = \"x\"\ntype = \"test\"\nthrow = true\ncheap = true\n",
                         "[[route]]\ndomains = [\"fail.example\"]\nbackends = [\"f\"]\n"
                         "[[route]]\ndomains = [\"*\"]\nbackends = [\"x\"]\n"));
  EXPECT_EQ(h.ask("1 VRFY joe@fail.example secret"), "1 FAILURE temporarily unavailable");
  EXPECT_EQ(h.ask("2 VRFY joe@example.com secret"), "2 FAILURE temporarily unavailable");
  EXPECT_EQ(h.ask("3 NEW joe@example.com"), "3 FAILURE temporarily unavailable");
}

TEST(Engine, UnknownNameGoesOnToTheNextBackend) {
  EngineHarness h(config("",
                         "[[backend]]\nname = \"first\"\ntype = \"test\"\ncheap = true\nnames = [\"a@x.org\"]\n"
                         "password = \"one\"\n"
                         "[[backend]]\nname = \"second\"\ntype = \"test\"\nnames = [\"b@x.org\", \"a@x.org\"]\n"
                         "password = \"two\"\n",
                         "[[route]]\ndomains = [\"*\"]\nbackends = [\"first\", \"second\"]\n"));
  EXPECT_EQ(h.ask("1 VRFY a@x.org one"), "1 OK");
  // A known name with a wrong password is final: the second backend is not asked.
  EXPECT_EQ(h.ask("2 VRFY a@x.org two"), "2 ERROR incorrect account name or password");
  EXPECT_EQ(h.ask("3 VRFY b@x.org two"), "3 OK");
  EXPECT_EQ(h.ask("4 NEW b@x.org"), "4 OK");
}

TEST(Engine, RoutesByDomain) {
  EngineHarness h(config("",
                         "[[backend]]\nname = \"a\"\ntype = \"test\"\ncheap = true\npassword = \"pa\"\n"
                         "[[backend]]\nname = \"b\"\ntype = \"test\"\ncheap = true\npassword = \"pb\"\n",
                         "[[route]]\ndomains = [\"a.example\", \"*.sub.example\"]\nbackends = [\"a\"]\n"
                         "[[route]]\ndomains = [\"B.Example\"]\nbackends = [\"b\"]\n"));
  EXPECT_EQ(h.ask("1 VRFY x@a.example pa"), "1 OK");
  EXPECT_EQ(h.ask("2 VRFY x@b.example pb"), "2 OK");
  EXPECT_EQ(h.ask("3 VRFY x@deep.sub.example pa"), "3 OK");
  EXPECT_EQ(h.ask("4 VRFY x@sub.example pa"), "4 ERROR incorrect account name or password");
  EXPECT_EQ(h.ask("5 VRFY x@c.example pa"), "5 ERROR incorrect account name or password");
}

TEST(Engine, SaslFromStoredClearText) {
  EngineHarness h(config("allow_weak_schemes = true",
                         "[[backend]]\nname = \"t\"\ntype = \"test\"\ncheap = true\nnames = [\"carol@example.com\"]\n"
                         "stored = \"{PLAIN}tanstaaf\"\n"));
  EXPECT_EQ(h.ask("1 SASL(APOP) carol@example.com c4c9334bac560ecc979e58001b3e22fb <1896.697170952@dbc.mtview.ca.us>"),
            "1 OK");
  EXPECT_EQ(h.ask("2 SASL(apop) carol@example.com C4C9334BAC560ECC979E58001B3E22FB <1896.697170952@dbc.mtview.ca.us>"),
            "2 OK");
  EXPECT_EQ(h.ask("3 SASL(CRAM-MD5) (IMAP) carol@example.com 85a2deaeb5209b0f54d40759dacc24c4 "
                  "<1896.697170952@postoffice.reston.mci.net>"),
            "3 OK");
  EXPECT_EQ(h.ask("4 SASL(CRAM-MD5) carol@example.com 00a2deaeb5209b0f54d40759dacc24c4 "
                  "<1896.697170952@postoffice.reston.mci.net>"),
            "4 ERROR incorrect account name or password");
  EXPECT_EQ(h.ask("5 SASL(DIGEST-MD5) carol@example.com x y"), "5 ERROR unsupported SASL method");
  EXPECT_EQ(h.ask("6 SASL(APOP) nobody@example.com c4c9334bac560ecc979e58001b3e22fb <x@y>"),
            "6 ERROR incorrect account name or password");
}

TEST(Engine, SaslRefusesWeakStoredSecretsUnlessAllowed) {
  EngineHarness h(config("", "[[backend]]\nname = \"t\"\ntype = \"test\"\ncheap = true\n"
                             "stored = \"{PLAIN}tanstaaf\"\n"));
  EXPECT_EQ(h.ask("1 SASL(APOP) carol@example.com c4c9334bac560ecc979e58001b3e22fb <1896.697170952@dbc.mtview.ca.us>"),
            "1 ERROR incorrect account name or password");
}

TEST(Engine, SaslAgainstAOneWayHash) {
  const std::string backend = "[[backend]]\nname = \"t\"\ntype = \"test\"\ncheap = true\n"
                              "stored = \"{SSHA}W8WH2WBVmWBfukWy2gYTy5xPiub1vTC63j/bQA==\"\n";
  {
    EngineHarness h(config("hide_unknown = false", backend));
    EXPECT_EQ(h.ask("1 SASL(CRAM-MD5) joe@example.com 85a2deaeb5209b0f54d40759dacc24c4 <a@b>"),
              "1 ERROR unsupported SASL method");
  }
  {
    // With protection on, this answer must not tell the name exists.
    EngineHarness h(config("", backend));
    EXPECT_EQ(h.ask("1 SASL(CRAM-MD5) joe@example.com 85a2deaeb5209b0f54d40759dacc24c4 <a@b>"),
              "1 ERROR incorrect account name or password");
  }
}

TEST(Engine, SaslOnARouteThatCannotServeIt) {
  EngineHarness h(config("", cheap_backend));
  EXPECT_EQ(h.ask("1 SASL(CRAM-MD5) joe@example.com 85a2deaeb5209b0f54d40759dacc24c4 <a@b>"),
            "1 ERROR unsupported SASL method");
}

TEST(Engine, BadLines) {
  EngineHarness h(config("", cheap_backend));
  h.send_line("hello");                 // no sequence number: no answer
  h.send_line("");                      // empty line: no answer
  h.send_line("x12 VRFY joe@example.com secret");
  h.send_line("123456789012345678901 VRFY joe@example.com secret");  // 21 digits
  h.send_line("1 HELLO");
  h.send_line("2 VRFY joe@example.com");
  h.send_line("3 VRFY joe@example.com secret extra arguments");
  h.send("4 VRFY joe@example.com secret\r\n");
  h.send_line("5  VRFY  joe@example.com  secret");
  h.send(std::string("6 VRFY joe@example.com sec\0ret\n", 31));
  h.send_line("7 VRFY joe@example.com \"unterminated");
  h.send_line("8 VRFY joe@example.com\tsecret");  // a tab is a byte of the name, not a separator
  h.send_line("9\tVRFY joe@example.com secret");  // so this line has no usable number
  EXPECT_EQ(h.read_line(), "1 ERROR unknown command");
  EXPECT_EQ(h.read_line(), "2 ERROR VRFY needs name@domain and password");
  EXPECT_EQ(h.read_line(), "3 OK");
  EXPECT_EQ(h.read_line(), "4 OK");
  EXPECT_EQ(h.read_line(), "5 OK");
  EXPECT_EQ(h.read_line(), "6 ERROR invalid NUL byte in request");
  EXPECT_EQ(h.read_line(), "7 ERROR malformed quoted string");
  EXPECT_EQ(h.read_line(), "8 ERROR VRFY needs name@domain and password");
  EXPECT_EQ(h.read_line(300ms), std::nullopt);
  EXPECT_EQ(h.finish(), 0);
  EXPECT_EQ(h.engine().stats().unanswerable, 5u);
}

TEST(Engine, OverlongLineIsDiscardedWholeAndTheNextIsServed) {
  EngineHarness h(config("", cheap_backend));
  h.send_line("1 VRFY joe@example.com " + std::string(10000, 'x'));
  h.send_line(std::string(20000, '9'));  // no usable sequence number: dropped silently
  h.send_line("2 VRFY joe@example.com secret");
  EXPECT_EQ(h.read_line(), "1 ERROR request line too long");
  EXPECT_EQ(h.read_line(), "2 OK");
  EXPECT_EQ(h.read_line(200ms), std::nullopt);
}

TEST(Engine, PasswordsArriveDecoded) {
  EngineHarness h(config("", "[[backend]]\nname = \"t\"\ntype = \"test\"\ncheap = true\n"
                             "password = 'a b\"c\\d\u00e9'\n"));
  EXPECT_EQ(h.ask(R"(1 VRFY joe@example.com "a b\"c\\d\195\169")"), "1 OK");
  EXPECT_EQ(h.ask("2 VRFY joe@example.com \"a b\\\"c\\\\d\xc3\xa9\""), "2 OK");
  EXPECT_EQ(h.ask("3 VRFY joe@example.com a"), "3 ERROR incorrect account name or password");
}

TEST(Engine, InvalidUtf8IsPassedThroughUntouched) {
  TempDir dir;
  const auto path = dir.file("users", "j\xc3\xb6rg\xff@example.com:{PLAIN}\xff\xfe\x80 x\n");
  EngineHarness h(config("allow_weak_schemes = true",
                         "[[backend]]\nname = \"t\"\ntype = \"passwd-file\"\npath = \"" + path + "\"\n"));
  EXPECT_EQ(h.ask("1 VRFY J\xc3\xb6rg\xff@example.com \"\xff\xfe\x80 x\""), "1 OK");
  EXPECT_EQ(h.ask("2 VRFY j\xc3\x96rg\xff@example.com \"\xff\xfe\x80 x\""), "2 ERROR incorrect account name or password");
  EXPECT_EQ(h.ask("3 VRFY J\xc3\xb6rg\xff@example.com \"\\255\\254\\128 x\""), "3 OK");
}

TEST(Engine, UnknownNamesCostWhatAWrongPasswordCosts) {
  // A slow hash: without the dummy check an unknown name would be answered
  // a thousand times faster than a wrong password.
  TempDir dir;
  // mkpasswd -m sha-512 -R 40000 -S abcdefghijklmnop right
  const std::string slow = "$6$rounds=40000$abcdefghijklmnop$jhkf4gUpqBXeU6Ixu6Ihd1UWr2KsXmnnx6GgoONxo3uKYWSFkaC61dL/"
                           "vdawCdTVDzXmd4mVne7UlxwIbMoxR/";
  const auto path = dir.file("users", "joe@example.com:" + slow + "\n");
  EngineHarness h(config("workers = 1", "[[backend]]\nname = \"t\"\ntype = \"passwd-file\"\npath = \"" + path + "\"\n"));
  auto time_of = [&](const std::string& request) {
    const auto start = std::chrono::steady_clock::now();
    const auto answer = h.ask(request);
    EXPECT_EQ(answer.substr(answer.find(' ')), " ERROR incorrect account name or password");
    return std::chrono::steady_clock::now() - start;
  };
  const auto wrong = time_of("1 VRFY joe@example.com wrong");
  const auto unknown = time_of("2 VRFY nobody@example.com wrong");
  EXPECT_GT(unknown * 3, wrong) << "wrong password " << wrong.count() << " ns, unknown name " << unknown.count() << " ns";
}

TEST(Engine, LongPasswords) {
  const std::string password(2000, 'p');
  EngineHarness h(config("", "[[backend]]\nname = \"t\"\ntype = \"test\"\ncheap = true\npassword = \"" + password +
                                 "\"\n"));
  EXPECT_EQ(h.ask("1 VRFY joe@example.com " + password), "1 OK");
  EXPECT_EQ(h.ask("2 VRFY joe@example.com " + password + "q"), "2 ERROR incorrect account name or password");
}

TEST(Engine, QuitAnswersAndStopsReading) {
  EngineHarness h(config("", cheap_backend));
  h.send("1 QUIT\n2 VRFY joe@example.com secret\n");
  EXPECT_EQ(h.read_line(), "1 OK");
  EXPECT_EQ(h.read_line(500ms), std::nullopt);
  EXPECT_EQ(h.finish(), 0);
}

TEST(Engine, EndOfInputFinishesWhatIsInFlight) {
  EngineHarness h(config("", "[[backend]]\nname = \"t\"\ntype = \"test\"\ndelay_ms = 300\n"));
  h.send_line("1 VRFY joe@example.com secret");
  h.send_line("2 VRFY joe@example.com wrong");
  h.close_input();
  std::set<std::string> answers{*h.read_line(), *h.read_line()};
  EXPECT_EQ(answers, (std::set<std::string>{"1 OK", "2 ERROR incorrect account name or password"}));
  EXPECT_EQ(h.finish(), 0);
}

TEST(Engine, ShutdownFailsWhatCannotFinishAndStopsInTime) {
  EngineHarness h(config("workers = 1\nrequest_timeout_ms = 60000\nshutdown_grace_ms = 300",
                         "[[backend]]\nname = \"t\"\ntype = \"test\"\ndelay_ms = 3000\n"));
  h.send_line("1 VRFY joe@example.com secret");
  h.send_line("2 VRFY joe@example.com secret");
  std::this_thread::sleep_for(50ms);
  const auto closed = std::chrono::steady_clock::now();
  h.close_input();
  std::set<std::string> answers{*h.read_line(), *h.read_line()};
  EXPECT_EQ(answers, (std::set<std::string>{"1 FAILURE shutting down", "2 FAILURE shutting down"}));
  EXPECT_EQ(h.finish(), 0);
  EXPECT_LT(h.finished_at() - closed, 5s);
  EXPECT_TRUE(h.engine().workers_stuck());
}

TEST(Engine, AHostThatReadsSlowlyNeverGetsAPartLine) {
  // 30,000 answers wait for a host that reads nothing until authd has given
  // up at the end of its grace: whatever it then finds must be whole lines.
  EngineHarness h(config("shutdown_grace_ms = 200", cheap_backend));
  std::string batch;
  constexpr int requests = 30000;
  for (int i = 0; i < requests; ++i)
    batch += std::to_string(i) + (i % 3 == 0 ? " VRFY joe@example.com secret\n" : " VRFY joe@example.com wrong\n");
  h.send(batch);
  EXPECT_EQ(h.finish(), 0);
  const std::string output = h.read_to_end();
  ASSERT_FALSE(output.empty());
  EXPECT_EQ(output.back(), '\n') << "last bytes: " << output.substr(output.size() - std::min<std::size_t>(output.size(), 60));
  std::set<int> seen;
  std::size_t start = 0;
  while (start < output.size()) {
    auto end = output.find('\n', start);
    if (end == std::string::npos) end = output.size();
    const std::string line = output.substr(start, end - start);
    start = end + 1;
    const auto space = line.find(' ');
    ASSERT_NE(space, std::string::npos) << line;
    const int seq = std::stoi(line.substr(0, space));
    ASSERT_TRUE(seq >= 0 && seq < requests) << line;
    EXPECT_TRUE(seen.insert(seq).second) << line;
    EXPECT_EQ(line.substr(space), seq % 3 == 0 ? " OK" : " ERROR incorrect account name or password") << line;
  }
  EXPECT_GT(seen.size(), 100u);
}

TEST(Engine, InfoLinesCarryTheLogToTheHost) {
  EngineHarness h(config("info_lines = true\nlog_level = \"info\"", cheap_backend));
  h.send_line("hello");
  h.send_line("1 INTF 2");
  std::set<std::string> lines{*h.read_line(), *h.read_line()};
  EXPECT_TRUE(lines.count("1 OK 2"));
  EXPECT_EQ(lines.begin()->substr(0, 2), "* ");  // '*' sorts before digits
}

TEST(Engine, PasswordsNeverReachTheLog) {
  EngineHarness h(config("log_level = \"debug\"", cheap_backend));
  EXPECT_EQ(h.ask("1 VRFY joe@example.com s3cr3t-pass"), "1 ERROR incorrect account name or password");
  EXPECT_EQ(h.ask("2 VRFY joe@example.com secret"), "2 OK");
  EXPECT_EQ(h.ask("3 VRFY joe@example.com \"\\115y s3cr3t\""), "3 ERROR incorrect account name or password");
  h.finish();
  const std::string log = h.log_text();
  EXPECT_NE(log.find("joe@example.com"), std::string::npos);
  EXPECT_EQ(log.find("s3cr3t"), std::string::npos);
  EXPECT_EQ(log.find("secret"), std::string::npos);
}

TEST(Engine, NamesCannotForgeOrDriveTheLog) {
  // C1 controls as bytes and as characters, Unicode line separators and a
  // bidi override in names must not reach the log file.
  EngineHarness h(config("log_level = \"debug\"", cheap_backend));
  EXPECT_EQ(h.ask("1 VRFY a\x85" "b@example.com x"), "1 ERROR incorrect account name or password");
  EXPECT_EQ(h.ask("2 VRFY a\x9b[2J@example.com x"), "2 ERROR incorrect account name or password");
  EXPECT_EQ(h.ask("3 VRFY a\xc2\x85" "b@example.com x"), "3 ERROR incorrect account name or password");
  EXPECT_EQ(h.ask("4 VRFY a\xc2\x9b[2J@example.com x"), "4 ERROR incorrect account name or password");
  EXPECT_EQ(h.ask("5 VRFY a\xe2\x80\xa8" "b@example.com x"), "5 ERROR incorrect account name or password");
  EXPECT_EQ(h.ask("6 VRFY a\xe2\x80\xa9" "b@example.com x"), "6 ERROR incorrect account name or password");
  EXPECT_EQ(h.ask("7 VRFY a\xe2\x80\xae" "b@example.com x"), "7 ERROR incorrect account name or password");
  EXPECT_EQ(h.ask("8 VRFY \"a\\010\\027b@example.com\" x"), "8 ERROR incorrect account name or password");
  h.finish();
  const std::string log = h.log_text();
  for (const char* forged : {"\x85", "\x9b", "\xe2\x80\xa8", "\xe2\x80\xa9", "\xe2\x80\xae", "\x1b"})
    EXPECT_EQ(log.find(forged), std::string::npos) << log;
  EXPECT_NE(log.find("a?b@example.com"), std::string::npos) << log;
  EXPECT_NE(log.find("a?[2j@example.com"), std::string::npos) << log;
}

}  // namespace
}  // namespace authd::testing
