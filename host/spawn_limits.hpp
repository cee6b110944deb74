// Launch-time property for Boost.Process: the child keeps only its standard
// input, output and error.
//
// Every other descriptor the host has open (listening sockets, database
// files, other helpers' pipes) is marked close-on-exec in the child after
// its standard streams are in place, so that the helper program never sees
// it. (Boost 1.74's own limit_handles closes the pipes it was given to set
// up, so it cannot be used.) Pass it after the std_in/std_out/std_err
// properties: Boost runs the setup steps in the order given.
#pragma once

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/process/extend.hpp>

namespace authd::host {

struct only_standard_streams : boost::process::extend::handler {
  template <typename Executor>
  void on_exec_setup(Executor&) const {
    // Only async-signal-safe calls here: the parent may be multi-threaded.
    if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
    rlimit limit{};
    const rlim_t last = ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < 65536 ? limit.rlim_cur : 65536;
    for (rlim_t fd = 3; fd < last; ++fd) ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
  }
};

}  // namespace authd::host
