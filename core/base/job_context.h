// Progress and cancellation for long core work, free of Qt (STYLE.md "Jobs"). Core loops call
// checkCancelled() once per step and report() as often as they like: report() forwards at most
// every 100 ms (and always the final 1.0). Implementations decide the thread rule of onProgress.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
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

// A part of a parent job: its own fractions [0, 1] map to [base, base + span] of the parent's,
// its messages are prefixed with `prefix`, and it is cancelled when the parent is. A final 1.0
// of the part is forwarded as an ordinary step of the parent (throttled like any other).
class SubJobContext : public JobContext {
 public:
  SubJobContext(JobContext& parent, double base, double span, std::string prefix)
      : m_parent(parent), m_base(base), m_span(span), m_prefix(std::move(prefix)) {}
  bool cancelled() const override { return m_parent.cancelled(); }

 protected:
  void onProgress(double fraction, const std::string& what) override {
    m_parent.report(std::min(m_base + fraction * m_span, std::nextafter(1.0, 0.0)), m_prefix + what);
  }

 private:
  JobContext& m_parent;
  double m_base, m_span;
  std::string m_prefix;
};

}  // namespace kvwb::core
