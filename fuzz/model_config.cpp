// Fuzz target: a model folder's config.json (parseModelConfig, then validateModelConfig and the
// derived sizes the runner uses).
#include <cstddef>
#include <cstdint>

#include "core/model/model_config.h"
#include "fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kvwb;
  const auto path = fuzz::writeInput("config.json", data, size);
  fuzz::expectInputErrors([&] {
    const auto config = core::parseModelConfig(path);
    core::validateModelConfig(config, path);
    (void)config.queriesPerKvHead();
  });
  return 0;
}
