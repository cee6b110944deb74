// authd plugin API: the holder for passwords and other secrets.
//
// Secret is defined on the ground floor (base/secret.hpp), where the wire
// protocol and the password schemes use it too; plugins include this header
// and see the same authd::Secret. The installed package puts base/secret.hpp
// under include/authd/base/ and adds include/authd to the include path.
#pragma once

#include "base/secret.hpp"
