// FileLock: open + flock (see file_lock.h).
#include "core/base/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/base/errors.h"

namespace kvwb::core {

namespace {

// The lock file's descriptor holding the lock, or -1 when `wait` is false and someone holds it.
int openLocked(const std::filesystem::path& path, bool wait) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw InputError(path, std::string("cannot create lock: ") + std::strerror(errno));
  int rc;
  while ((rc = ::flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB))) != 0 && errno == EINTR) {
  }
  if (rc == 0) return fd;
  ::close(fd);
  return -1;
}

}  // namespace

FileLock::FileLock(const std::filesystem::path& path) : m_fd(openLocked(path, true)) {}

std::optional<FileLock> FileLock::tryLock(const std::filesystem::path& path) {
  const int fd = openLocked(path, false);
  if (fd < 0) return std::nullopt;
  return FileLock(fd);
}

FileLock::~FileLock() {
  if (m_fd >= 0) ::close(m_fd);  // closing releases the flock
}

FileLock::FileLock(FileLock&& other) noexcept : m_fd(other.m_fd) { other.m_fd = -1; }

}  // namespace kvwb::core
