// Issue 14, hostile and broken files: sizes checked before allocation, .npz CRCs, corrupt and
// truncated HDF5, links and external storage, capture names, a full disk, checksummed project data
// and bit flips across a whole project. Each test feeds a real crafted file and expects an
// InputError naming the file and the problem, and nothing saved lost.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <string_view>
#include <thread>

#include "core/base/errors.h"
#include "core/formats/h5.h"
#include "core/formats/tensor_file.h"
#include "core/project/project.h"
#include "core/project/run_journal.h"
#include "test_util.h"

using namespace kvwb::core;
using kvwb::test::TempDir;

// A full disk under the project's working copies: while `g_diskFull` is set (only in a death-test
// child), pwrite and ftruncate on a file whose name holds ".tmp-" fail with ENOSPC. These
// definitions interpose libc's for the whole test program, HDF5 included, and pass every other
// call straight to the kernel.
namespace {
bool g_diskFull = false;

bool onFullDisk(int fd) {
  if (!g_diskFull) return false;
  char target[4096];
  const auto n = ::readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), target, sizeof target);
  return n > 0 && std::string_view(target, static_cast<std::size_t>(n)).find(".tmp-") !=
                      std::string_view::npos;
}
}  // namespace

extern "C" ssize_t pwrite(int fd, const void* buf, size_t n, off_t offset) {
  if (onFullDisk(fd)) return errno = ENOSPC, -1;
  return ::syscall(SYS_pwrite64, fd, buf, n, offset);
}

extern "C" int ftruncate(int fd, off_t length) noexcept {
  if (onFullDisk(fd)) return errno = ENOSPC, -1;
  return static_cast<int>(::syscall(SYS_ftruncate, fd, length));
}

namespace {

using kvwb::test::contains;
const auto errorOf = kvwb::test::inputErrorOf;

// An .npz archive of one member written by libzip, stored or deflated.
void writeNpz(const std::filesystem::path& path, const std::string& member, const std::string& npy,
              zip_int32_t method) {
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  ASSERT_NE(z, nullptr);
  zip_source_t* src = zip_source_buffer(z, npy.data(), npy.size(), 0);
  const auto index = zip_file_add(z, member.c_str(), src, ZIP_FL_OVERWRITE);
  ASSERT_GE(index, 0);
  ASSERT_EQ(zip_set_file_compression(z, index, method, 0), 0);
  ASSERT_EQ(zip_close(z), 0);
}

// Sets the 4-byte little-endian field at `offset` of the local header and of the central
// directory entry (the two must agree, or libzip refuses the archive as inconsistent).
void patchZipField(std::string& zip, std::size_t localOffset, std::size_t centralOffset,
                   std::uint32_t value) {
  const auto local = zip.find("PK\x03\x04"), central = zip.find("PK\x01\x02");
  ASSERT_NE(local, std::string::npos);
  ASSERT_NE(central, std::string::npos);
  std::memcpy(zip.data() + local + localOffset, &value, 4);
  std::memcpy(zip.data() + central + centralOffset, &value, 4);
}

// A small valid project with one 1 x 2 x 4 x 4 float32 capture "cap".
void writeProject(const std::filesystem::path& path) {
  ProjectEdit edit(path);
  CaptureInfo c;
  c.name = "cap";
  c.layers = 1;
  c.kvHeads = c.queryHeads = 2;
  c.tokens = 4;
  c.headDim = 4;
  edit.createCapture(c);
  const std::vector<float> layer(2 * 4 * 4, 0.5f);
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(layer.data()),
                                         layer.size() * 4);
  edit.writeLayer("cap", TensorKind::Keys, 0, DType::F32, bytes);
  edit.writeLayer("cap", TensorKind::Values, 0, DType::F32, bytes);
  edit.commit();
}

// writeProject's project with token ids, an analysis (attributes and one array) and a run of two
// result rows folded into its table: every kind of object a project holds.
void writeFullProject(const std::filesystem::path& path) {
  writeProject(path);
  RunJournal journal(path);
  RunInfo run;
  run.id = "r";
  journal.beginRun(run);
  for (int head = 0; head < 2; ++head) {
    ResultRow row;
    row.head = head;
    row.paramsJson = R"({"rank":2,"job":"0123456789abcdef"})";  // device "": width 1
    journal.append("r", row);
  }
  ProjectEdit edit(path);  // folds the journal
  edit.writeTokenIds("cap", std::vector<std::int32_t>{1, 2, 3, 4});
  edit.writeArrayGroup(analysisGroup("cap"), {{"spearman", {1, 2, 2}, {0.1f, 0.2f, 0.3f, 0.4f}}},
                     R"({"fingerprint":"42"})");
  edit.commit();
}

// Reads everything in project `path`: its captures, every target, token ids, analyses, runs and
// their results.
void readEverything(const std::filesystem::path& path) {
  const auto p = Project::open(path);
  for (const auto& c : p.captures()) {
    std::vector<TensorKind> kinds{TensorKind::Keys, TensorKind::Values};
    if (c.hasQueries) kinds.push_back(TensorKind::Queries);
    if (c.hasKeysPreRope) kinds.push_back(TensorKind::KeysPreRope);
    for (auto kind : kinds)
      for (std::int64_t l = 0; l < c.layers; ++l)
        for (std::int64_t h = 0; h < (kind == TensorKind::Queries ? c.queryHeads : c.kvHeads); ++h)
          p.readTarget(c.name, kind, l, h);
    p.tokenIds(c.name);
    p.arrayGroupAttrs(analysisGroup(c.name));
    for (const auto& name : p.arrayGroupNames(analysisGroup(c.name))) p.readArray(analysisGroup(c.name), name);
  }
  for (const auto& run : p.runs()) p.results(run.id);
}

// File offset of the chunk of dataset `name` at `coord` in the HDF5 file `path`.
haddr_t chunkAddress(const std::filesystem::path& path, const std::string& name,
                     std::vector<hsize_t> coord) {
  h5::Handle f(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  h5::Handle ds(H5Dopen2(f, name.c_str(), H5P_DEFAULT));
  unsigned filterMask = 0;
  haddr_t address = HADDR_UNDEF;
  hsize_t size = 0;
  EXPECT_GE(H5Dget_chunk_info_by_coord(ds, coord.data(), &filterMask, &address, &size), 0) << name;
  return address;
}

// Creates an HDF5 file at `path` and lets `fill` add objects to its root.
void writeH5(const std::filesystem::path& path, const std::function<void(hid_t)>& fill) {
  h5::silenceErrorPrinting();
  h5::Handle f(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  ASSERT_TRUE(f.valid());
  fill(f);
}

// Creates float dataset `name` of `dims` under `loc`: chunked by its last dimension and left
// unwritten when `data` is null, else contiguous and written.
void addFloats(hid_t loc, const std::string& name, std::vector<hsize_t> dims, const float* data,
               hid_t dcpl = H5P_DEFAULT) {
  h5::Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  h5::Handle chunked(H5Pcreate(H5P_DATASET_CREATE));
  std::vector<hsize_t> chunk(dims.size(), 1);
  chunk.back() = dims.back();
  H5Pset_chunk(chunked, static_cast<int>(chunk.size()), chunk.data());
  const hid_t plist = data || dcpl != H5P_DEFAULT ? dcpl : hid_t(chunked);
  h5::Handle ds(
      H5Dcreate2(loc, name.c_str(), H5T_IEEE_F32LE, space, H5P_DEFAULT, plist, H5P_DEFAULT));
  ASSERT_TRUE(ds.valid()) << name;
  if (data) ASSERT_GE(H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), 0);
}

// File offset of the object header of `name` in the HDF5 file `path`.
haddr_t objectAddress(const std::filesystem::path& path, const std::string& name) {
  h5::Handle f(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  H5O_info_t info;
  EXPECT_GE(H5Oget_info_by_name(f, name.c_str(), &info, H5P_DEFAULT), 0);
  return info.addr;
}

// In a death-test child: fills the disk before or after the edit opens its working copy, then
// adds a 2 MiB capture to `path`. Exits (through HDF5's exit handlers) 0 when the edit failed
// with an error naming the project, 2 otherwise.
void saveWithFullDisk(const std::filesystem::path& path, bool fullAtOpen) {
  g_diskFull = fullAtOpen;
  const auto error = errorOf([&] {
    ProjectEdit edit(path);
    g_diskFull = true;
    CaptureInfo c;
    c.name = "big";
    c.layers = 4;
    c.kvHeads = c.queryHeads = 4;
    c.tokens = 256;
    c.headDim = 64;
    edit.createCapture(c);
    const std::vector<float> layer(4 * 256 * 64, 1.f);
    for (int l = 0; l < 4; ++l)
      for (auto kind : {TensorKind::Keys, TensorKind::Values})
        edit.writeLayer("big", kind, l, DType::F32,
                        {reinterpret_cast<const std::byte*>(layer.data()), layer.size() * 4});
    edit.commit();
  });
  std::fprintf(stderr, "%s\n", error.c_str());
  if (!contains(error, path.string() + ": cannot ")) std::exit(2);
  // The failed copy is gone and closed: a long-running GUI must not keep its disk space.
  for (const auto& fd : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const auto target = std::filesystem::read_symlink(fd.path(), ec).string();
    if (contains(target, ".tmp-")) {
      std::fprintf(stderr, "the working copy %s is still open\n", target.c_str());
      std::exit(3);
    }
  }
  std::exit(0);
}

}  // namespace

// (b) A flipped byte in a stored member's data: Python's zipfile.testzip() catches it, and so do
// we.
TEST(Npz, FlippedDataByteFailsTheCrcNamingTheMember) {
  TempDir dir;
  const auto npz = dir / "a.npz";
  writeNpz(npz, "keys.npy",
           kvwb::test::npyBytes("<f4", {2, 3}, kvwb::test::floatBytes({1, 2, 3, 4, 5, 6})),
           ZIP_CM_STORE);
  auto bytes = kvwb::test::readFile(npz);
  const auto at = bytes.find(kvwb::test::floatBytes({4}));
  ASSERT_NE(at, std::string::npos);
  bytes[at + 2] ^= 0x10;
  kvwb::test::writeFile(npz, bytes);
  const auto file = openTensorFile(npz);  // the header is intact
  EXPECT_EQ(errorOf([&] { file->read("keys"); }),
            npz.string() + ": member 'keys.npy' fails its CRC-32 check (corrupt data)");
}

// (a) Size fields that the bytes in the archive cannot back are refused before inflating.
TEST(Npz, LyingSizeFieldsAreRefusedBeforeInflating) {
  TempDir dir;
  const auto npy = kvwb::test::npyBytes("<f4", {1024}, std::string(4096, '\0'));
  const auto stored = dir / "stored.npz", deflated = dir / "deflated.npz";
  writeNpz(stored, "keys.npy", npy, ZIP_CM_STORE);
  auto bytes = kvwb::test::readFile(stored);
  patchZipField(bytes, 22, 24, 1u << 30);  // uncompressed size
  kvwb::test::writeFile(stored, bytes);
  EXPECT_EQ(errorOf([&] { openTensorFile(stored); }),
            stored.string() +
                ": member 'keys.npy' declares 1073741824 bytes but the file stores only " +
                std::to_string(npy.size()) + " (corrupt size or truncated data)");

  writeNpz(deflated, "keys.npy", npy, ZIP_CM_DEFLATE);
  bytes = kvwb::test::readFile(deflated);
  patchZipField(bytes, 22, 24, 0xF0000000u);
  kvwb::test::writeFile(deflated, bytes);
  const auto error = errorOf([&] { openTensorFile(deflated); });
  EXPECT_TRUE(
      contains(error, deflated.string() + ": member 'keys.npy' declares 4026531840 bytes from "))
      << error;
  EXPECT_TRUE(contains(error, "beyond deflate's limit of 1032:1")) << error;

  bytes = kvwb::test::readFile(stored);
  patchZipField(bytes, 18, 20, 1u << 30);  // compressed size
  kvwb::test::writeFile(stored, bytes);
  EXPECT_TRUE(contains(errorOf([&] { openTensorFile(stored); }), stored.string() + ": "));
}

// (a, c) Shapes of 2^42 and 2^36 elements with no bytes behind them: refused at open, before any
// allocation, and the refusal is thrown outside HDF5's callbacks, so the process exits cleanly.
TEST(Hdf5Dump, HugeDeclaredShapesAreRefusedBeforeAllocation) {
  TempDir dir;
  writeH5(dir / "huge.h5", [](hid_t f) { addFloats(f, "keys", {1u << 20, 1u << 20, 4}, nullptr); });
  writeH5(dir / "hollow.h5", [](hid_t f) {
    addFloats(f, "keys", {1u << 15, 1u << 16, 32}, nullptr);
  });
  EXPECT_EQ(
      errorOf([&] { openTensorFile(dir / "huge.h5"); }),
      (dir / "huge.h5").string() +
          ": tensor 'keys' shape [1048576, 1048576, 4] is oversized (more than 2^40 elements)");
  EXPECT_EQ(errorOf([&] { openTensorFile(dir / "hollow.h5"); }),
            (dir / "hollow.h5").string() +
                ": dataset 'keys' declares 274877906944 bytes but the file stores only 0 (corrupt "
                "size or truncated data)");
  EXPECT_EXIT(
      {
        const bool refused = !errorOf([&] { openTensorFile(dir / "huge.h5"); }).empty();
        std::exit(refused ? 0 : 2);
      },
      ::testing::ExitedWithCode(0), "");
}

// (a, c) One flipped bit in a stored dimension of a contiguous dataset (a 2 KiB file that once
// allocated gigabytes) and a damaged object header (once skipped: 1 layer imported instead of 2).
TEST(Hdf5Dump, FlippedDimensionAndDamagedHeaderAreErrors) {
  TempDir dir;
  const auto path = dir / "d.h5";
  const std::vector<float> data(2 * 5, 1.f);
  writeH5(path, [&](hid_t f) {
    addFloats(f, "layer0", {2, 5}, data.data());
    addFloats(f, "layer1", {2, 5}, data.data());
  });
  const auto healthy = kvwb::test::readFile(path);
  ASSERT_EQ(openTensorFile(path)->tensors().size(), 2u);

  std::string bytes = healthy;
  const std::string dims("\x02\0\0\0\0\0\0\0\x05\0\0\0\0\0\0\0", 16);
  const auto at = bytes.find(dims);
  ASSERT_NE(at, std::string::npos);
  bytes[at + 8 + 4] ^= 0x08;  // 5 -> 5 + 2^35
  kvwb::test::writeFile(path, bytes);
  auto error = errorOf([&] { openTensorFile(path)->read("layer0"); });
  EXPECT_TRUE(contains(error, path.string() + ": ")) << error;

  bytes = healthy;
  kvwb::test::writeFile(path, bytes);
  bytes[objectAddress(path, "layer1")] = '\x7f';  // object header version
  kvwb::test::writeFile(path, bytes);
  error = errorOf([&] { openTensorFile(path); });
  EXPECT_TRUE(contains(error, path.string() + ": ")) << error;
  EXPECT_TRUE(contains(error, "corrupt")) << error;
}

// (f) A dump may not pull other files in: external raw storage (`import passwd.h5` once stored
// /etc/passwd) and external links are refused; a soft link inside the file is harmless.
TEST(Hdf5Dump, ExternalStorageAndExternalLinksAreRefused) {
  TempDir dir;
  kvwb::test::writeFile(dir / "secret.bin", kvwb::test::floatBytes({1, 2, 3, 4}));
  writeH5(dir / "external.h5", [&](hid_t f) {
    h5::Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
    ASSERT_GE(H5Pset_external(dcpl, (dir / "secret.bin").c_str(), 0, 16), 0);
    addFloats(f, "keys", {4}, nullptr, dcpl);
  });
  EXPECT_EQ(errorOf([&] { openTensorFile(dir / "external.h5"); }),
            (dir / "external.h5").string() +
                ": dataset '/keys' keeps its data in external files; refused");

  const std::vector<float> data(4, 1.f);
  writeH5(dir / "linked.h5", [&](hid_t f) {
    addFloats(f, "keys", {4}, data.data());
    ASSERT_GE(H5Lcreate_soft("/keys", f, "alias", H5P_DEFAULT, H5P_DEFAULT), 0);
  });
  EXPECT_EQ(openTensorFile(dir / "linked.h5")->tensors().size(), 1u);
  writeH5(dir / "linked.h5", [&](hid_t f) {
    addFloats(f, "keys", {4}, data.data());
    ASSERT_GE(H5Lcreate_external("other.h5", "/values", f, "values", H5P_DEFAULT, H5P_DEFAULT), 0);
  });
  EXPECT_EQ(errorOf([&] { openTensorFile(dir / "linked.h5"); }),
            (dir / "linked.h5").string() +
                ": 'values' is an external link; a dump must hold its data itself");
}

// (a, c) A project whose keys declare 2^36 elements that the file does not hold, a truncated
// project and a project with a damaged superblock or object header: each a clear error.
TEST(Project, CorruptTruncatedAndHollowProjectsAreClearErrors) {
  TempDir dir;
  const auto path = dir / "p.kvw";
  writeProject(path);
  const auto healthy = kvwb::test::readFile(path);

  kvwb::test::writeFile(path, healthy.substr(0, healthy.size() / 2));
  EXPECT_TRUE(contains(errorOf([&] { Project::open(path); }), path.string() + ": "));
  std::string bytes = healthy;
  std::memset(bytes.data(), 0, 8);  // the superblock signature
  kvwb::test::writeFile(path, bytes);
  EXPECT_EQ(errorOf([&] { Project::open(path); }),
            path.string() + ": not an HDF5 file (or truncated)");

  bytes = healthy;
  kvwb::test::writeFile(path, bytes);
  bytes[objectAddress(path, "captures/cap/values")] = '\x7f';
  kvwb::test::writeFile(path, bytes);
  EXPECT_EQ(errorOf([&] { Project::open(path); }),
            path.string() + ": dataset '/captures/cap/values' cannot be opened (corrupt header?)");

  kvwb::test::writeFile(path, healthy);
  {
    auto f = h5::openFile(path, true);
    ASSERT_GE(H5Ldelete(f, "captures/cap/keys", H5P_DEFAULT), 0);
    addFloats(f, "captures/cap/keys", {1, 2, hsize_t{1} << 32, 16}, nullptr);
  }
  EXPECT_EQ(errorOf([&] { Project::open(path); }),
            path.string() +
                ": dataset 'captures/cap/keys' declares 549755813888 bytes but the "
                "file stores only 0 (corrupt size or truncated data)");
}

// (f) Links and external storage in a project are refused: they could read any file.
TEST(Project, LinksAndExternalStorageAreRefused) {
  TempDir dir;
  const auto path = dir / "p.kvw";
  writeProject(path);
  const auto healthy = kvwb::test::readFile(path);
  {
    auto f = h5::openFile(path, true);
    ASSERT_GE(H5Ldelete(f, "captures/cap/values", H5P_DEFAULT), 0);
    ASSERT_GE(
        H5Lcreate_external("other.h5", "/v", f, "captures/cap/values", H5P_DEFAULT, H5P_DEFAULT),
        0);
  }
  EXPECT_EQ(errorOf([&] { Project::open(path); }),
            path.string() +
                ": '/captures/cap/values' is an external link; links are refused "
                "(they can lead outside the file)");
  kvwb::test::writeFile(path, healthy);
  kvwb::test::writeFile(dir / "secret.bin", std::string(2 * 4 * 4 * 4, 'x'));
  {
    auto f = h5::openFile(path, true);
    ASSERT_GE(H5Ldelete(f, "captures/cap/values", H5P_DEFAULT), 0);
    h5::Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
    ASSERT_GE(H5Pset_external(dcpl, (dir / "secret.bin").c_str(), 0, 128), 0);
    addFloats(f, "captures/cap/values", {1, 2, 4, 4}, nullptr, dcpl);
  }
  EXPECT_EQ(errorOf([&] { Project::open(path); }),
            path.string() +
                ": dataset '/captures/cap/values' keeps its data in external files; "
                "refused");
}

// (f) Capture names with control characters or invalid UTF-8 are refused, escaped in the message.
TEST(Project, CaptureNamesWithControlCharactersAreRefused) {
  TempDir dir;
  const auto path = dir / "p.kvw";
  writeProject(path);
  auto create = [&](const std::string& name) {
    return errorOf([&] {
      ProjectEdit edit(path);
      CaptureInfo c;
      c.name = name;
      c.layers = c.kvHeads = c.queryHeads = c.tokens = c.headDim = 2;
      edit.createCapture(c);
    });
  };
  EXPECT_EQ(create("a\nb"),
            path.string() + ": capture name 'a\\x0ab' contains a control character");
  EXPECT_EQ(create("esc\x1b[31m"),
            path.string() + ": capture name 'esc\\x1b[31m' contains a control character");
  EXPECT_EQ(create("bad\xff"), path.string() + ": capture name 'bad\\xff' is not valid UTF-8");
  EXPECT_EQ(create("a/b"), path.string() + ": capture name 'a/b' contains '/'");
  EXPECT_EQ(create("Grüße"), "");
  {
    auto f = h5::openFile(path, true);
    h5::Handle g(H5Gcreate2(f, "captures/tab\there", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    ASSERT_TRUE(g.valid());
  }
  EXPECT_EQ(errorOf([&] { Project::open(path); }),
            path.string() +
                ": capture name 'tab\\x09here' contains a control character (the file "
                "is crafted or corrupt)");
}

// (d) A full disk while an edit is saved: a clear error, the previous project intact, no working
// copy left, and a clean process exit (HDF5 once segfaulted at exit after a failed flush).
TEST(Project, FullDiskDuringSaveKeepsThePreviousProject) {
  TempDir dir;
  const auto path = dir / "p.kvw";
  writeProject(path);
  const auto before = kvwb::test::readFile(path);
  EXPECT_EXIT(saveWithFullDisk(path, true), ::testing::ExitedWithCode(0),
              "cannot open the working copy .* No space left on device");
  EXPECT_EXIT(saveWithFullDisk(path, false), ::testing::ExitedWithCode(0),
              "cannot .* No space left on device");
  EXPECT_EQ(kvwb::test::readFile(path), before) << "the previous project is intact";
  EXPECT_EQ(Project::open(path).captures().size(), 1u);
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    EXPECT_FALSE(contains(e.path().filename().string(), ".tmp-")) << e.path();
}

// A flipped byte in stored data: the chunk's Fletcher32 checksum catches it on read, the error
// names the project and the dataset, and the other chunks still read.
TEST(Project, FlippedDataByteFailsTheChunkChecksum) {
  TempDir dir;
  const auto path = dir / "p.kvw";
  writeFullProject(path);
  const auto healthy = kvwb::test::readFile(path);
  const auto flipIn = [&](const std::string& dataset, std::vector<hsize_t> coord) {
    kvwb::test::writeFile(path, healthy);
    auto bytes = healthy;
    bytes[chunkAddress(path, dataset, coord) + 5] ^= 0x10;
    kvwb::test::writeFile(path, bytes);
    return path.string() + ": dataset '/" + dataset + "': checksum mismatch: stored data damaged";
  };
  auto expected = flipIn("captures/cap/keys", {0, 1, 0, 0});
  const auto p = Project::open(path);
  EXPECT_EQ(errorOf([&] { p.readTarget("cap", TensorKind::Keys, 0, 1); }), expected);
  EXPECT_EQ(p.readTarget("cap", TensorKind::Keys, 0, 0).at(3, 3), 0.5f);
  expected = flipIn("runs/r/results", {0});
  EXPECT_EQ(errorOf([&] { Project::open(path).results("r"); }), expected);
  EXPECT_EQ(Project::open(path).runs().at(0).resultCount, 2) << "counting reads no rows";
  expected = flipIn("analysis/cap/spearman", {0, 0, 0});
  EXPECT_EQ(errorOf([&] { Project::open(path).readArray(analysisGroup("cap"), "spearman"); }), expected);
  expected = flipIn("captures/cap/token_ids", {0});
  EXPECT_EQ(errorOf([&] { Project::open(path).tokenIds("cap"); }), expected);
  // The chunk index (the 1.8 format's B-tree has no checksum): the key before the token ids' chunk
  // address (size, filter mask, offsets) names another chunk. HDF5 alone would read zeros.
  const auto address = chunkAddress(path, "captures/cap/token_ids", {0});
  auto bytes = healthy;
  const auto at = bytes.find(std::string(reinterpret_cast<const char*>(&address), 8));
  ASSERT_NE(at, std::string::npos);
  bytes[at - 16] ^= 0x10;  // the chunk's offset
  kvwb::test::writeFile(path, bytes);
  EXPECT_EQ(errorOf([&] { Project::open(path).tokenIds("cap"); }),
            path.string() + ": dataset '/captures/cap/token_ids': the chunk at [0] is missing " +
                "(damaged chunk index)");
}

namespace {

// `healthy` with bit (offset % 8) of byte `offset` flipped, written to `dir` and read whole: ""
// when it reads or fails with an InputError, else the other exception's message or the verdict
// that libhdf5 crashed or hung. A new file each: one HDF5 failed to close stays open inside it.
std::string readFlipped(const std::string& healthy, std::size_t offset,
                        const std::filesystem::path& dir) {
  auto bytes = healthy;
  bytes[offset] = static_cast<char>(bytes[offset] ^ (1 << (offset % 8)));
  const auto path = dir / ("flip-" + std::to_string(offset) + ".kvw");
  kvwb::test::writeFile(path, bytes);
  std::string problem;
  try {
    readEverything(path);
  } catch (const InputError& e) {
    if (contains(e.what(), "damaged: the HDF5 library")) problem = e.what();
  } catch (const std::exception& e) {
    problem = e.what();
  }
  std::filesystem::remove(path);
  return problem;
}

// Calls `work(i)` for each i in [first, last) in forked children of `batch` items, as many at once
// as there are cores (at most 4); SIGALRM ends a child that runs longer than `seconds`. Returns the
// wait status of each batch by its first item.
std::map<std::size_t, int> inChildren(std::size_t first, std::size_t last, std::size_t batch,
                                      unsigned seconds,
                                      const std::function<void(std::size_t)>& work) {
  const std::size_t parallel = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
  std::map<pid_t, std::size_t> running;
  std::map<std::size_t, int> status;
  const auto reap = [&] {
    int s = 0;
    const pid_t pid = ::wait(&s);
    status[running.at(pid)] = s;
    running.erase(pid);
  };
  for (std::size_t begin = first; begin < last; begin += batch) {
    if (running.size() == parallel) reap();
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::alarm(seconds);
      for (std::size_t i = begin; i < std::min(last, begin + batch); ++i) work(i);
      ::_exit(0);
    }
    running[pid] = begin;
  }
  while (!running.empty()) reap();
  return status;
}

}  // namespace

// One bit flipped in every 9th byte of a new project (bit offset % 8: 5,810 variants of 52,288
// bytes), all read in-process (KVWB_H5CHECK=off): no variant may crash or hang, every failure is an
// InputError. Batches of variants run in forked children (a crash is a signal exit); a batch that
// dies is rerun one variant per child to name the byte. Before strings were fixed-length, 96 of
// 26,800 variants crashed or hung HDF5's global heap reader; every byte (52,288 variants) gave
// none, so 1 in 32, checked by kvwb-h5check first, must pass its walk too. ~8 s on 2 cores.
TEST(Project, BitFlipsAcrossAProjectAreErrorsNeverCrashes) {
  TempDir dir;
  writeFullProject(dir / "p.kvw");
  const auto healthy = kvwb::test::readFile(dir / "p.kvw");
  ASSERT_NO_THROW(readEverything(dir / "p.kvw"));
  const auto report = dir / "report.txt";
  constexpr std::size_t kStride = 9, kBatch = 64;
  const auto readVariant = [&](std::size_t i) {  // variant i flips byte i * kStride
    ::setenv("KVWB_H5CHECK", i % 32 == 0 ? "" : "off", 1);  // in a child: "" runs the check
    const auto problem = readFlipped(healthy, i * kStride, dir.path());
    if (!problem.empty())
      std::ofstream(report, std::ios::app) << "byte " << i * kStride << ": " << problem << "\n";
  };
  const std::size_t variants = (healthy.size() + kStride - 1) / kStride;
  std::string deaths;  // by signal name; "Alarm clock" is a hang
  for (const auto& [begin, status] : inChildren(0, variants, kBatch, 120, readVariant)) {
    if (status == 0) continue;
    const auto end = std::min(variants, begin + kBatch);
    for (const auto& [i, one] : inChildren(begin, end, 1, 20, readVariant))
      if (one != 0)
        deaths += "byte " + std::to_string(i * kStride) + " bit " +
                  std::to_string(i * kStride % 8) + ": " +
                  (WIFSIGNALED(one) ? strsignal(WTERMSIG(one)) : "exit status") + "\n";
  }
  EXPECT_EQ(deaths, "");
  EXPECT_FALSE(std::filesystem::exists(report)) << kvwb::test::readFile(report);
}
