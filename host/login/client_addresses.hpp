// The Client IP Addresses list: single addresses and CIDR networks, IPv4 and
// IPv6, and the check of a connecting address against it.
//
//   192.0.2.7   192.0.2.0/24   2001:db8::1   2001:db8::/32
//
// Loopback (127.0.0.0/8 and ::1, and IPv4 loopback mapped into IPv6) is
// always a client address: the server itself must never lock itself out.
// An IPv4-mapped IPv6 address (::ffff:192.0.2.7) is matched as the IPv4
// address it carries, since dual-stack sockets report IPv4 peers that way.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace authd::host {

struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4
};

struct IpNetwork {
  IpAddress base;
  int prefix = 0;  // bits
};

// nullopt when `text` is not an IPv4 or IPv6 address (inet_pton's syntax).
std::optional<IpAddress> parse_ip_address(std::string_view text);

// An address or address/prefix; nullopt with `error` saying why.
std::optional<IpNetwork> parse_ip_network(std::string_view text, std::string& error);

// Entries separated by commas or white space; nullopt with `error` naming
// the first bad entry.
std::optional<std::vector<IpNetwork>> parse_client_addresses(std::string_view list, std::string& error);

bool is_loopback(const IpAddress& address) noexcept;
bool network_contains(const IpNetwork& network, const IpAddress& address) noexcept;

// Loopback, or inside one of `networks`.
bool is_client_address(const IpAddress& address, const std::vector<IpNetwork>& networks) noexcept;

}  // namespace authd::host
