// Child processes for running sweeps across processes (POSIX): run a program to its end and collect
// its output (sbatch, sacct, scontrol), or start one writing to a log file and follow it (the shard
// processes of `kvwb-cli sweep --local-shards`). Call from one thread.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kvwb::core {

struct ProcessOutput {
  bool started = false;  // false: the program could not be started (`err` says why, e.g. not found)
  int exitCode = -1;     // 128 + signal when killed by one
  std::string out, err;
};

// Runs argv (argv[0] looked up on PATH, stdin from /dev/null) to its end.
ProcessOutput runProcess(const std::vector<std::string>& argv);

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
