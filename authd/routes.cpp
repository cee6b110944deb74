#include "authd/routes.hpp"

#include <algorithm>

#include "authd/verdict_cache.hpp"

namespace authd {

std::variant<Routes, std::vector<ConfigIssue>> Routes::build(const Config& config, const EngineServices& services) {
  Routes routes;
  std::vector<ConfigIssue> issues;
  for (const auto& backend : config.backends) {
    auto host = services.for_backend();
    const BackendContext context{backend.name, backend.settings, *host};
    CreateResult created = backend.type->descriptor->create(context);
    if (!created.backend) {
      int line = backend.line;
      for (const auto& [key, key_line] : backend.key_lines)
        if (key == created.error_key) line = key_line;
      issues.push_back({config.file, line,
                        "backend \"" + backend.name + "\"" + (created.error_key.empty() ? "" : "." + created.error_key),
                        created.error.empty() ? "the backend failed to start" : created.error});
      continue;
    }
    const CacheSettings cache = cache_settings_from(backend.settings);
    if (cache.enabled()) created.backend = make_cached_backend(std::move(created.backend), cache, *host, backend.name);
    routes.backends_.push_back(
        std::make_unique<NamedBackend>(NamedBackend{backend.name, std::move(host), std::move(created.backend)}));
  }
  if (!issues.empty()) return issues;

  for (const auto& route_config : config.routes) {
    auto route = std::make_unique<Route>();
    for (const auto& name : route_config.backends)
      for (const auto& backend : routes.backends_)
        if (backend->name == name) {
          route->backends.push_back(backend.get());
          route->any_credentials = route->any_credentials || backend->backend->supports_credentials();
        }
    for (const auto& domain : route_config.domains) {
      if (domain == "*") routes.any_ = route.get();
      else if (domain.starts_with("*.")) routes.suffixes_.emplace_back(domain.substr(1), route.get());
      else routes.exact_.emplace(domain, route.get());
    }
    routes.routes_.push_back(std::move(route));
  }
  std::sort(routes.suffixes_.begin(), routes.suffixes_.end(),
            [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  return routes;
}

const Route* Routes::find(std::string_view domain) const {
  if (!exact_.empty()) {
    if (auto it = exact_.find(domain); it != exact_.end()) return it->second;
  }
  for (const auto& [suffix, route] : suffixes_)
    if (domain.size() > suffix.size() && domain.ends_with(suffix)) return route;
  return any_;
}

}  // namespace authd
