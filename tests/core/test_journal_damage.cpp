// The run journal's damage handling (issue 14): a damaged record or header loses only itself, is
// reported and the journal kept; malformed payloads with good checksums are skipped and reported.
#include <gtest/gtest.h>

#include <optional>

#include "core/project/project.h"
#include "core/project/run_journal.h"
#include "project_fixtures.h"
#include "test_util.h"

using namespace kvwb::core;
using kvwb::test::beginRun;
using kvwb::test::row;
using kvwb::test::TempDir;
using kvwb::test::writeCapture;

namespace {

// A project with a 1 x 1 x 4 x 4 capture and the journal of its run "r" begun (seq 1).
class JournalDamage : public ::testing::Test {
 protected:
  void SetUp() override {
    writeCapture(project, "cap", 1, 1, 4, 4);
    journal.emplace(project);
    beginRun(*journal, "r");
  }
  TempDir dir;
  const std::filesystem::path project = dir / "p.kvw";
  std::optional<RunJournal> journal;
};

}  // namespace

// Issue 14: one flipped byte in the middle of the journal hid every later record, and compact
// then deleted the journal. Now only the damaged records are skipped, reported and kept on disk.
TEST_F(JournalDamage, DamagedJournalRecordIsSkippedAloneReportedAndKept) {
  // The fixture's run is seq 1; results get seq 2..11.
  for (int i = 0; i < 10; ++i) journal->append("r", row(i, 0.5));
  auto bytes = kvwb::test::readFile(journalPath(project));
  std::vector<std::size_t> frames;  // frame k: 0 the journal header, 1 the run, 2.. the results
  for (auto at = bytes.find("KVWJ"); at != std::string::npos; at = bytes.find("KVWJ", at + 1))
    frames.push_back(at);
  ASSERT_EQ(frames.size(), 12u);
  bytes[frames[7] + 20] ^= 0x01;  // a payload byte of seq 7
  bytes[frames[9]] ^= 0x01;       // the magic of seq 9
  kvwb::test::writeFile(journalPath(project), bytes);

  const auto read = readJournal(project);
  EXPECT_EQ(read.damage, (std::vector<std::string>{
                             "bytes " + std::to_string(frames[7]) + "-" + std::to_string(frames[8]) +
                                 " are damaged; records 7 to 7 are lost",
                             "bytes " + std::to_string(frames[9]) + "-" + std::to_string(frames[10]) +
                                 " are damaged; records 9 to 9 are lost"}));
  EXPECT_EQ(Project::open(project).results("r").size(), 8u);
  journal->append("r", row(10, 0.5));  // appends after the damage, cutting nothing
  EXPECT_EQ(Project::open(project).results("r").size(), 9u);
  {
    ProjectEdit fold(project);
    EXPECT_EQ(fold.journalDamage().size(), 2u);
    fold.commit();
  }
  EXPECT_TRUE(std::filesystem::exists(journalPath(project))) << "a damaged journal is kept";
  EXPECT_EQ(Project::open(project).results("r").size(), 9u);
  { ProjectEdit fold(project); fold.commit(); }
  EXPECT_EQ(Project::open(project).results("r").size(), 9u) << "a kept journal folds once";

  // A torn tail (a crash mid-append) is no damage: it is dropped silently and cut off.
  TempDir dir2;
  RunJournal torn(dir2 / "q.kvw");
  beginRun(torn, "r");
  torn.append("r", row(0, 0.5));
  const auto whole = kvwb::test::readFile(journalPath(dir2 / "q.kvw"));
  kvwb::test::writeFile(journalPath(dir2 / "q.kvw"), whole + whole.substr(whole.rfind("KVWJ"), 30));
  EXPECT_TRUE(readJournal(dir2 / "q.kvw").damage.empty());
  EXPECT_EQ(readJournal(dir2 / "q.kvw").entries.size(), 2u);
}

// Issue 14: a damaged journal header is reported as such and the journal kept; every record also
// carries the journal id, so folds still know which records the project holds. A record with a
// good checksum but a malformed payload is skipped and reported, not a raw JSON error.
TEST_F(JournalDamage, DamagedJournalHeaderIsReportedKeptAndFoldsOnce) {
  for (int i = 0; i < 3; ++i) journal->append("r", row(i, 0.5));
  journal->appendRecord("result", R"("not a result")");  // seq 5
  const auto id = readJournal(project).journalId;
  ASSERT_FALSE(id.empty());
  auto bytes = kvwb::test::readFile(journalPath(project));
  bytes[20] ^= 0x01;  // a payload byte of the header record (its frame is 12 bytes)
  kvwb::test::writeFile(journalPath(project), bytes);

  const auto read = readJournal(project);
  ASSERT_EQ(read.damage.size(), 2u);
  EXPECT_EQ(read.damage[0].rfind("the journal header is damaged (bytes 0-", 0), 0u)
      << read.damage[0];
  EXPECT_EQ(read.damage[1].rfind("record 5 has a malformed payload and is lost (", 0), 0u)
      << read.damage[1];
  EXPECT_EQ(read.journalId, id);
  EXPECT_EQ(read.entries.size(), 4u);
  {
    ProjectEdit fold(project);
    EXPECT_EQ(fold.journalDamage().size(), 2u);
    fold.commit();
  }
  EXPECT_TRUE(std::filesystem::exists(journalPath(project))) << "a damaged journal is kept";
  EXPECT_EQ(Project::open(project).results("r").size(), 3u);
  journal->append("r", row(3, 0.5));
  {
    ProjectEdit fold(project);
    fold.commit();
  }
  EXPECT_EQ(Project::open(project).results("r").size(), 4u) << "no record folds twice";
}

// Issue 14 (found by the journal_records fuzzer): a result whose layer or head is no int (a
// literal too long for any integer type parses as a float; 2^40; a fraction) is a malformed
// payload, reported and skipped, never a truncating or undefined conversion.
TEST_F(JournalDamage, ResultIndicesBeyondIntAreMalformedPayloads) {
  for (const char* bad : {R"({"layer": 0, "head": 92233720368547758071})", R"({"layer": 1099511627776})",
                          R"({"head": -2147483649})", R"({"layer": 1.5})", R"({"head": 1e30})"})
    journal->appendRecord("result", bad);
  journal->appendRecord("result", R"({"layer": 0, "head": 2147483647, "kind": "V"})");
  const auto read = readJournal(project);
  ASSERT_EQ(read.damage.size(), 5u);
  for (const auto& d : read.damage) EXPECT_TRUE(kvwb::test::contains(d, "has a malformed payload")) << d;
  EXPECT_TRUE(kvwb::test::contains(read.damage[0], R"("head" must be an int, got 9.223372036854776e+19)"))
      << read.damage[0];
  ASSERT_EQ(read.entries.size(), 2u);  // the run and the one valid result
  EXPECT_EQ(read.entries[1].result.head, 2147483647);
}
