// Importers round-trip real bytes in every format and dtype; bad input gives a clear error and
// leaves an existing project byte-for-byte untouched.
#include <gtest/gtest.h>

#include <cmath>

#include "core/capture/capture_import.h"
#include "core/base/errors.h"
#include "core/project/project.h"
#include "core/formats/tensor_file.h"
#include "test_util.h"

using namespace kvwb::core;
using kvwb::test::TempDir;

namespace {

class RealDumps : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!kvwb::test::pythonHasModules("numpy,h5py,torch")) return;
    s_dir = new TempDir();
    const int rc = kvwb::test::runPython(
        {(kvwb::test::sourceDir() / "tests/data/make_dumps.py").string(),
         (kvwb::test::modelDir("stories260K-hf") / "model.safetensors").string(),
         s_dir->path().string()});
    if (rc != 0) {
      delete s_dir;
      s_dir = nullptr;
    }
  }
  static void TearDownTestSuite() {
    delete s_dir;
    s_dir = nullptr;
  }
  void SetUp() override {
    if (!s_dir) GTEST_SKIP() << "needs /usr/bin/python3 with numpy, h5py, torch";
  }
  // Imports `dumps` and checks every (kind, layer, head) target against the reference arrays.
  void roundTrip(const std::vector<std::string>& dumps, const std::string& expected,
                 const ImportOptions& opt, const std::string& storage) {
    TempDir work;
    std::vector<std::filesystem::path> paths;
    for (const auto& d : dumps) paths.push_back(s_dir->path() / d);
    JobContext ctx;
    const auto info = importCapture(paths, work / "p.kvw", opt, ctx);
    EXPECT_EQ(info.storageDtype, storage);
    const auto project = Project::open(work / "p.kvw");
    const auto ref = openTensorFile(s_dir->path() / expected);
    const auto& c = project.capture(info.name);
    EXPECT_EQ(c.layers, 5);
    EXPECT_EQ(c.kvHeads, 4);
    EXPECT_EQ(c.tokens, 64);
    EXPECT_EQ(c.headDim, 8);
    std::vector<std::pair<TensorKind, std::string>> kinds = {{TensorKind::Keys, "keys"},
                                                             {TensorKind::Values, "values"}};
    if (c.hasQueries) kinds.emplace_back(TensorKind::Queries, "queries");
    for (const auto& [kind, name] : kinds) {
      const auto bytes = ref->read(name);
      const auto* want = reinterpret_cast<const float*>(bytes.data());
      const auto heads = kind == TensorKind::Queries ? c.queryHeads : c.kvHeads;
      for (std::int64_t l = 0; l < c.layers; ++l)
        for (std::int64_t h = 0; h < heads; ++h) {
          const auto m = project.readTarget(info.name, kind, l, h);
          const auto* w = want + (l * heads + h) * 64 * 8;
          for (std::size_t i = 0; i < m.data.size(); ++i)
            ASSERT_EQ(m.data[i], w[i]) << name << " l" << l << " h" << h << " i" << i;
        }
    }
  }
  static TempDir* s_dir;
};
TempDir* RealDumps::s_dir = nullptr;

}  // namespace

TEST_F(RealDumps, HfCacheSafetensorsWithQueriesAndTokenIds) {
  roundTrip({"hf_cache.safetensors"}, "hf_cache.expected.npz", {}, "float32");
  TempDir work;
  JobContext ctx;
  ImportOptions opt;
  opt.captureName = "c";
  importCapture({s_dir->path() / "hf_cache.safetensors"}, work / "p.kvw", opt, ctx);
  const auto p = Project::open(work / "p.kvw");
  EXPECT_EQ(p.capture("c").queryHeads, 8);
  const auto ids = p.tokenIds("c");
  ASSERT_EQ(ids.size(), 64u);
  EXPECT_EQ(ids[63], 63);
}

TEST_F(RealDumps, StackedBfloat16Safetensors) {
  roundTrip({"stacked_bf16.safetensors"}, "stacked_bf16.expected.npz", {}, "float32");
}

TEST_F(RealDumps, CompressedNpzFloat16StaysFloat16) {
  roundTrip({"stacked_f16.npz"}, "stacked_f16.expected.npz", {}, "float16");
}

TEST_F(RealDumps, FolderOfNpyFiles) {
  roundTrip({"npy_dir"}, "npy_dir.expected.npz", {}, "float32");
}

TEST_F(RealDumps, Hdf5WithDatasetMapping) {
  ImportOptions opt;
  opt.layout.mapping = {{"keys", "cache/k"}, {"values", "cache/v"}};
  roundTrip({"custom.h5"}, "custom.expected.npz", opt, "float16");
  TempDir work;
  JobContext ctx;
  try {
    importCapture({s_dir->path() / "custom.h5"}, work / "p.kvw", {}, ctx);
    FAIL() << "unmapped HDF5 dump must be refused";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cache/k"), std::string::npos) << e.what();
  }
}

// ---- bad input -----------------------------------------------------------------------------

namespace {

using kvwb::test::floatBytes;
using kvwb::test::RawTensor;

std::vector<float> ramp(std::size_t n, float scale = 0.01f) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = std::sin(static_cast<float>(i) * scale);
  return v;
}

// A project holding one good capture, plus the bytes it had before a failed import.
struct ExistingProject {
  TempDir dir;
  std::filesystem::path project = dir / "p.kvw";
  std::string before;
  ExistingProject() {
    kvwb::test::writeFile(dir / "good.safetensors",
                          kvwb::test::safetensorsBytes({{"keys", "F32", {2, 2, 4, 3}, floatBytes(ramp(48))},
                                                        {"values", "F32", {2, 2, 4, 3}, floatBytes(ramp(48, 0.3f))}}));
    JobContext ctx;
    importCapture({dir / "good.safetensors"}, project, {}, ctx);
    before = kvwb::test::readFile(project);
  }
  // Imports `tensors` and returns the error; asserts the project did not change.
  std::string failImport(const std::vector<RawTensor>& tensors, const ImportOptions& opt = {},
                         const std::string& named = "bad.safetensors") {
    const auto dump = dir / "bad.safetensors";
    kvwb::test::writeFile(dump, kvwb::test::safetensorsBytes(tensors));
    std::string error;
    try {
      JobContext ctx;
      importCapture({dump}, project, opt, ctx);
    } catch (const InputError& e) {
      error = e.what();
    }
    EXPECT_EQ(kvwb::test::readFile(project), before) << "project changed by a failed import";
    EXPECT_EQ(Project::open(project).captures().size(), 1u);
    EXPECT_NE(error.find(named), std::string::npos) << "error must name the file: " << error;
    return error;
  }
};

}  // namespace

TEST(ImportErrors, KvShapeMismatch) {
  ExistingProject p;
  const auto err = p.failImport({{"keys", "F32", {2, 2, 4, 3}, floatBytes(ramp(48))},
                                 {"values", "F32", {2, 2, 3, 4}, floatBytes(ramp(48))}});
  EXPECT_NE(err.find("K/V shape mismatch"), std::string::npos) << err;
}

TEST(ImportErrors, NanAndInfNamedWithLocation) {
  ExistingProject p;
  auto v = ramp(48);
  v[1 * 12 + 2 * 3 + 1] = NAN;  // layer 0, head 1, token 2, dim 1
  const auto err = p.failImport({{"keys", "F32", {2, 2, 4, 3}, floatBytes(ramp(48))},
                                 {"values", "F32", {2, 2, 4, 3}, floatBytes(v)}});
  EXPECT_NE(err.find("NaN or Inf at head 1, token 2, dim 1"), std::string::npos) << err;
}

TEST(ImportErrors, MissingLayerInPerLayerDump) {
  ExistingProject p;
  const auto l = floatBytes(ramp(24));
  const auto err = p.failImport({{"past_key_values.0.key", "F32", {1, 2, 4, 3}, l},
                                 {"past_key_values.0.value", "F32", {1, 2, 4, 3}, l},
                                 {"past_key_values.2.key", "F32", {1, 2, 4, 3}, l},
                                 {"past_key_values.2.value", "F32", {1, 2, 4, 3}, l}});
  EXPECT_NE(err.find("layer 1 of keys is missing"), std::string::npos) << err;
}

TEST(ImportErrors, BatchNeedsChoiceAndRangeChecked) {
  ExistingProject p;
  const auto l = floatBytes(ramp(48));
  const std::vector<RawTensor> two = {{"past_key_values.0.key", "F32", {2, 2, 4, 3}, l},
                                      {"past_key_values.0.value", "F32", {2, 2, 4, 3}, l}};
  EXPECT_NE(p.failImport(two).find("pick one with --batch"), std::string::npos);
  ImportOptions opt;
  opt.layout.batch = 5;
  EXPECT_NE(p.failImport(two, opt).find("batch 5 does not exist"), std::string::npos);
}

TEST(ImportErrors, WrongRankUnknownNamesIntegerData) {
  ExistingProject p;
  EXPECT_NE(p.failImport({{"keys", "F32", {48}, floatBytes(ramp(48))},
                          {"values", "F32", {48}, floatBytes(ramp(48))}})
                .find("expected [layers, heads, tokens, head_dim]"),
            std::string::npos);
  EXPECT_NE(p.failImport({{"weird", "F32", {48}, floatBytes(ramp(48))}}).find("no keys found"),
            std::string::npos);
  std::string ints(48 * 4, '\0');
  EXPECT_NE(p.failImport({{"keys", "I32", {2, 2, 4, 3}, ints}, {"values", "I32", {2, 2, 4, 3}, ints}})
                .find("not floating point"),
            std::string::npos);
}

// Issue 14: queries with 0 heads were imported, then `sweep` died with SIGFPE.
TEST(ImportErrors, QueriesWithZeroHeads) {
  ExistingProject p;
  const auto kv = floatBytes(ramp(48));
  const auto err = p.failImport({{"keys", "F32", {2, 2, 4, 3}, kv},
                                 {"values", "F32", {2, 2, 4, 3}, kv},
                                 {"queries", "F32", {2, 0, 4, 3}, ""}});
  EXPECT_NE(err.find("queries 'queries' have 0 heads"), std::string::npos) << err;
}

// Issue 14: negative token ids were kept and 2^40 became 0.
TEST(ImportErrors, TokenIdsOutOfInt32Range) {
  ExistingProject p;
  const auto kv = floatBytes(ramp(48));
  auto idsOf = [](std::vector<std::int64_t> ids) {
    return std::string(reinterpret_cast<const char*>(ids.data()), ids.size() * 8);
  };
  auto refuse = [&](std::int64_t id) {
    return p.failImport({{"keys", "F32", {2, 2, 4, 3}, kv},
                         {"values", "F32", {2, 2, 4, 3}, kv},
                         {"token_ids", "I64", {4}, idsOf({1, 2, id, 3})}});
  };
  EXPECT_NE(refuse(-1).find("'token_ids' holds token id -1 at position 2"), std::string::npos);
  EXPECT_NE(refuse(std::int64_t{1} << 40).find("token id 1099511627776 at position 2"),
            std::string::npos);
  EXPECT_NE(refuse(std::int64_t{1} << 31).find("(ids must be 0 to 2^31-1)"), std::string::npos);
}

TEST(ImportErrors, DuplicateCaptureNameKeepsProject) {
  ExistingProject p;
  ImportOptions opt;
  opt.captureName = "good";
  const auto err = p.failImport({{"keys", "F32", {2, 2, 4, 3}, floatBytes(ramp(48))},
                                 {"values", "F32", {2, 2, 4, 3}, floatBytes(ramp(48))}},
                                opt, "p.kvw");
  EXPECT_NE(err.find("already exists"), std::string::npos) << err;
}

TEST(ImportErrors, CancelLeavesProjectUntouched) {
  ExistingProject p;
  struct CancelAtOnce : JobContext {
    bool cancelled() const override { return true; }
  } ctx;
  kvwb::test::writeFile(p.dir / "more.safetensors",
                        kvwb::test::safetensorsBytes({{"keys", "F32", {2, 2, 4, 3}, floatBytes(ramp(48))},
                                                      {"values", "F32", {2, 2, 4, 3}, floatBytes(ramp(48))}}));
  EXPECT_THROW(importCapture({p.dir / "more.safetensors"}, p.project, {}, ctx), Cancelled);
  EXPECT_EQ(kvwb::test::readFile(p.project), p.before);
}

// ---- dump suffixes: one list for import, the CLI and the GUI -------------------------------

TEST(DumpSuffixes, OneListInAnyCase) {
  EXPECT_EQ(dumpSuffixes(),
            (std::vector<std::string>{".safetensors", ".npy", ".npz", ".h5", ".hdf5", ".hdf"}));
  EXPECT_TRUE(isDumpFile("cache.SafeTensors"));
  EXPECT_TRUE(isDumpFile("dir/cache.HDF"));
  EXPECT_FALSE(isDumpFile("notes.txt"));
  EXPECT_FALSE(isDumpFile("safetensors"));
  EXPECT_EQ(dumpSuffixesText(), ".safetensors, .npy, .npz, .h5, .hdf5 or .hdf");
}

TEST(DumpSuffixes, FolderImportTakesEveryListedSuffix) {
  TempDir dir;
  std::filesystem::create_directory(dir / "dumps");
  kvwb::test::writeFile(dir / "dumps/notes.txt", "ignored");
  JobContext ctx;
  try {
    importCapture({dir / "dumps"}, dir / "p.kvw", {}, ctx);
    FAIL() << "a folder without dumps must be refused";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(dumpSuffixesText()), std::string::npos) << e.what();
  }
  kvwb::test::writeFile(dir / "dumps/cache.hdf", "not hdf5 at all");  // .hdf: read as HDF5
  try {
    importCapture({dir / "dumps"}, dir / "p.kvw", {}, ctx);
    FAIL() << "a broken .hdf dump must be refused";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cache.hdf"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not an HDF5 file"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "p.kvw"));
}
