// The metadata walk of kvwb-h5check (issue 14): it reads an HDF5 file the way the workbench's
// readers do, so that, run in a separate process, it tells a file on which libhdf5 crashes or hangs
// from one it reads or refuses cleanly (h5_isolation.h). Any thread; opens the file itself,
// read-only and without the isolation check.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace kvwb::core::h5 {

// What a walk touched, and the errors HDF5 reported cleanly on the way. The walk goes on past each
// error: one early in the file must not hide an object further on that crashes the library, since
// a clean error lets the workbench go on to open the file in-process.
struct WalkSummary {
  std::size_t objects = 0, attributes = 0, chunks = 0, variableLengthElements = 0;
  std::size_t problems = 0;
  std::string firstProblem;  // the first error, as InputError::problem() words it
};

// Bounds that keep a walk linear in the size of the metadata:
// - per chunked dataset, the chunk index is walked whole once (H5Dget_num_chunks) and the first
//   kWalkChunksByIndex chunks are also looked up by index and by offset (H5Dget_chunk_info costs
//   O(index) in HDF5 1.10, so looking every chunk up by index would be quadratic);
// - per dataset of a variable-length type, at most its first kWalkVariableLengthElements elements
//   are read (whole leading-dimension rows);
// - groups nest at most kWalkMaxDepth deep (deeper ones are reported, not walked);
// - attribute values above kMaxStringAttrBytes (h5.h) are not read.
inline constexpr std::size_t kWalkChunksByIndex = 16;
inline constexpr std::size_t kWalkVariableLengthElements = std::size_t{1} << 16;
inline constexpr int kWalkMaxDepth = 64;

// Opens `file` read-only and touches every object reachable through hard links (each once): the
// link indexes of each group (by name, and by creation order where it is tracked), object headers,
// every attribute read with a memory type (strings through readStringAttr), every dataset's type,
// space, creation properties and storage size (openDataset, checkedDatasetBytes), the chunk index
// of chunked datasets, and the contents of variable-length ones. Soft and external links are not
// followed. HDF5 errors are counted in the summary; nothing is thrown for them.
WalkSummary walkMetadata(const std::filesystem::path& file);

}  // namespace kvwb::core::h5
