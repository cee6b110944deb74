// A plugin whose settings() throws: authd must refuse the type, not crash.
#include <stdexcept>

#include "authd/api/plugin.hpp"

namespace {
class ThrowingSettings final : public authd::Backend {
 public:
  static constexpr const char* type = "throwing-settings";
  static constexpr const char* description = "throws from settings()";
  static std::vector<authd::SettingSpec> settings() { throw std::runtime_error("broken on purpose"); }
  explicit ThrowingSettings(const authd::BackendContext&) {}
  authd::Verdict verify(const authd::Account&, const authd::Secret&, std::string_view) override {
    return authd::Verdict::accept();
  }
  authd::Verdict exists(const authd::Account&) override { return authd::Verdict::accept(); }
};
}  // namespace

AUTHD_PLUGIN(ThrowingSettings)
