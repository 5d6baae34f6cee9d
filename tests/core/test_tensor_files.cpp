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
