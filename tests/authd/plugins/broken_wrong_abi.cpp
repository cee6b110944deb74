// A plugin built for another plugin ABI version: authd must refuse it.
#include "authd/api/plugin.hpp"

namespace {
std::vector<authd::SettingSpec> none() { return {}; }
bool settings(std::vector<authd::SettingSpec>& out) noexcept {
  out = none();
  return true;
}
authd::CreateResult create(const authd::BackendContext&) noexcept { return {}; }
const authd::PluginDescriptor descriptor{99, sizeof(authd::PluginDescriptor), AUTHD_PLUGIN_STDLIB, "wrong-abi",
                                         "built for ABI 99", &settings, &create};
}  // namespace

extern "C" __attribute__((visibility("default"))) const authd::PluginDescriptor* authd_plugin_v1() noexcept {
  return &descriptor;
}
