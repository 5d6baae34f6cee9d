// Shared helpers of the libFuzzer targets: a per-process temporary file for readers that take a
// path, and the rule for exceptions (documented InputError is expected; anything else escapes to
// std::terminate, which libFuzzer reports as a crash). Single-threaded, like libFuzzer itself.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "core/base/errors.h"

#include "core/formats/h5.h"

namespace kvwb::fuzz {

// A folder of this process's own (tmpfs when there is one), removed at exit.
inline const std::filesystem::path& scratchDir() {
  static const std::filesystem::path dir = [] {
    std::filesystem::path base = std::filesystem::temp_directory_path();
    if (const char* t = std::getenv("KVWB_FUZZ_TMP")) base = t;
    else if (std::filesystem::is_directory("/dev/shm")) base = "/dev/shm";
    auto d = base / ("kvwb-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratchDir(), ec);
    });
    return d;
  }();
  return dir;
}

// Writes the input to `name` in the scratch folder (replacing it) and returns its path.
inline std::filesystem::path writeInput(const std::string& name, const std::uint8_t* data,
                                        std::size_t size) {
  auto path = scratchDir() / name;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) std::abort();  // the harness itself failed: not a finding
  for (std::size_t done = 0; done < size;) {
    const auto w = ::write(fd, data + done, size - done);
    if (w <= 0) std::abort();
    done += static_cast<std::size_t>(w);
  }
  ::close(fd);
  return path;
}

// LLVMFuzzerInitialize of the HDF5 targets: libhdf5's error printing silenced, and its isolation
// check (core/formats/h5_isolation.h) off, so that the in-process readers are what is fuzzed.
inline int setUpHdf5Fuzzing() {
  core::h5::silenceErrorPrinting();
  ::setenv("KVWB_H5CHECK", "off", 1);
  return 0;
}

inline void removeFile(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
}

// Runs `body`; the library's documented error for bad input (core::InputError) is an expected
// outcome. Every other exception type propagates out of LLVMFuzzerTestOneInput and aborts.
template <typename F>
void expectInputErrors(F&& body) {
  try {
    body();
  } catch (const kvwb::core::InputError&) {
  }
}

// An invariant the library promises was broken: abort with a message (reported as a crash).
[[noreturn]] inline void broken(const std::string& what) {
  std::fprintf(stderr, "kvwb-fuzz: invariant broken: %s\n", what.c_str());
  std::abort();
}

}  // namespace kvwb::fuzz
