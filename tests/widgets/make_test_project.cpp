// make_test_project PROJECT [DUMP...]: imports each DUMP (file or folder) into PROJECT as its own
// capture; with no DUMP, a synthetic one written next to PROJECT. For the screenshot check and
// docs.
#include <cstdio>
#include <exception>

#include "test_fixture.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: make_test_project PROJECT [DUMP...]\n");
    return 2;
  }
  const std::filesystem::path project = argv[1];
  try {
    if (argc == 2) {
      const auto dump = std::filesystem::path(project).replace_extension(".safetensors");
      kvwb::widgets::test::writeSyntheticDump(dump, 2, 4, 64, 8);
      kvwb::widgets::test::importInto(project, dump);
    }
    for (int i = 2; i < argc; ++i) kvwb::widgets::test::importInto(project, argv[i]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_test_project: %s\n", e.what());
    return 1;
  }
  return 0;
}
