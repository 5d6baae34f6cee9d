// Child processes (see subprocess.h): posix_spawnp with redirected output, poll(2) on two pipes,
// waitpid on the child's own pid (polled with WNOHANG where a deadline applies).
#include "core/base/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace kvwb::core {
namespace {

// argv as posix_spawn wants it; the strings stay owned by `args`.
std::vector<char*> cArgs(const std::vector<std::string>& args) {
  std::vector<char*> out;
  for (const auto& a : args) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

using Clock = std::chrono::steady_clock;

constexpr int kUnknownStatus = -1;  // waitpid failed: something else in this process reaped it

int exitCodeOf(int status) {
  return status == kUnknownStatus ? -1
         : WIFEXITED(status)      ? WEXITSTATUS(status)
         : WIFSIGNALED(status)    ? 128 + WTERMSIG(status)
                                  : -1;
}

// The wait status of `pid` once it has ended (kUnknownStatus when it cannot be waited for), or
// nullopt when it still runs at `deadline` (polled every 2 ms until then).
std::optional<int> waitUntil(pid_t pid, std::optional<Clock::time_point> deadline) {
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, deadline ? WNOHANG : 0);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return kUnknownStatus;
    if (r == 0) {
      if (Clock::now() >= *deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
}

int waitFor(pid_t pid) { return exitCodeOf(*waitUntil(pid, std::nullopt)); }

struct FileActions {
  posix_spawn_file_actions_t actions;
  FileActions() { posix_spawn_file_actions_init(&actions); }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions); }
};

}  // namespace

ProcessOutput runProcess(const std::vector<std::string>& argv,
                         std::optional<std::chrono::milliseconds> timeout) {
  ProcessOutput result;
  int outPipe[2] = {-1, -1}, errPipe[2] = {-1, -1};
  if (::pipe2(outPipe, O_CLOEXEC) != 0 || ::pipe2(errPipe, O_CLOEXEC) != 0) {
    result.err = std::string("cannot create a pipe: ") + std::strerror(errno);
    for (int fd : {outPipe[0], outPipe[1], errPipe[0], errPipe[1]})
      if (fd >= 0) ::close(fd);
    return result;
  }
  FileActions fa;
  posix_spawn_file_actions_addopen(&fa.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa.actions, outPipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa.actions, errPipe[1], 2);
  auto args = cArgs(argv);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &fa.actions, nullptr, args.data(), environ);
  ::close(outPipe[1]);
  ::close(errPipe[1]);
  if (rc != 0) {
    ::close(outPipe[0]);
    ::close(errPipe[0]);
    result.err =
        argv[0] + ": " + (rc == ENOENT ? std::string("command not found") : std::strerror(rc));
    return result;
  }
  result.started = true;
  std::optional<Clock::time_point> deadline;
  if (timeout) deadline = Clock::now() + *timeout;
  const auto msLeft = [&] {  // poll(2)'s timeout: -1 without a deadline
    if (!deadline) return -1;
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
    return static_cast<int>(std::max<std::int64_t>(0, left.count()));
  };
  pollfd fds[2] = {{outPipe[0], POLLIN, 0}, {errPipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open = 2;
  char buf[4096];
  while (open > 0) {
    const int wait = msLeft();
    if (wait == 0) break;  // past the deadline
    const int ready = ::poll(fds, 2, wait);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const auto n = ::read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
        continue;
      }
      ::close(fds[i].fd);
      fds[i].fd = -1;
      --open;
    }
  }
  for (const auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  auto status = waitUntil(pid, deadline);  // a child that closed its output may still run
  if (!status) {
    ::kill(pid, SIGKILL);
    result.timedOut = true;
    status = waitUntil(pid, std::nullopt);
  }
  result.exitCode = exitCodeOf(*status);
  if (*status != kUnknownStatus && WIFSIGNALED(*status)) result.signal = WTERMSIG(*status);
  return result;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::vector<std::string>& env, const std::filesystem::path& log) {
  std::vector<std::string> environment;
  for (char** e = environ; *e; ++e) environment.emplace_back(*e);
  for (const auto& add : env) {  // replaces an inherited NAME=
    const auto name = add.substr(0, add.find('=') + 1);
    std::erase_if(environment, [&](const std::string& e) { return e.rfind(name, 0) == 0; });
    environment.push_back(add);
  }
  FileActions fa;
  posix_spawn_file_actions_addopen(&fa.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa.actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&fa.actions, 1, 2);
  auto args = cArgs(argv);
  auto envp = cArgs(environment);
  const int rc = posix_spawnp(&m_pid, args[0], &fa.actions, nullptr, args.data(), envp.data());
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
}

ChildProcess::~ChildProcess() {
  if (m_exit) return;
  signal(SIGTERM);
  wait();
}

std::optional<int> ChildProcess::poll() {
  if (m_exit) return m_exit;
  int status = 0;
  const pid_t r = ::waitpid(m_pid, &status, WNOHANG);
  if (r == m_pid) m_exit = exitCodeOf(status);
  return m_exit;
}

int ChildProcess::wait() {
  if (!m_exit) m_exit = waitFor(m_pid);
  return *m_exit;
}

void ChildProcess::signal(int sig) {
  if (!m_exit) ::kill(m_pid, sig);
}

}  // namespace kvwb::core
