#include "host/store/private_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <system_error>

#include "base/fd.hpp"

namespace authd::host {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const char* what, const fs::path& path) {
  throw fs::filesystem_error(what, path, std::error_code(errno, std::generic_category()));
}

void write_all(int fd, std::string_view bytes, const fs::path& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot write", path);
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void sync_directory(const fs::path& dir) {
  base::Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() >= 0) ::fsync(fd.get());
}

}  // namespace

void create_private_directories(const fs::path& base, const fs::path& path) {
  fs::path at = base;
  for (const auto& part : path.lexically_relative(base)) {
    at /= part;
    if (fs::is_directory(at)) continue;
    // Made with mode 0700 (never wider, whatever the umask), so that a
    // process killed right here leaves nothing open to others.
    if (::mkdir(at.c_str(), 0700) != 0 && errno != EEXIST) fail("cannot create directory", at);
    fs::permissions(at, fs::perms::owner_all, fs::perm_options::replace);
  }
}

void write_private_file(const fs::path& file, std::string_view bytes) {
  // A name of its own per write, so that two processes writing the same
  // file never share a temporary; a crash leaves a *.tmp-* file behind,
  // never a half-written target.
  thread_local std::mt19937_64 random{std::random_device{}()};
  const fs::path temporary = file.string() + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(random());
  base::Fd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) fail("cannot create", temporary);
  try {
    if (::fchmod(fd.get(), 0600) != 0) fail("cannot protect", temporary);
    write_all(fd.get(), bytes, temporary);
    if (::fsync(fd.get()) != 0) fail("cannot flush", temporary);
    if (::close(fd.release()) != 0) fail("cannot write", temporary);
    if (::rename(temporary.c_str(), file.c_str()) != 0) fail("cannot replace", file);
  } catch (...) {
    ::unlink(temporary.c_str());
    throw;
  }
  // The rename itself must reach the disk before the change counts as made.
  sync_directory(file.parent_path());
}

std::optional<std::string> read_private_file(const fs::path& file, std::size_t max_size) {
  base::Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::nullopt;
    fail("cannot read", file);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail("cannot read", file);
  if (!S_ISREG(st.st_mode)) throw fs::filesystem_error("not a regular file", file, std::make_error_code(std::errc::invalid_argument));
  if (static_cast<std::uint64_t>(st.st_size) > max_size)
    throw fs::filesystem_error("larger than " + std::to_string(max_size) + " bytes", file,
                               std::make_error_code(std::errc::file_too_large));
  std::string contents(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::read(fd.get(), contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot read", file);
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  contents.resize(done);
  return contents;
}

void remove_private_file(const fs::path& file) {
  if (::unlink(file.c_str()) != 0) {
    if (errno == ENOENT) return;
    fail("cannot remove", file);
  }
  sync_directory(file.parent_path());
}

}  // namespace authd::host
