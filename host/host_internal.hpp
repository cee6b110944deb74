// What the facade's files (host.cpp, host_pki.cpp) share: the errors of
// bad names, and the one place faults of the data directory become a Status.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "host/host.hpp"
#include "host/rights/access_rights.hpp"
#include "host/store/store.hpp"

namespace authd::host::internal {

inline Status invalid_address(std::string_view raw) {
  return Status::error(ErrorCode::InvalidName,
                       "'" + std::string(raw) + "' is not an account address: name@domain, the name of 1 to 64 "
                       "of a-z 0-9 . _ - and the domain of DNS labels");
}

inline Status invalid_domain(std::string_view raw) {
  return Status::error(ErrorCode::InvalidName, "'" + std::string(raw) +
                                                   "' is not a domain name: DNS labels of a-z 0-9 and '-', "
                                                   "joined by '.'");
}

// Runs `body`, turning faults of the data directory into a Status.
template <typename F>
Status guarded(F&& body) {
  try {
    return body();
  } catch (const StoreError& e) {
    return Status::error(ErrorCode::Storage, e.what());
  } catch (const AccessFileError& e) {
    return Status::error(ErrorCode::CorruptRights, e.what());
  } catch (const std::filesystem::filesystem_error& e) {
    return Status::error(ErrorCode::Storage, e.what());
  }
}

}  // namespace authd::host::internal
