// Size limits of the external-authentication protocol (see docs/protocol.md).
#pragma once

#include <cstddef>

namespace authd::protocol {

// A request line: at most this many bytes, not counting the LF that ends it
// (nor a CR before the LF).
inline constexpr std::size_t max_request_line = 8192;

// A response line: at most this many bytes, counting the LF that ends it.
inline constexpr std::size_t max_response_line = 4096;

// A sequence number: 1 to 20 decimal digits.
inline constexpr std::size_t max_sequence_digits = 20;

// The highest interface version this implementation speaks.
inline constexpr unsigned protocol_version = 2;

}  // namespace authd::protocol
