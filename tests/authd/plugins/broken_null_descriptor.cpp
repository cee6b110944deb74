// A plugin whose entry point returns no descriptor.
#include "authd/api/plugin.hpp"

extern "C" __attribute__((visibility("default"))) const authd::PluginDescriptor* authd_plugin_v1() noexcept {
  return nullptr;
}
