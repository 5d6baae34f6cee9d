// Progress and cancellation for long core work, free of Qt (STYLE.md "Jobs"). Core loops call
// checkCancelled() once per step and report() as often as they like: report() forwards at most
// every 100 ms (and always the final 1.0). Implementations decide the thread rule of onProgress.
#pragma once

#include <chrono>
#include <string>

#include "core/base/errors.h"

namespace kvwb::core {

class JobContext {
 public:
  virtual ~JobContext() = default;
  virtual bool cancelled() const { return false; }
  void checkCancelled() const {
    if (cancelled()) throw Cancelled();
  }
  // fraction in [0, 1]; `what` says what is being done ("layer 3/32", "epoch 200").
  void report(double fraction, const std::string& what) {
    const auto now = std::chrono::steady_clock::now();
    if (fraction < 1.0 && now - m_last < std::chrono::milliseconds(100)) return;
    m_last = now;
    onProgress(fraction, what);
  }

 protected:
  virtual void onProgress(double /*fraction*/, const std::string& /*what*/) {}

 private:
  std::chrono::steady_clock::time_point m_last{};
};

}  // namespace kvwb::core
