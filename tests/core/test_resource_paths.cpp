// The one resource rule of the CLI and the GUI: the build's source tree first, then the install
// layouts beside the executable; sweep specs are files or preset names.
#include <gtest/gtest.h>

#include "core/base/errors.h"
#include "core/base/resource_paths.h"
#include "test_util.h"

using namespace kvwb::core;
using kvwb::test::TempDir;

TEST(ResourcePaths, SourceTreeFirst) {
  EXPECT_EQ(resourceDirectory("resources/presets", {}),
            kvwb::test::sourceDir() / "resources/presets");
  EXPECT_EQ(resourceDirectory("datasets", executableDirectory()),
            kvwb::test::sourceDir() / "datasets");
  EXPECT_TRUE(resourceDirectory("resources/no-such-folder", executableDirectory()).empty());
}

TEST(ResourcePaths, InstallLayoutsBesideTheExecutable) {
  TempDir prefix;
  std::filesystem::create_directories(prefix / "bin");
  std::filesystem::create_directories(prefix / "share/kvwb/kvwb-test-presets");
  EXPECT_EQ(resourceDirectory("resources/kvwb-test-presets", prefix / "bin"),
            prefix / "share/kvwb/kvwb-test-presets");
  std::filesystem::create_directories(prefix / "bin/kvwb-test-presets");  // beside it wins
  EXPECT_EQ(resourceDirectory("resources/kvwb-test-presets", prefix / "bin"),
            prefix / "bin/kvwb-test-presets");
}

TEST(ResourcePaths, ExecutableDirectoryHoldsThisTest) {
  const auto dir = executableDirectory();
  ASSERT_FALSE(dir.empty());
  EXPECT_TRUE(std::filesystem::is_directory(dir));
}

TEST(ResourcePaths, SweepSpecIsAFileOrAPreset) {
  EXPECT_EQ(findSweepSpec("demo", {}), kvwb::test::sourceDir() / "resources/presets/demo.json");
  TempDir dir;
  kvwb::test::writeFile(dir / "mine.json", "{}");
  EXPECT_EQ(findSweepSpec((dir / "mine.json").string(), {}), dir / "mine.json");
  try {
    findSweepSpec("no-such-preset", {});
    FAIL() << "an unknown preset must be refused";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-preset"), std::string::npos) << e.what();
  }
}
