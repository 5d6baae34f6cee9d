// Child processes (POSIX): run a program to its end, or until a timeout, and collect its output
// (sbatch, sacct, scontrol, the HDF5 check helper kvwb-h5check), or start one writing to a log
// file and follow it (the shard processes of `kvwb-cli sweep --local-shards`). runProcess may be
// called from several threads at once; a ChildProcess is used from one thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kvwb::core {

struct ProcessOutput {
  bool started = false;  // false: the program could not be started (`err` says why, e.g. not found)
  bool timedOut = false;  // it ran past the timeout: it was killed (SIGKILL) and reaped
  int exitCode = -1;      // 128 + signal when killed by one; -1 when its status is unknown
  int signal = 0;         // the signal that ended it, 0 when it exited
  std::string out, err;
};

// Runs argv (argv[0] looked up on PATH, stdin from /dev/null) to its end, or until `timeout` has
// passed. Waits for its own child only (never for another thread's), and its pipes are
// close-on-exec, so no other child started meanwhile holds them open.
ProcessOutput runProcess(const std::vector<std::string>& argv,
                         std::optional<std::chrono::milliseconds> timeout = std::nullopt);

class ChildProcess {
 public:
  // Starts argv (argv[0] looked up on PATH) with `env` ("NAME=VALUE") added to this process's
  // environment, stdin from /dev/null, stdout and stderr appended to `log`. Throws
  // std::runtime_error when it cannot start.
  ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env,
               const std::filesystem::path& log);
  ~ChildProcess();  // a child still running is sent SIGTERM and reaped
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  std::optional<int> poll();  // its exit code once it has ended (128 + signal when killed)
  int wait();
  void signal(int sig);  // no-op once it has ended

 private:
  pid_t m_pid = -1;
  std::optional<int> m_exit;
};

}  // namespace kvwb::core
