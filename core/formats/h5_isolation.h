// Isolation from libhdf5's own crashes and hangs on damaged files (issue 14): before the workbench
// opens an HDF5 file in-process (h5::openFile: projects, HDF5 dumps), the helper program
// kvwb-h5check walks its metadata (h5_walk.h) in a separate process started with posix_spawn (never
// fork: another thread may hold HDF5's global lock). Any thread.
//
// The helper is $KVWB_H5CHECK (a path; the value "off" turns the check off, as the fuzz targets
// do), else kvwb-h5check beside the running program, else in ../libexec/kvwb/ relative to it, else
// the one of the build tree this library was built in. When there is none, files are opened
// in-process unchecked, with one warning on stderr per process.
#pragma once

#include <cstddef>
#include <filesystem>

namespace kvwb::core::h5 {

// Seconds the helper may take unless $KVWB_H5CHECK_TIMEOUT (seconds, > 0) says otherwise.
inline constexpr double kDefaultCheckSeconds = 20;

// Runs the helper on `file` unless this version of it (device, inode, size, modification and
// change times) passed already in this process: then it costs one stat. Throws InputError naming
// `file` when libhdf5 crashed ("damaged: the HDF5 library crashed (SIGSEGV) reading its metadata,
// checked in a separate process; restore it from a backup"), did not finish in time or failed
// otherwise. Returns when the walk succeeded or HDF5 reported errors cleanly (the in-process open
// then reports its own precise error), and when the file does not exist.
void requireSafeToOpen(const std::filesystem::path& file);

// How many times this process has run the helper (tests: a repeated open must not run it again).
std::size_t metadataChecksRun();

}  // namespace kvwb::core::h5
