// ChildProcess: runs a program (the real quire binary, a crash helper) for a test, with
// its stdout and stderr on pipes. The child is killed (SIGKILL) if still running when the
// object is destroyed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "quire/base/result.h"

namespace quire::testing {

struct ExitStatus {
  int code = -1;   // exit code, when the process exited
  int signal = 0;  // the signal that ended it, or 0
};

class ChildProcess {
 public:
  static Result<ChildProcess> Spawn(const std::string& program,
                                    const std::vector<std::string>& args);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ChildProcess(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }

  // The next line the child writes to stdout (without '\n'), or nullopt when stdout
  // closed or nothing came within `timeout`.
  std::optional<std::string> ReadLine(std::chrono::milliseconds timeout);
  // Reads stdout lines until one contains `needle`; returns that line.
  std::optional<std::string> WaitForLine(const std::string& needle,
                                         std::chrono::milliseconds timeout);
  // Everything the child writes to stderr until it closes it. Call after the child ended.
  std::string ReadAllStderr();
  // Everything left on stdout until it closes.
  std::string ReadAllStdout();

  void Signal(int signal);
  // Waits for the child to end; nullopt when it did not within `timeout`.
  std::optional<ExitStatus> Wait(std::chrono::milliseconds timeout);

 private:
  ChildProcess(pid_t pid, int out_fd, int err_fd) : pid_(pid), out_fd_(out_fd), err_fd_(err_fd) {}

  pid_t pid_;
  int out_fd_;
  int err_fd_;
  std::string out_buffer_;
  bool reaped_ = false;
};

}  // namespace quire::testing
