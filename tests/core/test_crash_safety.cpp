// Crash safety: a writer process is SIGKILLed while appending results (and while folding the
// journal into the project); the reopened project holds every result committed before the kill.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "core/project/project.h"
#include "core/project/run_journal.h"
#include "test_util.h"

using namespace kvwb::core;

namespace {

// Child: appends rows 0,1,2,... to run "sweep"; after each append returns it reports the index on
// `pipeFd`; every 25 rows it folds the journal into the HDF5 file. Never returns.
[[noreturn]] void writerProcess(const std::filesystem::path& project, int pipeFd) {
  RunJournal journal(project);
  RunInfo run;
  run.id = "sweep";
  run.method = "svd";
  run.capture = "cap";
  journal.beginRun(run);
  for (std::int32_t i = 0;; ++i) {
    ResultRow r;
    r.layer = i;
    r[FitMetric::CosSim] = 1.0 / (1 + i);
    r.paramsJson = "{\"rank\":" + std::to_string(i % 7) + "}";
    journal.append("sweep", r);
    if (::write(pipeFd, &i, sizeof i) != sizeof i) _exit(3);
    if (i % 25 == 24) {
      ProjectEdit fold(project);
      fold.commit();
    }
  }
}

void crashOnce(int killAfterRows, int delayMicros) {
  kvwb::test::TempDir dir;
  const auto project = dir / "p.kvw";
  Project::create(project);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    writerProcess(project, fds[1]);
  }
  ::close(fds[1]);
  std::int32_t last = -1, v = 0;
  while (last + 1 < killAfterRows && ::read(fds[0], &v, sizeof v) == sizeof v) last = v;
  std::this_thread::sleep_for(std::chrono::microseconds(delayMicros));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  while (::read(fds[0], &v, sizeof v) == sizeof v) last = v;  // acknowledged before the kill
  ::close(fds[0]);
  ASSERT_TRUE(WIFSIGNALED(status)) << "writer did not die by SIGKILL";

  const auto p = Project::open(project);  // must open: the file is never half-written
  const auto rows = p.results("sweep");
  ASSERT_GE(static_cast<std::int64_t>(rows.size()), last + 1)
      << "lost committed results: killed after " << last + 1 << " acknowledged";
  ASSERT_LE(rows.size(), static_cast<std::size_t>(last + 2));  // at most the one in flight
  for (std::size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].layer, static_cast<std::int32_t>(i)) << "duplicate or reordered row";
    ASSERT_DOUBLE_EQ(rows[i][FitMetric::CosSim], 1.0 / (1 + i));
  }
  // The project stays writable after the crash: a fold and further appends work.
  { ProjectEdit fold(project); fold.commit(); }
  EXPECT_EQ(Project::open(project).results("sweep").size(), rows.size());
  EXPECT_TRUE(Project::open(project).captures().empty());
}

}  // namespace

TEST(CrashSafety, SigkillWhileAppendingAndFoldingKeepsEveryCommittedResult) {
  // Kill points spread over appends and folds (every 25th row folds the journal).
  const int rows[] = {1, 7, 24, 25, 26, 50, 73, 99, 120, 150};
  for (int i = 0; i < 10; ++i) {
    SCOPED_TRACE("kill after " + std::to_string(rows[i]) + " rows");
    crashOnce(rows[i], (i * 397) % 1500);
  }
}

// A project opened through a symlink is written through it: the commit replaces the file the
// link names, the link stays a link, and the journal folds into the target.
TEST(CrashSafety, EditsThroughASymlinkKeepTheLink) {
  kvwb::test::TempDir dir;
  std::filesystem::create_directories(dir / "store");
  const auto target = dir / "store" / "p.kvw";
  const auto link = dir / "link.kvw";
  Project::create(target);
  std::filesystem::create_symlink("store/p.kvw", link);  // relative, as users make them
  RunJournal journal(link);
  RunInfo run;
  run.id = "r";
  run.method = "svd";
  run.capture = "cap";
  journal.beginRun(run);
  ResultRow row;
  row[FitMetric::CosSim] = 0.5;
  journal.append("r", row);
  ProjectEdit fold(link);
  fold.commit();
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_EQ(Project::open(target).results("r").size(), 1u);
  EXPECT_EQ(Project::open(link).results("r").size(), 1u);
  for (const auto& e : std::filesystem::directory_iterator(dir / "store"))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
}
