// Writing to a helper that has exited raises SIGPIPE, whose default action
// ends the whole host. While a PipeSignalBlocked lives, SIGPIPE is blocked on
// the calling thread, so such a write fails with EPIPE instead.
//
// A blocked SIGPIPE stays pending on the thread: restoring the old mask
// would deliver it then. The destructor therefore takes every pending
// SIGPIPE of this thread off before it restores the mask.
#pragma once

#include <signal.h>

#include <ctime>

namespace authd::host {

class PipeSignalBlocked {
 public:
  PipeSignalBlocked() {
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_signal, &previous_);
  }
  PipeSignalBlocked(const PipeSignalBlocked&) = delete;
  PipeSignalBlocked& operator=(const PipeSignalBlocked&) = delete;
  ~PipeSignalBlocked() {
    if (sigismember(&previous_, SIGPIPE) == 0) {
      sigset_t pipe_signal;
      sigemptyset(&pipe_signal);
      sigaddset(&pipe_signal, SIGPIPE);
      const timespec now{0, 0};
      // Only signals pending for this thread or the process are taken, and
      // only SIGPIPE: one sigtimedwait per pending instance.
      while (::sigtimedwait(&pipe_signal, nullptr, &now) == SIGPIPE) {
      }
    }
    ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }

 private:
  sigset_t previous_;
};

}  // namespace authd::host
