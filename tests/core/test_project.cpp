// Project file: schema, one-chunk target reads, runs and results through the journal and fold,
// the fit metric table through the journal JSON, the HDF5 table, the CSV and the summary.
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <sstream>

#include "core/base/errors.h"
#include "core/formats/h5.h"
#include "core/project/project.h"
#include "core/project/result_json.h"
#include "core/reports/results_csv.h"
#include "core/reports/results_summary.h"
#include "core/project/run_journal.h"
#include "project_fixtures.h"
#include "test_util.h"

using namespace kvwb::core;
using kvwb::test::beginRun;
using kvwb::test::row;
using kvwb::test::TempDir;
using kvwb::test::writeCapture;

namespace {

// What in the HDF5 file `path` HDF5 cannot check: variable-length strings (attributes and
// compound members; they live in the global heap, which has no checksum) and datasets holding
// data without a Fletcher32 checksum, each named.
std::vector<std::string> unchecked(const std::filesystem::path& path) {
  std::vector<std::string> out;
  const auto file = h5::openFile(path, false);
  const auto visit = [](hid_t root, const char* name, const H5O_info_t* info,
                        void* data) -> herr_t {
    auto& out = *static_cast<std::vector<std::string>*>(data);
    h5::Handle object(H5Oopen(root, name, H5P_DEFAULT));
    for (hsize_t i = 0; i < info->num_attrs; ++i) {
      h5::Handle attr(
          H5Aopen_by_idx(object, ".", H5_INDEX_NAME, H5_ITER_INC, i, H5P_DEFAULT, H5P_DEFAULT));
      if (H5Tis_variable_str(h5::Handle(H5Aget_type(attr))) > 0)
        out.push_back(std::string(name) + " attribute " + std::to_string(i));
    }
    if (info->type != H5O_TYPE_DATASET) return 0;
    h5::Handle dcpl(H5Dget_create_plist(object)), type(H5Dget_type(object));
    unsigned flags = 0;
    std::size_t n = 0;
    if (H5Pget_nfilters(dcpl) != 1 ||
        H5Pget_filter2(dcpl, 0, &flags, &n, nullptr, 0, nullptr, nullptr) != H5Z_FILTER_FLETCHER32)
      out.push_back(std::string(name) + " has no checksum");
    for (int m = 0; H5Tget_class(type) == H5T_COMPOUND && m < H5Tget_nmembers(type); ++m)
      if (H5Tis_variable_str(h5::Handle(H5Tget_member_type(type, m))) > 0)
        out.push_back(std::string(name) + " member " + std::to_string(m));
    return 0;
  };
  EXPECT_GE(H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, visit, &out, H5O_INFO_ALL), 0);
  return out;
}

}  // namespace

TEST(Project, CreateOpenAndRejectForeignFiles) {
  TempDir dir;
  const auto p = Project::create(dir / "new.kvw");
  EXPECT_TRUE(p.captures().empty());
  EXPECT_THROW(Project::create(dir / "new.kvw"), InputError);
  kvwb::test::writeFile(dir / "junk.kvw", "definitely not hdf5");
  try {
    Project::open(dir / "junk.kvw");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("junk.kvw: not an HDF5 file"), std::string::npos);
  }
  {  // an HDF5 file that is not ours, and one from a future version
    auto f = h5::Handle(H5Fcreate((dir / "other.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    auto g = h5::Handle(H5Fcreate((dir / "future.kvw").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    h5::writeStringAttr(g, "format", "kv-workbench");
    h5::writeIntAttr(g, "version", 99);
  }
  EXPECT_THROW(Project::open(dir / "other.h5"), InputError);
  try {
    Project::open(dir / "future.kvw");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos);
  }
}

TEST(Project, TargetIsOneChunkAndReadsBack) {
  TempDir dir;
  writeCapture(dir / "p.kvw", "cap", 3, 2, 50, 8);
  const auto p = Project::open(dir / "p.kvw");
  const auto& c = p.capture("cap");
  EXPECT_EQ(c.layers, 3);
  EXPECT_EQ(c.tokens, 50);
  EXPECT_EQ(c.metadataJson, R"({"model":"test"})");
  const auto m = p.readTarget("cap", TensorKind::Values, 2, 1);
  ASSERT_EQ(m.rows, 50);
  ASSERT_EQ(m.cols, 8);
  EXPECT_EQ(m.at(7, 3), -(2000.f + 100.f + 7.f + 3.f / 8.f));
  EXPECT_THROW(p.readTarget("cap", TensorKind::Keys, 3, 0), InputError);
  EXPECT_THROW(p.readTarget("cap", TensorKind::Queries, 0, 0), InputError);
  // Schema: chunk = one (layer, head), so a target read touches exactly one chunk.
  auto f = h5::openFile(dir / "p.kvw", false);
  h5::Handle ds(H5Dopen2(f, "captures/cap/keys", H5P_DEFAULT));
  h5::Handle dcpl(H5Dget_create_plist(ds));
  hsize_t chunk[4];
  ASSERT_EQ(H5Pget_chunk(dcpl, 4, chunk), 4);
  EXPECT_EQ(std::vector<hsize_t>(chunk, chunk + 4), (std::vector<hsize_t>{1, 1, 50, 8}));
  EXPECT_EQ(h5::readStringAttr(f, "format"), "kv-workbench");
  EXPECT_EQ(h5::readIntAttr(f, "version"), 1);
  for (const char* g : {"captures", "analysis", "runs"})
    EXPECT_TRUE(h5::exists(f, g, dir / "p.kvw")) << g;
}

TEST(Project, Float16StorageRoundsLikeHalf) {
  TempDir dir;
  writeCapture(dir / "p.kvw", "h", 1, 1, 4, 8, "float16");
  const auto p = Project::open(dir / "p.kvw");
  EXPECT_EQ(p.capture("h").storageDtype, "float16");
  EXPECT_EQ(p.readTarget("h", TensorKind::Keys, 0, 0).at(3, 5), 3.625f);  // exact in half
}

TEST(Project, RunsAndResultsThroughJournalThenFold) {
  TempDir dir;
  writeCapture(dir / "p.kvw", "cap", 2, 2, 8, 4);
  RunJournal journal(dir / "p.kvw");
  RunInfo run;
  run.id = "svd-001";
  run.method = "svd";
  run.capture = "cap";
  journal.beginRun(run);
  for (int i = 0; i < 5; ++i) journal.append("svd-001", row(i, 0.9 + i * 0.01));
  journal.setStatus("svd-001", "finished");
  auto check = [&](const char* when) {
    const auto p = Project::open(dir / "p.kvw");
    const auto runs = p.runs();
    ASSERT_EQ(runs.size(), 1u) << when;
    EXPECT_EQ(runs[0].status, "finished") << when;
    EXPECT_EQ(runs[0].resultCount, 5) << when;
    const auto rows = p.results("svd-001");
    ASSERT_EQ(rows.size(), 5u) << when;
    EXPECT_DOUBLE_EQ(rows[3][FitMetric::CosSim], 0.93) << when;
    EXPECT_TRUE(std::isnan(rows[3][FitMetric::RelErr])) << when;
    EXPECT_EQ(rows[3].paramsJson, R"({"rank":4,"note":"a, b"})") << when;  // kept verbatim
  };
  check("from the journal");
  { ProjectEdit fold(dir / "p.kvw"); fold.commit(); }
  EXPECT_FALSE(std::filesystem::exists(journalPath(dir / "p.kvw")));
  check("after folding into HDF5");
  journal.append("svd-001", row(9, 0.5));  // a new journal after the fold
  EXPECT_EQ(Project::open(dir / "p.kvw").results("svd-001").size(), 6u);

  std::ostringstream csv;
  const auto p = Project::open(dir / "p.kvw");
  EXPECT_EQ(writeResultsCsv(p, p.runs(), csv), 6u);
  std::istringstream lines(csv.str());
  std::string header, first;
  std::getline(lines, header);
  std::getline(lines, first);
  std::string metricColumns;
  for (const auto& m : fitMetrics()) metricColumns += std::string(",") + m.column;
  EXPECT_EQ(header, "run,capture,layer,head,kind,method,rank,note" + metricColumns + ",device");
  std::string metricValues;
  for (const auto& m : fitMetrics()) metricValues += "," + csvNumber(row(0, 0.9)[m.id]);
  EXPECT_EQ(first, "svd-001,cap,0,1,V,svd,4,\"a, b\"" + metricValues + ",cpu");
  // bytes, ratio, the model quality means and errors (not measured here), cos_sim: table order
  EXPECT_NE(first.find(",128,4,,,,,,,0.9,"), std::string::npos);
}

// Every metric of the table, each with its own value, through the journal JSON and back.
TEST(Project, ResultJsonHasOneKeyPerMetricAndRoundTrips) {
  ResultRow r = row(2, 0.5);
  double v = 1;
  for (const auto& m : fitMetrics()) r[m.id] = v++;
  const auto j = resultToJson(r);
  for (const auto& m : fitMetrics()) {
    ASSERT_TRUE(j.contains(m.column)) << m.column;
    EXPECT_EQ(j[m.column].get<double>(), r[m.id]) << m.column;
  }
  const ResultRow back = resultFromJson(j);
  EXPECT_EQ(back.metrics, r.metrics);
  EXPECT_EQ(back.paramsJson, r.paramsJson);
  EXPECT_EQ(back.device, "cpu");
  // NaN travels as null; a key that is missing (an older journal) or not a number reads as NaN.
  auto partial = nlohmann::json::parse(resultToJson(row(0, 0.5)).dump());
  EXPECT_TRUE(partial[fitMetric(FitMetric::RelErr).column].is_null());
  partial.erase(fitMetric(FitMetric::DecodeMs).column);
  partial[fitMetric(FitMetric::Bytes).column] = "many";
  const ResultRow read = resultFromJson(partial);
  EXPECT_TRUE(std::isnan(read[FitMetric::RelErr]));
  EXPECT_TRUE(std::isnan(read[FitMetric::DecodeMs]));
  EXPECT_TRUE(std::isnan(read[FitMetric::Bytes]));
  EXPECT_EQ(read[FitMetric::CosSim], 0.5);
}

// A results table written before some metrics existed (here: only bytes, ratio and cos_sim)
// reads the missing ones as NaN, and appending to it rewrites it with every metric's column.
TEST(Project, ResultsTableWithoutSomeMetricsReadsThemAsNan) {
  TempDir dir;
  writeCapture(dir / "p.kvw", "cap", 1, 1, 4, 4);
  {
    RunJournal journal(dir / "p.kvw");
    RunInfo run;
    run.id = "old";
    run.method = "svd";
    run.capture = "cap";
    journal.beginRun(run);
    journal.append("old", row(0, 0.5));
  }
  { ProjectEdit fold(dir / "p.kvw"); fold.commit(); }
  {  // replace the table by one of the older layout
    struct OldRecord {
      std::int32_t layer, head;
      const char* kind;
      const char* params;
      double bytes, ratio, cosSim;
      const char* device;
    };
    auto f = h5::openFile(dir / "p.kvw", true);
    ASSERT_GE(H5Ldelete(f, "runs/old/results", H5P_DEFAULT), 0);
    h5::Handle str(H5Tcopy(H5T_C_S1));
    H5Tset_size(str, H5T_VARIABLE);
    h5::Handle type(H5Tcreate(H5T_COMPOUND, sizeof(OldRecord)));
    H5Tinsert(type, "layer", offsetof(OldRecord, layer), H5T_NATIVE_INT32);
    H5Tinsert(type, "head", offsetof(OldRecord, head), H5T_NATIVE_INT32);
    H5Tinsert(type, "kind", offsetof(OldRecord, kind), str);
    H5Tinsert(type, "params", offsetof(OldRecord, params), str);
    H5Tinsert(type, "bytes", offsetof(OldRecord, bytes), H5T_NATIVE_DOUBLE);
    H5Tinsert(type, "ratio", offsetof(OldRecord, ratio), H5T_NATIVE_DOUBLE);
    H5Tinsert(type, "cos_sim", offsetof(OldRecord, cosSim), H5T_NATIVE_DOUBLE);
    H5Tinsert(type, "device", offsetof(OldRecord, device), str);
    const OldRecord recs[2] = {{0, 1, "K", "{}", 100, 2, 0.75, "cpu"},
                               {1, 1, "V", "{}", 200, 1, 0.25, "cpu"}};
    const hsize_t n = 2;
    h5::Handle space(H5Screate_simple(1, &n, nullptr));
    h5::Handle ds(
        H5Dcreate2(f, "runs/old/results", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    ASSERT_GE(H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, recs), 0);
  }
  auto rows = Project::open(dir / "p.kvw").results("old");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].kind, "V");
  EXPECT_EQ(rows[1].device, "cpu");
  EXPECT_EQ(rows[1][FitMetric::Bytes], 200);
  EXPECT_EQ(rows[1][FitMetric::CosSim], 0.25);
  for (const auto& m : fitMetrics())
    if (m.id != FitMetric::Bytes && m.id != FitMetric::Ratio && m.id != FitMetric::CosSim)
      EXPECT_TRUE(std::isnan(rows[1][m.id])) << m.column;

  ResultRow full = row(2, 0.5);
  for (const auto& m : fitMetrics()) full[m.id] = 3;
  RunJournal(dir / "p.kvw").append("old", full);
  { ProjectEdit fold(dir / "p.kvw"); fold.commit(); }
  rows = Project::open(dir / "p.kvw").results("old");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][FitMetric::CosSim], 0.75);
  EXPECT_TRUE(std::isnan(rows[0][FitMetric::RelErr]));
  EXPECT_EQ(rows[2].metrics, full.metrics);
  auto f = h5::openFile(dir / "p.kvw", false);
  h5::Handle ds(H5Dopen2(f, "runs/old/results", H5P_DEFAULT));
  h5::Handle type(H5Dget_type(ds));
  for (const auto& m : fitMetrics()) EXPECT_GE(H5Tget_member_index(type, m.column), 0) << m.column;
  EXPECT_EQ(unchecked(dir / "p.kvw"), std::vector<std::string>{}) << "rewritten as written now";
}

TEST(Project, FoldCrashBetweenRenameAndJournalRemovalDoesNotDuplicate) {
  TempDir dir;
  writeCapture(dir / "p.kvw", "cap", 1, 1, 4, 4);
  RunJournal journal(dir / "p.kvw");
  beginRun(journal, "r");
  journal.append("r", row(0, 0.5));
  const auto saved = kvwb::test::readFile(journalPath(dir / "p.kvw"));
  { ProjectEdit fold(dir / "p.kvw"); fold.commit(); }
  kvwb::test::writeFile(journalPath(dir / "p.kvw"), saved);  // as if removal never happened
  EXPECT_EQ(Project::open(dir / "p.kvw").results("r").size(), 1u);
  { ProjectEdit fold(dir / "p.kvw"); fold.commit(); }
  EXPECT_EQ(Project::open(dir / "p.kvw").results("r").size(), 1u);
}

TEST(Project, DeleteCaptureAndUncommittedEditLeavesFile) {
  TempDir dir;
  writeCapture(dir / "p.kvw", "a", 1, 1, 4, 4);
  writeCapture(dir / "p.kvw", "b", 1, 1, 4, 4);
  const auto before = kvwb::test::readFile(dir / "p.kvw");
  {
    ProjectEdit edit(dir / "p.kvw");
    edit.deleteCapture("a");
  }  // no commit
  EXPECT_EQ(kvwb::test::readFile(dir / "p.kvw"), before);
  {
    ProjectEdit edit(dir / "p.kvw");
    edit.deleteCapture("a");
    edit.commit();
  }
  const auto p = Project::open(dir / "p.kvw");
  ASSERT_EQ(p.captures().size(), 1u);
  EXPECT_EQ(p.captures()[0].name, "b");
}

TEST(Project, BatchAppendIsAllOrNothing) {
  TempDir dir;
  Project::create(dir / "p.kvw");
  RunJournal journal(dir / "p.kvw");
  beginRun(journal, "r");
  journal.appendBatch("r", {row(0, 0.1), row(1, 0.2), row(2, 0.3)});
  const auto whole = kvwb::test::readFile(journalPath(dir / "p.kvw"));
  journal.appendBatch("r", {row(3, 0.4), row(4, 0.5)});
  EXPECT_EQ(Project::open(dir / "p.kvw").results("r").size(), 5u);
  // A crash mid-record: the second batch is torn, so none of its rows count.
  const auto torn = kvwb::test::readFile(journalPath(dir / "p.kvw"));
  kvwb::test::writeFile(journalPath(dir / "p.kvw"), torn.substr(0, whole.size() + (torn.size() - whole.size()) / 2));
  EXPECT_EQ(Project::open(dir / "p.kvw").results("r").size(), 3u);
  RunJournal again(dir / "p.kvw");  // a new writer cuts the torn tail and appends after it
  again.appendBatch("r", {row(5, 0.6)});
  const auto rows = Project::open(dir / "p.kvw").results("r");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows.back().layer, 5);
}

// The per-job summary from in-memory rows: every fit metric's mean per kind, the job values by
// their rules, and the seed tables' columns (unchanged by the metric table).
TEST(Summary, MeansAndColumnsFollowTheMetricTable) {
  RunResults run;
  run.run.id = "s.cap.svd";
  run.run.method = "svd";
  run.run.capture = "cap";
  double v = 1;
  for (const char* kind : {"K", "V", "K", "V"}) {
    ResultRow r = row(0, 0);
    r.kind = kind;
    r.paramsJson = R"({"rank": 2, "job": "j1", "seq_len": 64})";
    for (const auto& m : fitMetrics()) r[m.id] = v++;
    run.rows.push_back(r);
  }
  ResultRow all = row(-1, 0);
  all.head = -1;
  all.kind = "all";
  all.paramsJson = R"({"rank": 2, "job": "j1"})";
  all[FitMetric::Ratio] = 100;
  all[FitMetric::DeltaPpl] = 0.25;
  all[FitMetric::FitSeconds] = 1000;  // the summary sums its targets' instead
  run.rows.push_back(all);
  const auto summary = summarizeResults({run}, SummaryGrouping::Job);
  ASSERT_EQ(summary.rows.size(), 1u);
  const SummaryRow& s = summary.rows[0];
  for (const auto& m : fitMetrics()) {
    EXPECT_EQ(s.kinds.at("K").means[m.id], (run.rows[0][m.id] + run.rows[2][m.id]) / 2) << m.column;
    EXPECT_EQ(s.kinds.at("V").means[m.id], (run.rows[1][m.id] + run.rows[3][m.id]) / 2) << m.column;
  }
  EXPECT_EQ(s.kinds.at("K").targets, 2);
  EXPECT_EQ(s.jobValues[FitMetric::Ratio], 100);
  EXPECT_EQ(s.jobValues[FitMetric::DeltaPpl], 0.25);
  double fit = 0, decode = 0;
  for (int i = 0; i < 4; ++i)
    fit += run.rows[i][FitMetric::FitSeconds], decode += run.rows[i][FitMetric::DecodeMs];
  EXPECT_EQ(s.jobValues[FitMetric::FitSeconds], fit);
  EXPECT_EQ(s.jobValues[FitMetric::DecodeMs], decode / 4);

  std::ostringstream csv, md;
  writeSummaryCsv(summary, csv);
  writeSummaryMarkdown(summary, md);
  EXPECT_EQ(csv.str().substr(0, csv.str().find('\n')),
            "run,job,capture,method,params,seq_len,layer,ratio,ln_ppl_ratio,ln_ppl_ratio_se,kld,kld_se,"
            "same_top,cos_sim_K,cos_sim_V,rel_err_K,rel_err_V,attn_out_err_K,attn_out_err_V,attn_kl_K,"
            "attn_kl_V,delta_ppl_K,delta_ppl_V,delta_ppl_all,kld_p99,greedy_agree,fit_seconds,decode_ms,"
            "device,note");
  EXPECT_EQ(
      md.str().substr(0, md.str().find('\n')),
      "| capture | method | params | tokens | ratio | K cos | V cos | K rel err | V rel err | "
      "K attn err | V attn err | K attn KL | V attn KL | K Δppl | V Δppl | Δppl all | fit s | "
      "decode ms |");
}

// Issue 14: a crafted project with 2-D token_ids overflowed a buffer in `sweep`, and one with
// 0-head queries divided by zero; both are refused naming the project and the dataset.
TEST(Project, CraftedTokenIdsAndQueriesAreRefused) {
  TempDir dir;
  const auto path = dir / "p.kvw";
  writeCapture(path, "cap", 1, 2, 4, 8);
  auto addDataset = [&](const std::string& name, hid_t type, std::vector<hsize_t> dims,
                        const void* data) {
    auto f = h5::openFile(path, true);
    h5::Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
    h5::Handle ds(H5Dcreate2(f, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    ASSERT_GE(H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), 0);
  };
  auto errorOf = [&](auto read) {
    try {
      read();
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const std::vector<std::int32_t> twoRows = {1, 2, 3, 4, 5, 6, 7, 8};
  addDataset("captures/cap/token_ids", H5T_NATIVE_INT32, {2, 4}, twoRows.data());
  EXPECT_EQ(errorOf([&] { Project::open(path).tokenIds("cap"); }),
            path.string() + ": captures/cap/token_ids has shape [2, 4]; expected [4] (one id per token)");
  {
    auto f = h5::openFile(path, true);
    ASSERT_GE(H5Ldelete(f, "captures/cap/token_ids", H5P_DEFAULT), 0);
  }
  const std::vector<std::int32_t> negative = {1, 2, -7, 4};
  addDataset("captures/cap/token_ids", H5T_NATIVE_INT32, {4}, negative.data());
  EXPECT_EQ(errorOf([&] { Project::open(path).tokenIds("cap"); }),
            path.string() + ": captures/cap/token_ids holds token id -7 at position 2");

  addDataset("captures/cap/queries", H5T_NATIVE_FLOAT, {1, 0, 4, 8}, nullptr);
  EXPECT_EQ(errorOf([&] { Project::open(path); }),
            path.string() + ": capture 'cap': queries [1, 0, 4, 8] do not fit keys [1, 2, 4, 8]");
}

// Issue 14: nothing a project writes is beyond HDF5's checksums: strings are fixed-length (no
// global heap), every dataset with data is chunked with a Fletcher32 checksum, and the results
// table's string members are as wide as their longest value (a longer one rewrites the table).
// Attributes above 64 KiB (dense storage of the 1.8 format) are written, also into a project of
// the earliest format (tests/data/legacy-0.1).
TEST(Project, StringsFixedLengthDatasetsChecksummedLargeAttributesWritten) {
  TempDir dir;
  const auto path = dir / "p.kvw";
  const std::string metadata = R"({"text":")" + std::string(200'000, 'x') + R"("})";
  writeCapture(path, "cap", 1, 2, 4, 4, "float32", metadata);
  RunJournal journal(path);
  beginRun(journal, "r");
  journal.append("r", row(0, 0.5));
  {
    ProjectEdit edit(path);
    edit.writeTokenIds("cap", std::vector<std::int32_t>{5, 6, 7, 8});
    edit.writeArrayGroup(analysisGroup("cap"), {{"singular", {1, 2, 2, 3}, std::vector<float>(12, 1.f)}}, "{}");
    edit.commit();
  }
  EXPECT_EQ(unchecked(path), std::vector<std::string>{});
  EXPECT_EQ(Project::open(path).capture("cap").metadataJson, metadata);
  const auto paramsWidth = [&] {
    auto f = h5::openFile(path, false);
    h5::Handle ds(H5Dopen2(f, "runs/r/results", H5P_DEFAULT)), type(H5Dget_type(ds));
    const auto index = static_cast<unsigned>(H5Tget_member_index(type, "params"));
    return H5Tget_size(h5::Handle(H5Tget_member_type(type, index)));
  };
  EXPECT_EQ(paramsWidth(), row(0, 0.5).paramsJson.size());
  auto wide = row(1, 0.25);
  wide.paramsJson = R"({"rank":4,"note":")" + std::string(300, 'n') + R"("})";
  journal.append("r", wide);
  { ProjectEdit fold(path); fold.commit(); }
  EXPECT_EQ(paramsWidth(), wide.paramsJson.size());
  const auto rows = Project::open(path).results("r");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].paramsJson, row(0, 0.5).paramsJson);
  EXPECT_EQ(rows[1].paramsJson, wide.paramsJson);

  const auto legacy = dir / "legacy.kvw";  // its journal's job folds into a table of 0.1
  for (const char* f : {"legacy.kvw", "legacy.kvw-journal"})
    std::filesystem::copy_file(kvwb::test::sourceDir() / "tests/data/legacy-0.1" / f, dir / f);
  writeCapture(legacy, "big", 1, 1, 4, 4, "float32", metadata);
  const auto folded = Project::open(legacy);
  EXPECT_EQ(folded.capture("big").metadataJson, metadata);
  std::size_t legacyRows = 0;
  for (const auto& r : folded.runs()) legacyRows += folded.results(r.id).size();
  EXPECT_EQ(legacyRows, 4u * (5 * 2 * 2 + 1));  // 4 jobs x (5 layers x 2 heads x K, V + aggregate)
  EXPECT_FALSE(unchecked(legacy).empty()) << "objects written by 0.1 stay as they were";
}
