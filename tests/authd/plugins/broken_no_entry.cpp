// A shared object without authd's entry point: authd must refuse it.
extern "C" __attribute__((visibility("default"))) int some_other_function() { return 42; }
