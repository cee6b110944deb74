// Microbenchmarks of Registry::check: one verification of a right password
// for every scheme the registry knows, stored with the scheme's defaults
// (the values Registry::encode writes, as gen and an administrator's tools
// would). The slow schemes show what a worker thread spends per request.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <stdexcept>
#include <string>

#include "passwords/registry.hpp"

namespace {

using authd::Secret;
using authd::passwords::Check;
using authd::passwords::Registry;

constexpr std::string_view kPassword = "Ly%;gg;G?][;Q";

void check_right_password(benchmark::State& state, const std::string& stored) {
  const Registry& registry = Registry::instance();
  const Secret password(kPassword);
  for (auto _ : state) {
    const Check result = registry.check(stored, password);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

void check_wrong_password(benchmark::State& state, const std::string& stored) {
  const Registry& registry = Registry::instance();
  const Secret password("not the password");
  for (auto _ : state) {
    const Check result = registry.check(stored, password);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

int main(int argc, char** argv) {
  const Registry& registry = Registry::instance();
  const Secret password(kPassword);
  for (const auto* scheme : registry.schemes()) {
    const std::string name(scheme->name);
    std::string stored;
    try {
      stored = registry.encode(scheme->name, password);
    } catch (const std::invalid_argument& e) {
      std::fprintf(stderr, "schemes_bench: %s cannot be encoded, left out: %s\n", name.c_str(), e.what());
      continue;
    }
    // A check that does not match measures a different path: refuse to run.
    if (registry.check(stored, password) != Check::Match) {
      std::fprintf(stderr, "schemes_bench: %s does not verify the value it encoded\n", name.c_str());
      return 1;
    }
    const auto unit = scheme->slow ? benchmark::kMicrosecond : benchmark::kNanosecond;
    benchmark::RegisterBenchmark(("check/" + name).c_str(), check_right_password, stored)->Unit(unit);
    // A wrong password costs the same for a hash; shown for the fast
    // schemes, where an early exit would show.
    if (!scheme->slow) {
      benchmark::RegisterBenchmark(("check_wrong/" + name).c_str(), check_wrong_password, stored)->Unit(unit);
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
