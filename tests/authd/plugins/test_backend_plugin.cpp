// The test backend as a loadable plugin (authd-test-backend.so).
#include "test_backend.hpp"

AUTHD_PLUGIN(authd::testing::TestBackend)
