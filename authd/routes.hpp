// Which backends answer for which domain.
//
// A route names domains and an ordered list of backends. For a domain, the
// route that names it exactly wins, then the longest "*.suffix" pattern that
// covers it (subdomains only), then "*". A domain no route covers is unknown.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "authd/api/plugin.hpp"
#include "authd/config.hpp"
#include "authd/engine_services.hpp"

namespace authd {

struct NamedBackend {
  std::string name;
  std::unique_ptr<EngineServices> services;  // this backend's own: it outlives the backend
  std::unique_ptr<Backend> backend;
};

struct Route {
  std::vector<const NamedBackend*> backends;
  bool any_credentials = false;  // some backend can supply stored secrets (SASL)
};

struct TransparentStringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
};

class Routes {
 public:
  // Create every configured backend and the routes over them. A backend that
  // fails to start is reported as a configuration issue at its key. Each
  // backend gets services of its own, made from `services`.
  static std::variant<Routes, std::vector<ConfigIssue>> build(const Config& config, const EngineServices& services);

  const Route* find(std::string_view domain) const;
  const std::vector<std::unique_ptr<NamedBackend>>& backends() const noexcept { return backends_; }

 private:
  std::vector<std::unique_ptr<NamedBackend>> backends_;
  std::vector<std::unique_ptr<Route>> routes_;
  std::unordered_map<std::string, const Route*, TransparentStringHash, std::equal_to<>> exact_;
  std::vector<std::pair<std::string, const Route*>> suffixes_;  // ".example.com", longest first
  const Route* any_ = nullptr;
};

}  // namespace authd
