// Fuzz target: an HDF5 dump (openHdf5Dump: link walk, object headers, dataset types, shapes and
// storage checks), then every dataset read. libhdf5 itself is not instrumented; a crash inside it
// still surfaces (SEGV), with the core frame that called it on the stack.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/formats/h5.h"
#include "core/formats/tensor_file.h"
#include "fuzz/fuzz_common.h"
#include "fuzz/tensor_checks.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) { return kvwb::fuzz::setUpHdf5Fuzzing(); }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kvwb;
  const auto path = fuzz::writeInput("input.h5", data, size);
  fuzz::expectInputErrors([&] { fuzz::readAllTensors(*core::openHdf5Dump(path)); });
  return 0;
}
