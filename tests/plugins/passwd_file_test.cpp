// The password-file store: parsing, lookups, flags, reloads and broken files.
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "../authd/engine_harness.hpp"
#include "authd/engine_services.hpp"
#include "authd/log.hpp"
#include "passwd-file/passwd_file_backend.hpp"
#include "passwd-file/password_table.hpp"
#include "passwords/registry.hpp"

namespace authd::testing {
namespace {

using namespace std::chrono_literals;
using passwd_file::LoadProblem;
using passwd_file::PasswdFileBackend;
using passwd_file::PasswordTable;

// {SSHA} of "builder" and of "letmein".
const std::string builder = "{SSHA}W8WH2WBVmWBfukWy2gYTy5xPiub1vTC63j/bQA==";
const std::string letmein = "{SSHA}yCXDOQvjPL0J+ECjaEH7/sfY1S5n+Go3DVPoag==";

class PasswdFile : public ::testing::Test {
 protected:
  PasswdFile() : logger_({(dir_.path() / "log").string(), LogLevel::Debug, false}), services_(false, logger_) {}

  std::shared_ptr<const PasswordTable> parse(const std::string& content) {
    problems_.clear();
    return PasswordTable::parse(content, services_, problems_);
  }
  std::unique_ptr<PasswdFileBackend> backend(const std::string& path, std::int64_t interval_ms = 0) {
    Settings settings({{"path", path}, {"check_interval_ms", interval_ms}});
    return std::make_unique<PasswdFileBackend>(BackendContext{"local", settings, services_});
  }
  std::string log_text() {
    logger_.flush();
    std::ifstream in(dir_.path() / "log");
    return {std::istreambuf_iterator<char>(in), {}};
  }

  TempDir dir_;
  Logger logger_;
  EngineServices services_;
  std::vector<LoadProblem> problems_;
};

TEST_F(PasswdFile, ParsesEntriesCommentsAndBlankLines) {
  auto table = parse("# comment\n\n   \n  # indented comment\nbob@example.com:" + builder +
                     "\r\nMallory@Example.COM:" + letmein + ":disabled\nlast@example.com:" + builder);
  EXPECT_TRUE(problems_.empty());
  EXPECT_EQ(table->size(), 3u);
  auto bob = table->find({"bob", "example.com"});
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->stored, builder);  // the CR of the CRLF line is not part of it
  EXPECT_FALSE(bob->disabled);
  EXPECT_FALSE(bob->slow);
  auto mallory = table->find({"mallory", "example.com"});
  ASSERT_TRUE(mallory);
  EXPECT_TRUE(mallory->disabled);
  EXPECT_TRUE(table->find({"last", "example.com"}));  // no LF at the end of the file
  EXPECT_FALSE(table->find({"bob", "example.org"}));
  EXPECT_FALSE(table->find({"bo", "example.com"}));
  EXPECT_FALSE(table->find({"bobx", "example.com"}));
}

TEST_F(PasswdFile, MalformedLinesAreReportedAndSkipped) {
  auto table = parse("good@example.com:" + builder + "\n" +   // 1
                     "no-colon-here\n" +                     // 2
                     "noat:" + builder + "\n" +              // 3
                     "@example.com:" + builder + "\n" +      // 4
                     "a@b@c:" + builder + "\n" +             // 5
                     "sp ace@example.com:" + builder + "\n" +// 6
                     "empty@example.com:\n" +                // 7
                     "scheme@example.com:{NOPE}abc\n" +      // 8
                     "flag@example.com:" + builder + ":frozen\n" +  // 9
                     "good2@example.com:" + builder + "\n"); // 10
  EXPECT_EQ(table->size(), 2u);
  std::vector<std::size_t> lines;
  for (const auto& p : problems_) lines.push_back(p.line);
  EXPECT_EQ(lines, (std::vector<std::size_t>{2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_TRUE(table->find({"good", "example.com"}));
  EXPECT_TRUE(table->find({"good2", "example.com"}));
}

TEST_F(PasswdFile, ManyBadLinesAreSummarised) {
  std::string content;
  for (int i = 0; i < 1000; ++i) content += "garbage line " + std::to_string(i) + "\n";
  parse(content);
  EXPECT_LE(problems_.size(), 21u);
  EXPECT_NE(problems_.back().message.find("980 more"), std::string::npos);
}

TEST_F(PasswdFile, DuplicatesKeepTheFirstLine) {
  auto table = parse("bob@example.com:" + builder + "\nBOB@example.com:" + letmein + "\n");
  ASSERT_EQ(problems_.size(), 1u);
  EXPECT_EQ(table->find({"bob", "example.com"})->stored, builder);
}

TEST_F(PasswdFile, WeakSchemesAreFlagged) {
  auto table = parse("a@x.org:{PLAIN}pw\nb@x.org:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n");
  EXPECT_EQ(table->size(), 2u);
  ASSERT_EQ(problems_.size(), 1u);
  EXPECT_EQ(problems_[0].line, 1u);
  EXPECT_NE(problems_[0].message.find("2 entries use a weak scheme"), std::string::npos);
}

TEST_F(PasswdFile, TimingReferenceIsADummyOfTheSlowestScheme) {
  const auto sha512 = passwords::Registry::instance().encode("SHA512-CRYPT", Secret("pw"));
  auto table = parse("a@x.org:" + builder + "\nb@x.org:" + sha512 + "\n");
  const auto reference = services_.timing_reference();  // what the load reported
  EXPECT_EQ(reference.substr(0, 3), "$6$");
  EXPECT_NE(reference, sha512);  // same salt and rounds, another password
  EXPECT_TRUE(table->find({"b", "x.org"})->slow);
}

TEST_F(PasswdFile, ManyEntriesAllFound) {
  std::string content;
  const int count = 100000;
  content.reserve(count * 64);
  for (int i = 0; i < count; ++i) content += "user" + std::to_string(i) + "@example.com:" + builder + "\n";
  auto table = parse(content);
  EXPECT_TRUE(problems_.empty());
  ASSERT_EQ(table->size(), static_cast<std::size_t>(count));
  for (int i = 0; i < count; i += 997) {
    const std::string name = "user" + std::to_string(i);
    EXPECT_TRUE(table->find({name, "example.com"})) << name;
  }
  EXPECT_FALSE(table->find({"user100000", "example.com"}));
}

TEST_F(PasswdFile, BackendVerifiesAndReportsFlags) {
  const auto path = dir_.file("users", "bob@example.com:" + builder + "\nmallory@example.com:" + builder +
                                           ":disabled\nweak@example.com:{PLAIN}builder\n");
  auto b = backend(path);
  EXPECT_EQ(b->verify({"bob", "example.com"}, Secret("builder"), "").kind, VerdictKind::Accept);
  EXPECT_EQ(b->verify({"bob", "example.com"}, Secret("builder2"), "").reason, RejectReason::WrongPassword);
  EXPECT_EQ(b->verify({"nobody", "example.com"}, Secret("builder"), "").kind, VerdictKind::UnknownName);
  const auto disabled = b->verify({"mallory", "example.com"}, Secret("builder"), "");
  EXPECT_EQ(disabled.kind, VerdictKind::Reject);
  EXPECT_EQ(disabled.reason, RejectReason::Disabled);
  const auto weak = b->verify({"weak", "example.com"}, Secret("builder"), "");
  EXPECT_EQ(weak.kind, VerdictKind::Reject);
  EXPECT_EQ(weak.reason, RejectReason::UnusableSecret);
  EXPECT_EQ(b->exists({"mallory", "example.com"}).kind, VerdictKind::Accept);
  EXPECT_EQ(b->exists({"nobody", "example.com"}).kind, VerdictKind::UnknownName);
  Secret stored;
  EXPECT_EQ(b->credentials({"bob", "example.com"}, stored).kind, VerdictKind::Accept);
  EXPECT_EQ(stored.view(), builder);
  EXPECT_EQ(b->credentials({"mallory", "example.com"}, stored).reason, RejectReason::Disabled);
  EXPECT_EQ(b->cost(Operation::Verify, {"bob", "example.com"}), Cost::Cheap);
}

TEST_F(PasswdFile, SlowSchemesAreBlocking) {
  const auto path = dir_.file("users", "a@x.org:" + passwords::Registry::instance().encode("BCRYPT", Secret("pw")) + "\n");
  auto b = backend(path);
  EXPECT_EQ(b->cost(Operation::Verify, {"a", "x.org"}), Cost::Blocking);
  EXPECT_EQ(b->cost(Operation::Verify, {"b", "x.org"}), Cost::Cheap);
  EXPECT_EQ(b->cost(Operation::Exists, {"a", "x.org"}), Cost::Cheap);
  EXPECT_EQ(b->verify({"a", "x.org"}, Secret("pw"), "").kind, VerdictKind::Accept);
}

TEST_F(PasswdFile, MissingOrUnreadableFileRefusesToStart) {
  try {
    backend((dir_.path() / "missing").string());
    FAIL() << "a missing file must not start";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "path");
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos);
  }
  EXPECT_THROW(backend(dir_.path().string()), ConfigError);  // a directory
}

// Wait until `condition` holds, up to `limit`.
template <typename F>
bool eventually(F condition, std::chrono::milliseconds limit = 5000ms) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

TEST_F(PasswdFile, ReloadsWhenTheFileChanges) {
  const auto path = dir_.file("users", "bob@example.com:" + builder + "\n");
  auto b = backend(path, 50);
  EXPECT_EQ(b->exists({"new", "example.com"}).kind, VerdictKind::UnknownName);
  // Replace the file the safe way: write a new one and rename it over.
  dir_.file("users.new", "bob@example.com:" + letmein + "\nnew@example.com:" + builder + "\n");
  std::filesystem::rename(dir_.path() / "users.new", path);
  EXPECT_TRUE(eventually([&] { return b->exists({"new", "example.com"}).kind == VerdictKind::Accept; }));
  EXPECT_EQ(b->verify({"bob", "example.com"}, Secret("letmein"), "").kind, VerdictKind::Accept);
  EXPECT_NE(log_text().find("reloaded 2 accounts"), std::string::npos);
}

TEST_F(PasswdFile, KeepsTheLastGoodAccountsWhenTheFileGoesAway) {
  const auto path = dir_.file("users", "bob@example.com:" + builder + "\n");
  auto b = backend(path, 30);
  std::filesystem::remove(path);
  EXPECT_TRUE(eventually([&] { return log_text().find("stay in service") != std::string::npos; }));
  EXPECT_EQ(b->verify({"bob", "example.com"}, Secret("builder"), "").kind, VerdictKind::Accept);
  // It comes back: picked up again.
  dir_.file("users", "carol@example.com:" + builder + "\n");
  EXPECT_TRUE(eventually([&] { return b->exists({"carol", "example.com"}).kind == VerdictKind::Accept; }));
}

TEST_F(PasswdFile, AFileStillBeingWrittenIsNotLoadedHalfDone) {
  const auto path = dir_.file("users", "bob@example.com:" + builder + "\n");
  auto b = backend(path, 200);
  // A writer that appends a line every 50 ms keeps the file changing: the
  // backend must wait for it to settle rather than load each half-state.
  {
    std::ofstream out(path, std::ios::app);
    for (int i = 0; i < 10; ++i) {
      out << "user" << i << "@example.com:" << builder << "\n" << std::flush;
      std::this_thread::sleep_for(50ms);
    }
  }
  EXPECT_TRUE(eventually([&] { return b->exists({"user9", "example.com"}).kind == VerdictKind::Accept; }));
  // One reload of the complete file, not one per intermediate state.
  const auto log = log_text();
  std::size_t reloads = 0;
  for (auto at = log.find("reloaded"); at != std::string::npos; at = log.find("reloaded", at + 1)) ++reloads;
  EXPECT_LE(reloads, 2u);
  EXPECT_NE(log.find("reloaded 11 accounts"), std::string::npos);
}

TEST_F(PasswdFile, AMalformedLineAfterReloadDoesNotTakeOthersDown) {
  const auto path = dir_.file("users", "bob@example.com:" + builder + "\n");
  auto b = backend(path, 30);
  dir_.file("users.new", "bob@example.com:" + builder + "\nthis is not a valid line\ncarol@example.com:" + builder + "\n");
  std::filesystem::rename(dir_.path() / "users.new", path);
  EXPECT_TRUE(eventually([&] { return b->exists({"carol", "example.com"}).kind == VerdictKind::Accept; }));
  EXPECT_EQ(b->verify({"bob", "example.com"}, Secret("builder"), "").kind, VerdictKind::Accept);
  EXPECT_NE(log_text().find(path + ":2: expected name@domain"), std::string::npos);
}

}  // namespace
}  // namespace authd::testing
