// kvwb-h5check FILE: walks the metadata of an HDF5 file (core/formats/h5_walk.h) in a process of
// its own, so that a crash or hang of libhdf5 on a damaged file ends this process only
// (core/formats/h5_isolation.h runs it). Exit 0: the walk succeeded; 3: HDF5 reported errors
// cleanly (one line on stderr); 2: usage. Any other status, or a signal, means the library
// misbehaved. Prints a one-line summary on stdout.
#include <malloc.h>
#include <sys/resource.h>

#include <cstdio>
#include <exception>

#include "core/formats/h5_walk.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: kvwb-h5check FILE (checks that HDF5 reads its metadata)\n");
    return 2;
  }
  const rlimit noCore{0, 0};
  setrlimit(RLIMIT_CORE, &noCore);  // a crash here is an expected verdict, not worth a core dump
  // Fresh heap memory is mostly zeros, on which libhdf5's reads of memory it never initialised
  // (on damaged files) can pass here and crash the workbench. glibc fills every allocation with
  // 0xbe and freed memory with 0x41, as AddressSanitizer does, so that such reads crash here.
  mallopt(M_PERTURB, 0x41);
  try {
    const auto s = kvwb::core::h5::walkMetadata(argv[1]);
    if (s.problems > 0) {
      std::fprintf(stderr, "kvwb-h5check: %s: %zu error(s) reading its metadata, the first: %s\n",
                   argv[1], s.problems, s.firstProblem.c_str());
      return 3;
    }
    std::printf("%s: %zu objects, %zu attributes, %zu chunks, %zu variable-length values read\n",
                argv[1], s.objects, s.attributes, s.chunks, s.variableLengthElements);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kvwb-h5check: %s: %s\n", argv[1], e.what());
    return 4;
  }
}
