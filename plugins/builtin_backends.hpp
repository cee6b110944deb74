// The backends compiled into authd, registered by the executable (and by the
// tests that build an engine with them); the core library knows none of them.
#pragma once

#include "authd/plugin_loader.hpp"

namespace authd {

// Every backend compiled into authd (one explicit list, no static-init tricks).
void register_builtin_backends(BackendTypes& types);

}  // namespace authd
