#include "host/login/client_addresses.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace authd::host {

namespace {

bool is_v4_mapped(const IpAddress& a) noexcept {
  if (!a.v6) return false;
  for (int i = 0; i < 10; ++i)
    if (a.bytes[static_cast<std::size_t>(i)] != 0) return false;
  return a.bytes[10] == 0xff && a.bytes[11] == 0xff;
}

IpAddress unmapped(const IpAddress& a) noexcept {
  if (!is_v4_mapped(a)) return a;
  IpAddress v4;
  std::memcpy(v4.bytes.data(), a.bytes.data() + 12, 4);
  return v4;
}

}  // namespace

std::optional<IpAddress> parse_ip_address(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  const std::string copy(text);  // inet_pton wants a terminated string
  IpAddress out;
  if (::inet_pton(AF_INET, copy.c_str(), out.bytes.data()) == 1) return out;
  out.v6 = true;
  if (::inet_pton(AF_INET6, copy.c_str(), out.bytes.data()) == 1) return out;
  return std::nullopt;
}

std::optional<IpNetwork> parse_ip_network(std::string_view text, std::string& error) {
  const auto slash = text.find('/');
  const auto address = parse_ip_address(text.substr(0, slash));
  if (!address) {
    error = "'" + std::string(text) + "' is not an IPv4 or IPv6 address";
    return std::nullopt;
  }
  IpNetwork network{*address, address->v6 ? 128 : 32};
  if (slash == std::string_view::npos) return network;
  const auto bits = text.substr(slash + 1);
  int prefix = -1;
  const auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
  if (bits.empty() || ec != std::errc() || end != bits.data() + bits.size() || prefix < 0 || prefix > network.prefix) {
    error = "'" + std::string(text) + "': the prefix length must be 0 to " + std::to_string(network.prefix);
    return std::nullopt;
  }
  network.prefix = prefix;
  return network;
}

std::optional<std::vector<IpNetwork>> parse_client_addresses(std::string_view list, std::string& error) {
  std::vector<IpNetwork> out;
  std::size_t i = 0;
  while (i < list.size()) {
    const auto is_separator = [](char c) { return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (i < list.size() && is_separator(list[i])) ++i;
    std::size_t end = i;
    while (end < list.size() && !is_separator(list[end])) ++end;
    if (end > i) {
      auto network = parse_ip_network(list.substr(i, end - i), error);
      if (!network) return std::nullopt;
      out.push_back(*network);
    }
    i = end;
  }
  return out;
}

bool is_loopback(const IpAddress& address) noexcept {
  const IpAddress a = unmapped(address);
  if (!a.v6) return a.bytes[0] == 127;
  for (int i = 0; i < 15; ++i)
    if (a.bytes[static_cast<std::size_t>(i)] != 0) return false;
  return a.bytes[15] == 1;
}

bool network_contains(const IpNetwork& network, const IpAddress& address) noexcept {
  IpNetwork net = network;
  if (is_v4_mapped(net.base)) {
    net.base = unmapped(net.base);
    net.prefix = net.prefix >= 96 ? net.prefix - 96 : 0;
  }
  const IpAddress a = unmapped(address);
  if (a.v6 != net.base.v6) return false;
  const int full = net.prefix / 8;
  for (int i = 0; i < full; ++i)
    if (a.bytes[static_cast<std::size_t>(i)] != net.base.bytes[static_cast<std::size_t>(i)]) return false;
  const int rest = net.prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a.bytes[static_cast<std::size_t>(full)] & mask) == (net.base.bytes[static_cast<std::size_t>(full)] & mask);
}

bool is_client_address(const IpAddress& address, const std::vector<IpNetwork>& networks) noexcept {
  if (is_loopback(address)) return true;
  for (const auto& network : networks)
    if (network_contains(network, address)) return true;
  return false;
}

}  // namespace authd::host
