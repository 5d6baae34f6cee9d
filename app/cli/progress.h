// Terminal progress for kvwb-cli: a JobContext that draws a bar on stderr (only when stderr is a
// terminal, else one line per 10%) and turns Ctrl-C (SIGINT) into cancellation.
#pragma once

#include <string>

#include "core/base/job_context.h"

namespace kvwb::cli {

class TerminalProgress : public core::JobContext {
 public:
  explicit TerminalProgress(std::string title);  // installs the SIGINT handler
  ~TerminalProgress() override;                  // restores it, ends the line
  bool cancelled() const override;

 protected:
  void onProgress(double fraction, const std::string& what) override;

 private:
  std::string m_title;
  bool m_tty = false;
  int m_lastDecile = -1;
};

}  // namespace kvwb::cli
