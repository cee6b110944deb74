// Client IP Addresses: CIDR networks, IPv4 and IPv6, loopback always.
#include <gtest/gtest.h>

#include "host/login/client_addresses.hpp"

namespace authd::host {
namespace {

IpAddress ip(const char* text) {
  auto a = parse_ip_address(text);
  EXPECT_TRUE(a) << text;
  return a.value_or(IpAddress{});
}

std::vector<IpNetwork> list(const char* text) {
  std::string error;
  auto l = parse_client_addresses(text, error);
  EXPECT_TRUE(l) << error;
  return l.value_or(std::vector<IpNetwork>{});
}

TEST(ClientAddresses, ParsesAddressesAndNetworks) {
  EXPECT_FALSE(parse_ip_address("192.0.2.256"));
  EXPECT_FALSE(parse_ip_address("example.com"));
  EXPECT_FALSE(parse_ip_address(""));
  std::string error;
  EXPECT_TRUE(parse_ip_network("192.0.2.0/24", error));
  EXPECT_TRUE(parse_ip_network("2001:db8::/32", error));
  EXPECT_FALSE(parse_ip_network("192.0.2.0/33", error));
  EXPECT_NE(error.find("0 to 32"), std::string::npos);
  EXPECT_FALSE(parse_ip_network("2001:db8::/129", error));
  EXPECT_FALSE(parse_ip_network("192.0.2.0/", error));
  EXPECT_FALSE(parse_ip_network("192.0.2.0/2x", error));
  EXPECT_FALSE(parse_ip_network("192.0.2.0/-1", error));
  EXPECT_FALSE(parse_client_addresses("192.0.2.1, bogus", error));
  EXPECT_NE(error.find("bogus"), std::string::npos);
  EXPECT_EQ(list("192.0.2.1,198.51.100.0/24  2001:db8::/48\n10.0.0.0/8").size(), 4u);
  EXPECT_TRUE(list("").empty());
}

TEST(ClientAddresses, MatchesInsideNetworksOnly) {
  const auto clients = list("192.0.2.0/24, 198.51.100.7, 2001:db8:1::/48, 10.0.0.0/9");
  EXPECT_TRUE(is_client_address(ip("192.0.2.200"), clients));
  EXPECT_FALSE(is_client_address(ip("192.0.3.1"), clients));
  EXPECT_TRUE(is_client_address(ip("198.51.100.7"), clients));
  EXPECT_FALSE(is_client_address(ip("198.51.100.8"), clients));
  EXPECT_TRUE(is_client_address(ip("2001:db8:1:ffff::1"), clients));
  EXPECT_FALSE(is_client_address(ip("2001:db8:2::1"), clients));
  EXPECT_TRUE(is_client_address(ip("10.127.255.255"), clients));
  EXPECT_FALSE(is_client_address(ip("10.128.0.0"), clients));
  // IPv4 peers of a dual-stack socket.
  EXPECT_TRUE(is_client_address(ip("::ffff:192.0.2.9"), clients));
  EXPECT_FALSE(is_client_address(ip("::ffff:203.0.113.9"), clients));
  EXPECT_TRUE(is_client_address(ip("203.0.113.9"), list("0.0.0.0/0")));
  EXPECT_FALSE(is_client_address(ip("2001:db8::1"), list("0.0.0.0/0")));
}

TEST(ClientAddresses, LoopbackIsAlwaysAClient) {
  for (const char* loopback : {"127.0.0.1", "127.255.0.3", "::1", "::ffff:127.0.0.1"})
    EXPECT_TRUE(is_client_address(ip(loopback), {})) << loopback;
  for (const char* other : {"128.0.0.1", "::2", "::", "0.0.0.0"}) EXPECT_FALSE(is_client_address(ip(other), {})) << other;
}

}  // namespace
}  // namespace authd::host
