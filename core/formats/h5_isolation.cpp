// The isolation check (see h5_isolation.h): helper lookup, a process-wide set of file versions that
// passed (one mutex), and the helper's outcome turned into an InputError.
#include "core/formats/h5_isolation.h"

#include <string.h>  // sigabbrev_np
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/base/errors.h"
#include "core/base/subprocess.h"

namespace kvwb::core::h5 {
namespace {

constexpr const char* kHelperName = "kvwb-h5check";
constexpr int kCleanErrors = 3;  // kvwb-h5check's exit status when HDF5 reported errors cleanly

// One version of a file: device, inode, size, modification and change times (ns). Rewriting or
// replacing the file changes at least one of them.
using FileVersion = std::tuple<dev_t, ino_t, off_t, std::int64_t, std::int64_t>;

std::mutex g_mutex;
std::set<FileVersion> g_passed;  // guarded by g_mutex
std::atomic<std::size_t> g_runs{0};

std::int64_t nanoseconds(const timespec& t) {
  return std::int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

void warnOnce(const std::string& why) {
  static std::once_flag once;
  std::call_once(once, [&] {
    std::fprintf(stderr,
                 "kvwb: warning: %s; HDF5 files are opened without the check in a separate "
                 "process, so a damaged one can crash this program\n",
                 why.c_str());
  });
}

// kvwb-h5check beside the running program, in ../libexec/kvwb/ or in the build tree; empty when
// none is there.
const std::filesystem::path& installedHelper() {
  static const std::filesystem::path found = [] {
    std::vector<std::filesystem::path> candidates;
    std::error_code ec;
    const auto dir = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path();
    if (!ec) {
      candidates.push_back(dir / kHelperName);
      candidates.push_back(dir / "../libexec/kvwb" / kHelperName);
    }
#ifdef KVWB_H5CHECK_BUILD_PATH
    candidates.emplace_back(KVWB_H5CHECK_BUILD_PATH);
#endif
    for (const auto& c : candidates)
      if (::access(c.c_str(), X_OK) == 0) return c.lexically_normal();
    return std::filesystem::path();
  }();
  return found;
}

// The helper to run; empty when the check is off or there is no helper (warned once).
std::filesystem::path helper() {
  if (const char* env = std::getenv("KVWB_H5CHECK"); env && *env) {
    if (std::string_view(env) == "off") return {};
    if (::access(env, X_OK) == 0) return env;
    warnOnce(std::string("KVWB_H5CHECK=") + env + " is not an executable program");
    return {};
  }
  const auto& found = installedHelper();
  if (found.empty())
    warnOnce(std::string(kHelperName) +
             " was not found beside this program, in ../libexec/kvwb/ or in the build tree (set "
             "KVWB_H5CHECK to its path)");
  return found;
}

double timeoutSeconds() {
  if (const char* env = std::getenv("KVWB_H5CHECK_TIMEOUT")) {
    char* end = nullptr;
    const double seconds = std::strtod(env, &end);
    if (end != env && *end == '\0' && seconds > 0 && seconds < 1e6) return seconds;
  }
  return kDefaultCheckSeconds;
}

std::string signalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

std::string lastLine(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text.substr(text.find_last_of('\n') + 1);
}

}  // namespace

void requireSafeToOpen(const std::filesystem::path& file) {
  const auto program = helper();
  struct stat st;
  if (program.empty() || ::stat(file.c_str(), &st) != 0) return;
  const FileVersion version{st.st_dev, st.st_ino, st.st_size, nanoseconds(st.st_mtim),
                            nanoseconds(st.st_ctim)};
  {
    std::lock_guard lock(g_mutex);
    if (g_passed.count(version)) return;
  }
  const double limit = timeoutSeconds();
  std::error_code ec;
  auto absolute = std::filesystem::absolute(file, ec);
  if (ec) absolute = file;
  ++g_runs;
  const auto run = runProcess({program.string(), absolute.string()},
                              std::chrono::milliseconds(static_cast<std::int64_t>(limit * 1000)));
  if (!run.started || (run.exitCode < 0 && !run.timedOut)) {  // < 0: reaped elsewhere
    warnOnce(run.started ? "cannot learn how " + program.string() + " ended (SIGCHLD ignored?)"
                         : "cannot start " + run.err);
    return;
  }
  const std::string advice = ", checked in a separate process; restore it from a backup";
  if (run.timedOut) {
    std::ostringstream seconds;
    seconds << limit;
    throw InputError(file, "damaged: the HDF5 library did not finish reading its metadata in " +
                               seconds.str() + " s (KVWB_H5CHECK_TIMEOUT sets the limit)" + advice);
  }
  if (run.signal != 0)
    throw InputError(file, "damaged: the HDF5 library crashed (" + signalName(run.signal) +
                               ") reading its metadata" + advice);
  if (run.exitCode != 0 && run.exitCode != kCleanErrors)
    throw InputError(file, "damaged: the HDF5 library failed reading its metadata (" +
                               std::string(kHelperName) + " exit status " +
                               std::to_string(run.exitCode) + ": " + lastLine(run.err) + ")" +
                               advice);
  std::lock_guard lock(g_mutex);
  g_passed.insert(version);
}

std::size_t metadataChecksRun() { return g_runs; }

}  // namespace kvwb::core::h5
