// Access rights and the Access.settings file.
#include <fstream>
#include <sstream>

#include "host_test_support.hpp"

#include "host/rights/access_rights.hpp"

namespace authd::host {
namespace {

using testing::TempDir;

void write(const std::filesystem::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary) << text;
}

std::string read(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(AccessRights, UnlimitedImpliesEverything) {
  const RightSet unlimited(Right::ModifyAccessRights);
  for (Right r : {Right::ModifyUserAccounts, Right::ModifyServerSettings, Right::MonitorServer, Right::ModifyThisDomain})
    EXPECT_TRUE(unlimited.grants(r));
  const RightSet monitor(Right::MonitorServer);
  EXPECT_TRUE(monitor.grants(Right::MonitorServer));
  EXPECT_FALSE(monitor.grants(Right::ModifyUserAccounts));
  EXPECT_FALSE(RightSet().grants(Right::MonitorServer));
}

TEST(AccessRights, NamesRoundTrip) {
  std::string error;
  const auto set = parse_rights(" CanMonitorServer ,CanModifyUserAccounts", error);
  ASSERT_TRUE(set) << error;
  EXPECT_EQ(format_rights(*set), "CanModifyUserAccounts, CanMonitorServer");
  EXPECT_TRUE(parse_rights("", error)->empty());
  EXPECT_FALSE(parse_rights("CanMonitorServer, CanFly", error));
  EXPECT_NE(error.find("CanFly"), std::string::npos);
}

TEST(AccessRights, FileRoundTripsAndReadsAtAGlance) {
  TempDir dir;
  const auto file = dir.path() / "Access.settings";
  EXPECT_THROW(read_access_file(file, true), AccessFileError);  // missing is damage, not "no rights"
  AccessTable table{{"postmaster", RightSet(Right::ModifyAccessRights)},
                    {"alice", RightSet(Right::ModifyUserAccounts).add(Right::MonitorServer)},
                    {"nobody", RightSet()}};
  write_access_file(file, "example.com", table);
  const std::string text = read(file);
  EXPECT_NE(text.find("alice = CanModifyUserAccounts, CanMonitorServer\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("nobody"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(file.string() + ".tmp"));
  const auto back = read_access_file(file, true);
  EXPECT_EQ(back.size(), 2u);
  EXPECT_EQ(back.at("alice"), table.at("alice"));
}

TEST(AccessRights, ACorruptFileNamesFileAndLine) {
  TempDir dir;
  const auto file = dir.path() / "Access.settings";
  const auto error_of = [&](const std::string& text, bool main) {
    write(file, text);
    try {
      read_access_file(file, main);
    } catch (const AccessFileError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("# ok\n\nalice = CanMonitorServer\nbob CanMonitorServer\n", true).find(file.string() + ":4:"),
            std::string::npos);
  EXPECT_NE(error_of("alice = CanFly\n", true).find(":1: 'CanFly' is not a right"), std::string::npos);
  EXPECT_NE(error_of("al ice = CanMonitorServer\n", true).find("not an account name"), std::string::npos);
  EXPECT_NE(error_of("alice = CanMonitorServer\nALICE = CanModifyThisDomain\n", true).find(":2: 'alice' appears twice"),
            std::string::npos);
  // The server rights belong to the main domain only.
  EXPECT_NE(error_of("alice = CanMonitorServer\n", false).find("main domain"), std::string::npos);
  EXPECT_EQ(error_of("alice = CanModifyThisDomain\n", false), "no error");
}

TEST(AccessRights, AFailedWriteLeavesTheOldFile) {
  TempDir dir;
  const auto file = dir.path() / "Access.settings";
  write_access_file(file, "example.com", {{"alice", RightSet(Right::MonitorServer)}});
  const std::string before = read(file);
  // The temporary file's name is taken by a directory: the write must fail
  // before it touches the file.
  std::filesystem::create_directory(file.string() + ".tmp");
  EXPECT_THROW(write_access_file(file, "example.com", {}), AccessFileError);
  EXPECT_EQ(read(file), before);
}

}  // namespace
}  // namespace authd::host
