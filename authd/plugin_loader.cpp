#include "authd/plugin_loader.hpp"

#include <dlfcn.h>

#include <cstring>

namespace authd {

std::string check_descriptor(const PluginDescriptor* descriptor) {
  if (descriptor == nullptr) return "its entry point returned no descriptor";
  if (descriptor->abi_version < plugin_abi_oldest || descriptor->abi_version > plugin_abi_version)
    return "it was built for plugin ABI version " + std::to_string(descriptor->abi_version) +
           ", this authd speaks versions " + std::to_string(plugin_abi_oldest) + " to " +
           std::to_string(plugin_abi_version) + ": rebuild it against this authd's headers";
  if (descriptor->descriptor_size != sizeof(PluginDescriptor))
    return "its descriptor has the wrong size (" + std::to_string(descriptor->descriptor_size) +
           " bytes, expected " + std::to_string(sizeof(PluginDescriptor)) + "): rebuild it against this authd's headers";
  if (descriptor->stdlib == nullptr || std::strcmp(descriptor->stdlib, AUTHD_PLUGIN_STDLIB) != 0)
    return std::string("it was built with another C++ library (") +
           (descriptor->stdlib ? descriptor->stdlib : "unknown") + ", authd uses " AUTHD_PLUGIN_STDLIB ")";
  if (descriptor->type == nullptr || *descriptor->type == '\0') return "its descriptor names no backend type";
  if (descriptor->settings == nullptr || descriptor->create == nullptr)
    return "its descriptor lacks the settings or create function";
  return {};
}

std::string BackendTypes::add(const PluginDescriptor& descriptor, std::string origin) {
  if (auto problem = check_descriptor(&descriptor); !problem.empty()) return problem;
  if (find(descriptor.type) != nullptr)
    return std::string("backend type '") + descriptor.type + "' is already provided by " + find(descriptor.type)->origin;
  BackendType type{&descriptor, std::move(origin), {}};
  if (!descriptor.settings(type.settings))
    return std::string("backend type '") + descriptor.type + "' failed to declare its settings";
  types_.push_back(std::move(type));
  return {};
}

const BackendType* BackendTypes::find(std::string_view type) const {
  for (const auto& entry : types_)
    if (type == entry.descriptor->type) return &entry;
  return nullptr;
}

std::variant<const PluginDescriptor*, std::string> load_plugin(const std::string& path) {
  // RTLD_LOCAL keeps one plugin's symbols from resolving another's; the
  // handle is deliberately never closed.
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return "cannot load plugin '" + path + "': " + (why ? why : "unknown dlopen error");
  }
  ::dlerror();
  void* symbol = ::dlsym(handle, AUTHD_PLUGIN_ENTRY_SYMBOL);
  if (symbol == nullptr)
    return "'" + path + "' is not an authd plugin of this ABI: it has no entry point " AUTHD_PLUGIN_ENTRY_SYMBOL
           " (build it with AUTHD_PLUGIN(...) from authd/api/plugin.hpp)";
  using Entry = const PluginDescriptor* (*)() noexcept;
  Entry entry;
  static_assert(sizeof(entry) == sizeof(symbol));
  std::memcpy(&entry, &symbol, sizeof entry);
  const PluginDescriptor* descriptor = entry();
  if (auto problem = check_descriptor(descriptor); !problem.empty())
    return "plugin '" + path + "' cannot be used: " + problem;
  return descriptor;
}

}  // namespace authd
