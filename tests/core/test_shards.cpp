// Sweep shards and their merge on the real demo project: every job in exactly one shard; shards
// never write the project; merged shards equal a single-process run row for row and keep what the
// project had; merging twice adds nothing; a shard of another spec or project is refused naming
// it; a shard still being written gives only its committed jobs; a cancelled shard resumes.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/base/errors.h"
#include "core/base/stable_hash.h"
#include "core/formats/h5.h"
#include "core/project/run_journal.h"
#include "core/sweep/sweep.h"
#include "core/sweep/sweep_merge.h"
#include "core/sweep/sweep_shard.h"
#include "test_util.h"

using namespace kvwb::core;
namespace fs = std::filesystem;

namespace {

const char* kSpec = R"({
  "name": "s", "captures": ["tinystories"],
  "targets": {"layers": [0, 2], "heads": "all", "kinds": ["K", "V"]},
  "seq_lengths": [256],
  "methods": [
    {"method": "svd", "grid": {"rank": [1, 2, 3]}},
    {"method": "quant", "params": {"axis": "kivi"}, "grid": {"bits": [4, 8]}},
    {"method": "siren", "params": {"config": "tiny", "epochs": 10, "lr": 0.001}}
  ],
  "metrics": {"attention": true, "delta_ppl": "job", "ppl_tokens": 32, "quality": {"windows": 2, "continuation": 16, "greedy": 8}}, "device": "cpu", "seed": 3
})";

// Another sweep the project already holds before the merge.
const char* kOtherSpec = R"({
  "name": "other", "captures": ["tinystories"], "targets": {"layers": [1], "heads": "all"},
  "seq_lengths": [128], "methods": [{"method": "svd", "grid": {"rank": [1, 2]}}],
  "metrics": {"attention": true, "delta_ppl": "none", "quality": "none"}, "device": "cpu"
})";

SweepSpec spec(const char* text) {
  return parseSweepSpec(nlohmann::json::parse(text), "test-spec");
}

// Every row of the project in its order, as text: run, position, params and every metric but the
// timings (the device column aside, a merge must reproduce these exactly).
std::vector<std::string> rowsInOrder(const fs::path& project) {
  std::vector<std::string> out;
  const auto p = Project::open(project);
  for (const auto& run : p.runs())
    for (const auto& r : p.results(run.id)) {
      std::string line = run.id + " " + std::to_string(r.layer) + " " + std::to_string(r.head) +
                         " " + r.kind + " " + r.paramsJson;
      for (const auto& m : fitMetrics()) {
        if (m.id == FitMetric::FitSeconds || m.id == FitMetric::DecodeMs) continue;
        char buf[40];
        std::snprintf(buf, sizeof buf, " %.17g", r[m.id]);
        line += buf;
      }
      out.push_back(line);
    }
  return out;
}

// A JobContext that cancels once `file` (a shard) has `jobs` committed jobs.
struct CancelAfter : JobContext {
  fs::path file;
  std::size_t jobs = 0;
  bool cancelled() const override { return readShard(file).jobs.size() >= jobs; }
};

class Shards : public ::testing::Test {
 protected:
  // One reference run and one set of three shards for the whole suite (the slow part).
  static void SetUpTestSuite() {
    const auto demo = kvwb::test::sourceDir() / "datasets/demo.kvw";
    if (!fs::exists(demo)) return;
    s_dir = std::make_unique<kvwb::test::TempDir>();
    for (const char* name : {"p.kvw", "ref.kvw", "pristine.kvw"}) kvwb::test::copyDemoProject(s_dir->path(), name);
    JobContext quiet;
    runSweep(*s_dir / "ref.kvw", spec(kOtherSpec), quiet);
    runSweep(*s_dir / "ref.kvw", spec(kSpec), quiet);
    for (int i = 0; i < 3; ++i) runSweep(*s_dir / "p.kvw", spec(kSpec), quiet, ShardId{i, 3});
  }
  static void TearDownTestSuite() { s_dir.reset(); }

  void SetUp() override {
    if (!s_dir) GTEST_SKIP() << "datasets/demo.kvw missing";
  }
  // A fresh copy of the demo project holding the other sweep, as the reference run did.
  fs::path projectWithOtherSweep(const std::string& name) {
    const auto p = *s_dir / name;
    fs::copy_file(*s_dir / "pristine.kvw", p);
    JobContext quiet;
    runSweep(p, spec(kOtherSpec), quiet);
    return p;
  }
  static std::vector<fs::path> shards() {
    std::vector<fs::path> out;
    for (int i = 0; i < 3; ++i) out.push_back(shardPath(*s_dir / "p.kvw", "s", {i, 3}));
    return out;
  }
  static inline std::unique_ptr<kvwb::test::TempDir> s_dir;
  JobContext m_quiet;
};

}  // namespace

TEST(ShardIdTest, ParsesIandNAndPutsEveryKeyInExactlyOneShard) {
  EXPECT_EQ(parseShardId("2/3").index, 2);
  EXPECT_EQ(parseShardId("2/3").count, 3);
  for (const char* bad : {"3/3", "-1/2", "1/0", "a/b", "1", "1/2x", ""})
    EXPECT_THROW(parseShardId(bad), std::invalid_argument) << bad;
  EXPECT_EQ(shardIdFromPath("/x/p.kvw.demo.shard-4-of-8")->text(), "4/8");
  EXPECT_FALSE(shardIdFromPath("/x/p.kvw.demo.shard-8-of-8"));
  for (int count = 1; count <= 5; ++count)
    for (int k = 0; k < 200; ++k) {
      const auto key = stableHashHex("job " + std::to_string(k));
      int owners = 0;
      for (int i = 0; i < count; ++i) owners += inShard(key, {i, count});
      EXPECT_EQ(owners, 1) << key << " of " << count;
      EXPECT_TRUE(
          inShard(key, {static_cast<int>(stableHash(key) % count), count}));  // the documented rule
    }
}

TEST_F(Shards, ShardsNeverWriteTheProjectAndSplitThePlan) {
  EXPECT_EQ(kvwb::test::readFile(*s_dir / "p.kvw"), kvwb::test::readFile(*s_dir / "pristine.kvw"));
  EXPECT_FALSE(fs::exists(journalPath(*s_dir / "p.kvw")));
  const auto jobs = planSweep(Project::open(*s_dir / "p.kvw"), spec(kSpec));
  std::size_t total = 0;
  for (const auto& file : shards()) {
    const auto s = readShard(file);
    ASSERT_TRUE(s.hasHeader) << file;
    EXPECT_EQ(s.header.specHash, specHash(spec(kSpec)));
    EXPECT_EQ(s.state(), s.runs.empty() ? "running" : "finished");
    for (const auto& key : s.order) EXPECT_TRUE(inShard(key, s.header.shard)) << key;
    total += s.jobs.size();
  }
  EXPECT_EQ(total, jobs.size());
}

TEST_F(Shards, MergedShardsEqualASingleProcessRunRowForRowAndKeepWhatTheProjectHad) {
  const auto p = projectWithOtherSweep("merged.kvw");
  const auto report = mergeShards(p, shards(), m_quiet);
  EXPECT_TRUE(report.complete());
  EXPECT_EQ(report.merged, report.planned);
  EXPECT_EQ(report.planned, 6);
  EXPECT_FALSE(fs::exists(journalPath(p)));  // folded into the HDF5 file
  EXPECT_EQ(rowsInOrder(p), rowsInOrder(*s_dir / "ref.kvw"));
  for (const auto& run : Project::open(p).runs()) EXPECT_EQ(run.status, "finished") << run.id;
}

TEST_F(Shards, MergingTwiceAddsNothing) {
  const auto p = projectWithOtherSweep("twice.kvw");
  mergeShards(p, shards(), m_quiet);
  const auto bytes = kvwb::test::readFile(p);
  const auto again = mergeShards(p, shards(), m_quiet);
  EXPECT_EQ(again.merged, 0);
  EXPECT_EQ(again.alreadyInProject, again.planned);
  EXPECT_TRUE(again.complete());
  EXPECT_EQ(kvwb::test::readFile(p), bytes);
  EXPECT_FALSE(fs::exists(journalPath(p)));
}

TEST_F(Shards, AShardOfAnotherSpecOrProjectIsRefusedNamingIt) {
  const auto p = projectWithOtherSweep("refuse.kvw");
  const auto bytes = kvwb::test::readFile(p);
  const auto refused = [&](const std::vector<fs::path>& files, const fs::path& named,
                           const std::string& why) {
    try {
      mergeShards(p, files, m_quiet);
      ADD_FAILURE() << "merge accepted " << named;
    } catch (const InputError& e) {
      EXPECT_EQ(e.file(), named) << e.what();
      EXPECT_NE(e.problem().find(why), std::string::npos) << e.what();
    }
    EXPECT_EQ(kvwb::test::readFile(p), bytes);  // nothing written
  };
  // Another spec: the same sweep with another seed, run as shard 0 of 1 (beside another project
  // copy so its file name differs).
  auto seeded = nlohmann::json::parse(kSpec);
  seeded["seed"] = 4;
  seeded["methods"] = nlohmann::json::array({seeded["methods"][0]});
  fs::copy_file(*s_dir / "pristine.kvw", *s_dir / "seeded.kvw");
  runSweep(*s_dir / "seeded.kvw", parseSweepSpec(seeded, "seeded"), m_quiet, ShardId{0, 1});
  const auto other = shardPath(*s_dir / "seeded.kvw", "s", {0, 1});
  refused({shards()[0], other}, other, "another sweep spec");
  // The shard runner refuses it too rather than mixing two specs in one file.
  fs::copy_file(other, shardPath(p, "s", {0, 1}));
  EXPECT_THROW(runSweep(p, spec(kSpec), m_quiet, ShardId{0, 1}), InputError);

  // Another project: the capture the shards were run on differs (its metadata) or is absent.
  const auto changed = *s_dir / "changed.kvw";
  fs::copy_file(*s_dir / "pristine.kvw", changed);
  {  // the same data under other metadata (a capture without its data is refused on open)
    const auto file = h5::openFile(changed, true);
    h5::writeStringAttr(h5::openGroup(file, "captures/tinystories", changed), "metadata",
                        R"({"prompt_label": "another prompt"})");
  }
  try {
    mergeShards(changed, shards(), m_quiet);
    ADD_FAILURE() << "merge into another project accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), shards()[0]);
    EXPECT_NE(e.problem().find("belongs to another project"), std::string::npos) << e.what();
  }
  {
    ProjectEdit edit(changed);
    edit.deleteCapture("tinystories");
    edit.commit();
  }
  EXPECT_THROW(mergeShards(changed, shards(), m_quiet), InputError);
  EXPECT_THROW(readShard(*s_dir / "pristine.kvw"), InputError);  // not a journal-format file either
}

// A crafted shard header (issue 14): a shard number that is no int, or a shard that cannot
// exist (merge would divide by a count of 0), is refused naming the file.
TEST(ShardFile, ACraftedHeaderIsRefusedNamingTheFile) {
  kvwb::test::TempDir dir;
  const auto file = dir / "p.kvw.s.shard-0-of-1.kvw-journal";
  for (const auto& [shard, of, why] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"0", "1e30", R"("of" must be an int, got 1e+30)"},
           {"4294967296", "1", R"("shard" must be an int, got 4294967296)"},
           {"0", "0", "there is no shard 0/0"},
           {"2", "2", "there is no shard 2/2"},
           {"-1", "2", "there is no shard -1/2"}}) {
    fs::remove(file);
    RunJournal::atFile(file).appendRecord(
        "shard", R"({"shard": )" + shard + R"(, "of": )" + of +
                     R"(, "spec_name": "s", "spec_hash": "h", "spec": {}, "fingerprints": {}})");
    try {
      readShard(file);
      ADD_FAILURE() << "accepted shard " << shard << " of " << of;
    } catch (const InputError& e) {
      EXPECT_EQ(e.file(), file);
      EXPECT_NE(e.problem().find("corrupt shard header: "), std::string::npos) << e.what();
      EXPECT_NE(e.problem().find(why), std::string::npos) << e.what();
    }
  }
}

TEST_F(Shards, AMergeWhileAShardIsBeingWrittenTakesOnlyItsCommittedJobs) {
  const auto p = projectWithOtherSweep("partial.kvw");
  // One shard holding every job; a copy of it cut inside its last job's record stands for the
  // file while that record is being appended.
  runSweep(p, spec(kSpec), m_quiet, ShardId{0, 1});
  const auto file = shardPath(p, "s", {0, 1});
  const auto whole = kvwb::test::readFile(file);
  const auto lastJob = readShard(file).order.back();
  const auto cut = whole.rfind(lastJob);  // inside the last "results" record
  ASSERT_NE(cut, std::string::npos);
  kvwb::test::writeFile(file, whole.substr(0, cut));

  const auto partial = mergeShards(p, {file}, m_quiet);
  EXPECT_EQ(partial.merged, 5);
  ASSERT_EQ(partial.missing.size(), 1u);
  EXPECT_EQ(partial.missing[0].key, lastJob);
  EXPECT_NE(partial.missing[0].what.find("shard 0/1 running"), std::string::npos)
      << partial.missing[0].what;
  int unfinished = 0;  // the run of the missing job
  for (const auto& run : Project::open(p).runs()) unfinished += run.status != "finished";
  EXPECT_EQ(unfinished, 1);

  kvwb::test::writeFile(file, whole);  // the writer finishes
  const auto rest = mergeShards(p, {file}, m_quiet);
  EXPECT_EQ(rest.merged, 1);
  EXPECT_TRUE(rest.complete());
  EXPECT_EQ(rowsInOrder(p), rowsInOrder(*s_dir / "ref.kvw"));
}

TEST_F(Shards, ACancelledShardResumesItsFileAndMergesToTheSameRows) {
  const auto p = projectWithOtherSweep("resume.kvw");
  const ShardId all{0, 1};
  CancelAfter ctx;
  ctx.file = shardPath(p, "s", all);
  ctx.jobs = 2;
  EXPECT_THROW(runSweep(p, spec(kSpec), ctx, all), Cancelled);
  EXPECT_EQ(readShard(ctx.file).jobs.size(), 2u);
  EXPECT_EQ(readShard(ctx.file).state(), "cancelled");
  const auto resumed = runSweep(p, spec(kSpec), m_quiet, all);
  EXPECT_EQ(resumed.skipped, 2);
  EXPECT_EQ(resumed.done, 4);
  EXPECT_EQ(readShard(ctx.file).state(), "finished");
  mergeShards(p, {ctx.file}, m_quiet);
  EXPECT_EQ(rowsInOrder(p), rowsInOrder(*s_dir / "ref.kvw"));
}
