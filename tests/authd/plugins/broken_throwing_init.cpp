// A plugin whose backend throws while it is created, and whose settings()
// also throws for a second type: neither exception may leave the plugin.
#include <stdexcept>

#include "authd/api/plugin.hpp"

namespace {
class ThrowingInit final : public authd::Backend {
 public:
  static constexpr const char* type = "throwing-init";
  static constexpr const char* description = "throws from its constructor";
  static std::vector<authd::SettingSpec> settings() { return {}; }
  explicit ThrowingInit(const authd::BackendContext&) { throw std::runtime_error("cannot start: broken on purpose"); }
  authd::Verdict verify(const authd::Account&, const authd::Secret&, std::string_view) override {
    return authd::Verdict::accept();
  }
  authd::Verdict exists(const authd::Account&) override { return authd::Verdict::accept(); }
};
}  // namespace

AUTHD_PLUGIN(ThrowingInit)
