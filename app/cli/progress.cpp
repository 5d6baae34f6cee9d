// Terminal progress bar and SIGINT-driven cancellation.
#include "app/cli/progress.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>

namespace kvwb::cli {
namespace {
std::atomic<bool> g_interrupted{false};
void onSigint(int) { g_interrupted = true; }
using Handler = void (*)(int);
Handler g_previous = SIG_DFL;
}  // namespace

TerminalProgress::TerminalProgress(std::string title)
    : m_title(std::move(title)), m_tty(::isatty(STDERR_FILENO) == 1) {
  g_interrupted = false;
  g_previous = std::signal(SIGINT, onSigint);
}

TerminalProgress::~TerminalProgress() {
  std::signal(SIGINT, g_previous);
  if (m_tty) std::fputc('\n', stderr);
}

bool TerminalProgress::cancelled() const { return g_interrupted.load(); }

void TerminalProgress::onProgress(double fraction, const std::string& what) {
  const int pct = static_cast<int>(fraction * 100.0 + 0.5);
  if (m_tty) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth + 0.5);
    std::fprintf(stderr, "\r%s [%.*s%*s] %3d%% %-40.40s", m_title.c_str(), filled,
                 "##############################", kWidth - filled, "", pct, what.c_str());
  } else if (pct / 10 != m_lastDecile) {
    m_lastDecile = pct / 10;
    std::fprintf(stderr, "%s %3d%% %s\n", m_title.c_str(), pct, what.c_str());
  }
  std::fflush(stderr);
}

}  // namespace kvwb::cli
