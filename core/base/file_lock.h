// An exclusive advisory lock (flock) on a lock file, held for the object's life: the project's
// write lock, and the lock a sweep holds on the file it commits to. Released by the kernel when
// the process dies, so a killed writer never leaves a stale lock. Plain POSIX, any thread (each
// FileLock opens its own descriptor, so two in one process exclude each other too).
#pragma once

#include <filesystem>
#include <optional>

namespace kvwb::core {

class FileLock {
 public:
  // Waits for the lock on `path` (created when absent); throws InputError naming it when it
  // cannot be created.
  explicit FileLock(const std::filesystem::path& path);
  // The lock when nobody holds it, else nullopt at once.
  static std::optional<FileLock> tryLock(const std::filesystem::path& path);
  ~FileLock();
  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  explicit FileLock(int fd) : m_fd(fd) {}
  int m_fd = -1;
};

}  // namespace kvwb::core
