// Files of the data directory that hold secrets (passwords, access rights,
// private keys): made the host user's alone, and replaced whole.
//
// write_private_file writes a temporary file beside the target (mode 0600
// whatever the umask), flushes it, renames it over the target and flushes
// the directory, so a process killed at any point leaves the old file or
// the new one, never part of either. Faults are thrown as
// std::filesystem::filesystem_error naming the file.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace authd::host {

// Every directory from `base` down to `path` that is missing, made 0700.
void create_private_directories(const std::filesystem::path& base, const std::filesystem::path& path);

// Replace `file` with `bytes`, atomically, mode 0600.
void write_private_file(const std::filesystem::path& file, std::string_view bytes);

// The contents of `file`, nullopt when it does not exist. A file larger
// than `max_size` is a fault (nothing the host writes comes near it). A
// caller reading a secret wipes the string when done with it.
std::optional<std::string> read_private_file(const std::filesystem::path& file, std::size_t max_size);

// Remove `file` (nothing when it is missing) and flush its directory.
void remove_private_file(const std::filesystem::path& file);

}  // namespace authd::host
