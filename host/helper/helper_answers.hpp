// What a helper's response line means to the client: which request it
// answers, the answer a caller gets, and the interface version an INTF
// answer sets. Pure functions over protocol::Response.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "host/helper/helper_client.hpp"
#include "protocol/response.hpp"

namespace authd::host {

// The request number a response names, only in the form the client writes
// it: "0002" or "+2" answers nothing, since the client never sent them.
std::optional<std::uint64_t> exact_sequence_number(std::string_view text) noexcept;

// The caller's answer for a response to an ordinary request (an INTF form
// is an OK: it answers a caller's own INTF).
HelperAnswer answer_of(const protocol::Response& response);

struct InterfaceVersion {
  unsigned version = 0;
  bool announced = false;  // false: the helper answered without a version
};
// The version the answer to the start-up INTF sets: the helper's, at most
// `ours`. A helper written before INTF existed answers ERROR (or a bare OK):
// it is served at version 0.
InterfaceVersion negotiated_version(const protocol::Response& response, unsigned ours) noexcept;

}  // namespace authd::host
