// make_test_project [--analyze] PROJECT [DUMP...]: imports each DUMP (file or folder) into PROJECT
// as its own capture; with no DUMP, a synthetic one written next to PROJECT. --analyze then stores
// every capture's structure atlas. For the screenshot check and docs.
#include <cstdio>
#include <cstring>
#include <exception>

#include "test_fixture.h"

int main(int argc, char** argv) {
  const bool analyze = argc > 1 && std::strcmp(argv[1], "--analyze") == 0;
  const int first = analyze ? 2 : 1;
  if (argc <= first) {
    std::fprintf(stderr, "usage: make_test_project [--analyze] PROJECT [DUMP...]\n");
    return 2;
  }
  const std::filesystem::path project = argv[first];
  try {
    if (argc == first + 1) {
      const auto dump = std::filesystem::path(project).replace_extension(".safetensors");
      kvwb::widgets::test::writeSyntheticDump(dump, 2, 4, 64, 8);
      kvwb::widgets::test::importInto(project, dump);
    }
    for (int i = first + 1; i < argc; ++i) kvwb::widgets::test::importInto(project, argv[i]);
    if (analyze) kvwb::widgets::test::analyzeAll(project);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_test_project: %s\n", e.what());
    return 1;
  }
  return 0;
}
