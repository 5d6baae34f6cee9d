// Dump readers on real bytes (the bundled checkpoint) and on malformed files.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "core/base/errors.h"
#include "core/formats/tensor_file.h"
#include "test_util.h"

using namespace kvwb::core;
using kvwb::test::TempDir;

namespace {
// The first error message from opening `path`, or "" when it opened.
std::string openError(const std::filesystem::path& path) {
  try {
    openTensorFile(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Safetensors, ReadsRealCheckpointMatchingLlama2cBin) {
  const auto file = openTensorFile(kvwb::test::modelDir("stories260K-hf") / "model.safetensors");
  const auto* emb = file->find("model.embed_tokens.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->dtype, DType::F32);
  EXPECT_EQ(emb->shape, (std::vector<std::int64_t>{512, 64}));
  // Independent reference: llama2.c's .bin stores the same embedding table after a 7-int header.
  std::ifstream bin(kvwb::test::modelDir("stories260K") / "stories260K.bin", std::ios::binary);
  std::vector<float> ref(512 * 64);
  bin.seekg(7 * 4);
  bin.read(reinterpret_cast<char*>(ref.data()), ref.size() * 4);
  const auto bytes = file->read("model.embed_tokens.weight");
  ASSERT_EQ(bytes.size(), ref.size() * 4);
  EXPECT_EQ(std::memcmp(bytes.data(), ref.data(), bytes.size()), 0);
  EXPECT_EQ(file->tensors().size(), 47u);  // 5 layers x 9, embeddings, final norm (head tied)
}

TEST(Safetensors, RejectsLyingHeaderLength) {
  TempDir dir;
  auto bytes = kvwb::test::safetensorsBytes({{"keys", "F32", {2}, kvwb::test::floatBytes({1, 2})}});
  const std::uint64_t huge = 1ull << 40;
  std::memcpy(bytes.data(), &huge, 8);
  kvwb::test::writeFile(dir / "lying.safetensors", bytes);
  const auto err = openError(dir / "lying.safetensors");
  EXPECT_NE(err.find("lying.safetensors"), std::string::npos) << err;
  EXPECT_NE(err.find("header length"), std::string::npos) << err;
}

TEST(Safetensors, RejectsTruncatedData) {
  TempDir dir;
  auto bytes = kvwb::test::safetensorsBytes({{"keys", "F32", {4}, kvwb::test::floatBytes({1, 2, 3, 4})}});
  bytes.resize(bytes.size() - 5);
  kvwb::test::writeFile(dir / "cut.safetensors", bytes);
  EXPECT_NE(openError(dir / "cut.safetensors").find("truncated"), std::string::npos);
  kvwb::test::writeFile(dir / "tiny.safetensors", "abc");
  EXPECT_NE(openError(dir / "tiny.safetensors").find("truncated"), std::string::npos);
}

TEST(Safetensors, RejectsUnknownDtypeBadShapeAndOverlap) {
  TempDir dir;
  kvwb::test::writeFile(dir / "a.safetensors",
                        kvwb::test::safetensorsBytes({{"keys", "F8_E5M2", {4}, "abcd"}}));
  EXPECT_NE(openError(dir / "a.safetensors").find("unknown dtype 'F8_E5M2'"), std::string::npos);
  kvwb::test::writeFile(dir / "b.safetensors",
                        kvwb::test::safetensorsBytes({{"keys", "F32", {3}, kvwb::test::floatBytes({1, 2})}}));
  EXPECT_NE(openError(dir / "b.safetensors").find("needs 12"), std::string::npos);
  kvwb::test::writeFile(dir / "c.safetensors",
                        kvwb::test::safetensorsBytes({{"keys", "F32", {1ll << 30, 1ll << 30, 4}, ""}}));
  EXPECT_NE(openError(dir / "c.safetensors").find("oversized"), std::string::npos);
  kvwb::test::writeFile(dir / "d.safetensors", std::string("\x05\0\0\0\0\0\0\0{bad}", 13));
  EXPECT_NE(openError(dir / "d.safetensors").find("not valid JSON"), std::string::npos);
}

TEST(Npy, ReadsAndRejects) {
  TempDir dir;
  const auto data = kvwb::test::floatBytes({1, 2, 3, 4, 5, 6});
  kvwb::test::writeFile(dir / "keys.npy", kvwb::test::npyBytes("<f4", {2, 3}, data));
  const auto f = openTensorFile(dir / "keys.npy");
  ASSERT_EQ(f->tensors().size(), 1u);
  EXPECT_EQ(f->tensors()[0].name, "keys");
  EXPECT_EQ(f->tensors()[0].shape, (std::vector<std::int64_t>{2, 3}));
  const auto b = f->read("keys");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.data()), b.size()), data);

  kvwb::test::writeFile(dir / "f.npy", kvwb::test::npyBytes("<f4", {2, 3}, data, true));
  EXPECT_NE(openError(dir / "f.npy").find("Fortran-ordered"), std::string::npos);
  kvwb::test::writeFile(dir / "t.npy", kvwb::test::npyBytes("<f4", {4, 3}, data));
  EXPECT_NE(openError(dir / "t.npy").find("truncated"), std::string::npos);
  kvwb::test::writeFile(dir / "u.npy", kvwb::test::npyBytes("<c8", {3}, data));
  EXPECT_NE(openError(dir / "u.npy").find("unsupported dtype '<c8'"), std::string::npos);
  kvwb::test::writeFile(dir / "x.npz", "PK not really a zip");
  EXPECT_NE(openError(dir / "x.npz").find("x.npz"), std::string::npos);
  EXPECT_NE(openError(dir / "x.bin").find("no such file"), std::string::npos);
  kvwb::test::writeFile(dir / "y.h5", "not hdf5 at all");
  EXPECT_NE(openError(dir / "y.h5").find("not an HDF5 file"), std::string::npos);
}

// Issue 14: headers of 30,000+ characters overflowed the stack of the old regex parser.
TEST(Npy, LongHeadersAreParsedOrRefusedByTheLimit) {
  TempDir dir;
  const auto data = kvwb::test::floatBytes({1, 2, 3, 4, 5, 6});
  const std::string spaces(32000, ' ');
  kvwb::test::writeFile(dir / "a.npy", kvwb::test::npyFromHeader(
      "{" + spaces + "'descr': '<f4', 'fortran_order': False, 'shape': (" + spaces + "2, 3)}",
      data));
  const auto a = openTensorFile(dir / "a.npy");
  EXPECT_EQ(a->tensors()[0].shape, (std::vector<std::int64_t>{2, 3}));

  const std::string longDescr(3'000'000, 'x');
  kvwb::test::writeFile(dir / "b.npy", kvwb::test::npyFromHeader(
      "{'descr': '" + longDescr + "', 'fortran_order': False, 'shape': (6,)}", data));
  EXPECT_NE(openError(dir / "b.npy").find("exceeds the limit of 65536 bytes"), std::string::npos);

  std::string ones;
  for (int i = 0; i < 100'000; ++i) ones += "1,";
  kvwb::test::writeFile(dir / "c.npy", kvwb::test::npyFromHeader(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (" + ones + "6)}", data));
  EXPECT_NE(openError(dir / "c.npy").find("exceeds the limit"), std::string::npos);
  kvwb::test::writeFile(dir / "d.npy", kvwb::test::npyFromHeader(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (" + ones.substr(0, 200) + "6)}", data));
  EXPECT_NE(openError(dir / "d.npy").find("more than 64 dimensions"), std::string::npos);
}

TEST(Npy, HeaderSyntax) {
  TempDir dir;
  const auto data = kvwb::test::floatBytes({1, 2, 3, 4, 5, 6});
  auto shapeOf = [&](const std::string& header) {
    kvwb::test::writeFile(dir / "h.npy", kvwb::test::npyFromHeader(header, data));
    return openTensorFile(dir / "h.npy")->tensors()[0].shape;
  };
  // numpy takes the last of duplicate keys (it builds a Python dict).
  EXPECT_EQ(shapeOf("{'shape': (6,), 'descr': '<f4', 'fortran_order': True, "
                    "'fortran_order': False, 'shape': (3, 2)}"),
            (std::vector<std::int64_t>{3, 2}));
  EXPECT_EQ(shapeOf("{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2L, 3L), }\n"),
            (std::vector<std::int64_t>{2, 3}));
  auto errorOf = [&](const std::string& header) {
    kvwb::test::writeFile(dir / "h.npy", kvwb::test::npyFromHeader(header, data));
    return openError(dir / "h.npy");
  };
  EXPECT_NE(errorOf("{'descr': '<f4', 'fortran_order': False}").find("header has no 'shape'"),
            std::string::npos);
  EXPECT_NE(errorOf("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3}")
                .find("malformed header at byte 55: expected ')'"),
            std::string::npos);
  EXPECT_NE(errorOf("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}")
                .find("does not fit in 64 bits"),
            std::string::npos);
  EXPECT_NE(errorOf("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,)}")
                .find("structured dtypes"),
            std::string::npos);
  EXPECT_NE(errorOf("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1}")
                .find("unexpected key 'x'"),
            std::string::npos);
  EXPECT_NE(errorOf("{'descr': '<f4', 'fortran_order': False, 'shape': (-6,)}")
                .find("negative dimension"),
            std::string::npos);
}

// Fuzz finds (fuzz/corpus/hdf5_dump/regress-*): a compact dataset carrying a gzip filter (HDF5
// filters only chunked data) is not taken as compressed, and a chunk index claiming more bytes
// than the file holds is refused, both before any read (they overflowed a buffer inside libhdf5
// and allocated 412 GB).
TEST(Hdf5Dump, FuzzFoundLayoutsAreRefusedBeforeReading) {
  const auto corpus = kvwb::test::sourceDir() / "fuzz/corpus/hdf5_dump";
  const std::pair<const char*, const char*> cases[] = {
      {"regress-filtered-compact.h5", "declares 96 bytes but the file stores only 2"},
      {"regress-chunk-index-beyond-file.h5", "stored bytes; the file holds only"}};
  for (const auto& [name, message] : cases) {
    try {
      const auto file = kvwb::core::openTensorFile(corpus / name);
      for (const auto& t : file->tensors()) file->read(t.name);
      ADD_FAILURE() << name << " was read";
    } catch (const kvwb::core::InputError& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  }
}
