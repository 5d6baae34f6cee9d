// Fuzz target: a .kvw project file (Project::open: format attributes, capture listing and
// metadata), then what the CLI's info/export verbs read: every run and its results, the first
// target of every tensor kind of each capture, token ids and the analysis arrays. No journal.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/formats/h5.h"
#include "core/project/project.h"
#include "core/project/run_journal.h"
#include "fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) { return kvwb::fuzz::setUpHdf5Fuzzing(); }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kvwb;
  const auto path = fuzz::writeInput("input.kvw", data, size);
  fuzz::removeFile(core::journalPath(path));
  fuzz::expectInputErrors([&] {
    const auto project = core::Project::open(path);
    for (const auto& run : project.runs()) (void)project.results(run.id);
    for (const auto& c : project.captures()) {
      for (auto kind : {core::TensorKind::Keys, core::TensorKind::Values, core::TensorKind::Queries,
                        core::TensorKind::KeysPreRope}) {
        fuzz::expectInputErrors([&] {
          const auto m = project.readTarget(c.name, kind, 0, 0);
          if (m.data.size() != static_cast<std::size_t>(m.rows * m.cols))
            fuzz::broken("readTarget returned a matrix whose data does not match rows x cols");
        });
      }
      fuzz::expectInputErrors([&] { (void)project.tokenIds(c.name); });
      fuzz::expectInputErrors([&] {
        (void)project.arrayGroupAttrs(core::analysisGroup(c.name));
        for (const auto& a : project.arrayGroupNames(core::analysisGroup(c.name)))
          (void)project.readArray(core::analysisGroup(c.name), a);
      });
    }
  });
  return 0;
}
