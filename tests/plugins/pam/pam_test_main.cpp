// main() of pam_tests: set up the PAM world (pam_test_env.hpp), run the
// binary again with pam_wrapper and nss_wrapper preloaded, and run the tests
// there. Re-executing itself makes the binary work the same under ctest, its
// test discovery, a plain run and the sanitizers, with no environment to set
// by hand.
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "pam_test_env.hpp"

namespace {

namespace pam_env = authd::testing::pam_env;

void set(const char* name, const std::string& value) { ::setenv(name, value.c_str(), 1); }

std::string joined(const char* name, const std::string& extra, const char* separator) {
  const char* old = std::getenv(name);
  return old == nullptr || *old == '\0' ? extra : std::string(old) + separator + extra;
}

int reexec_with_wrappers(char** argv) {
  // mkdtemp's template: six X characters for it to replace.
  std::string pattern = (std::filesystem::temp_directory_path() / "authd-pam-").string() + std::string(6, 'X');
  if (::mkdtemp(pattern.data()) == nullptr) {
    std::fprintf(stderr, "pam_tests: mkdtemp: %s\n", std::strerror(errno));
    return 1;
  }
  const std::filesystem::path dir = pattern;
  try {
    pam_env::write_world(dir);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pam_tests: cannot write the PAM test files: %s\n", e.what());
    return 1;
  }

  // Ours go last, after anything already preloaded (a sanitizer runtime).
  const std::string wrappers = std::string(AUTHD_PAM_WRAPPER_LIBRARY) + ":" + AUTHD_NSS_WRAPPER_LIBRARY;
  set("LD_PRELOAD", joined("LD_PRELOAD", wrappers, ":"));
  set("PAM_WRAPPER", "1");
  set("PAM_WRAPPER_SERVICE_DIR", (dir / "services").string());
  set("NSS_WRAPPER_PASSWD", (dir / "passwd").string());
  set("NSS_WRAPPER_GROUP", (dir / "group").string());
  // RTLD_DEEPBIND, which both wrappers use by default, bypasses the
  // sanitizers' interceptors (see dlopen below for pam_wrapper 1.1.4).
  set("PAM_WRAPPER_DISABLE_DEEPBIND", "1");
  set("NSS_WRAPPER_DISABLE_DEEPBIND", "1");
  // A preloaded wrapper comes before the ASan runtime in the library list,
  // which ASan refuses unless told that this is intended.
  set("ASAN_OPTIONS", joined("ASAN_OPTIONS", "verify_asan_link_order=0", ":"));
  set(pam_env::dir_variable, dir.string());

  ::execv("/proc/self/exe", argv);
  std::fprintf(stderr, "pam_tests: cannot run itself again: %s\n", std::strerror(errno));
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return 1;
}

// The tests would otherwise talk to the machine's real PAM and user database.
bool wrappers_active() {
  using Enabled = bool (*)();
  auto pam = reinterpret_cast<Enabled>(::dlsym(RTLD_DEFAULT, "pam_wrapper_enabled"));
  auto nss = reinterpret_cast<Enabled>(::dlsym(RTLD_DEFAULT, "nss_wrapper_enabled"));
  return pam != nullptr && nss != nullptr && pam() && nss();
}

}  // namespace

#if defined(__SANITIZE_ADDRESS__)
// pam_wrapper 1.1.4 (Debian 12) opens its copy of libpam with RTLD_DEEPBIND,
// which the sanitizer runtime refuses outright, and it has no switch to stop
// that (later versions read PAM_WRAPPER_DISABLE_DEEPBIND). The executable
// comes first in symbol lookup, so this dlopen is the one pam_wrapper calls:
// it drops the flag and hands on to the sanitizer's own.
extern "C" void* dlopen(const char* file, int flags) noexcept {
  using Dlopen = void* (*)(const char*, int);
  static const auto next = reinterpret_cast<Dlopen>(::dlsym(RTLD_NEXT, "dlopen"));
  return next(file, flags & ~RTLD_DEEPBIND);
}
#endif

int main(int argc, char** argv) {
  if (std::getenv(pam_env::dir_variable) == nullptr) return reexec_with_wrappers(argv);
  if (!wrappers_active()) {
    std::fprintf(stderr, "pam_tests: pam_wrapper or nss_wrapper is not active (LD_PRELOAD=%s)\n",
                 std::getenv("LD_PRELOAD") ? std::getenv("LD_PRELOAD") : "");
    return 1;
  }
  ::testing::InitGoogleTest(&argc, argv);
  const int status = RUN_ALL_TESTS();
  std::error_code ignored;
  std::filesystem::remove_all(pam_env::dir(), ignored);
  return status;
}
