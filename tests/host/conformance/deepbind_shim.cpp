// Preloaded into the authd that the PAM conformance test starts, in
// sanitizer builds only: pam_wrapper 1.1.4 (Debian 12) opens its copy of
// libpam with RTLD_DEEPBIND, which the sanitizer runtime refuses, and it
// has no switch to stop that. Preloaded ahead of pam_wrapper, this dlopen
// is the one pam_wrapper calls: it drops the flag and hands on to the next
// dlopen (the sanitizer's own). pam_test_main.cpp does the same inside the
// test binary itself.
#include <dlfcn.h>

extern "C" void* dlopen(const char* file, int flags) noexcept {
  using Dlopen = void* (*)(const char*, int);
  static const auto next = reinterpret_cast<Dlopen>(::dlsym(RTLD_NEXT, "dlopen"));
  return next(file, flags & ~RTLD_DEEPBIND);
}
