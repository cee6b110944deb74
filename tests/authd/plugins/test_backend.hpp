// A backend for tests and benchmarks whose behaviour is set by its settings:
// which names it knows, which password is right, how long a call takes,
// whether it blocks, throws, or never returns.
#pragma once

#include <atomic>
#include <chrono>
#include <thread>

#include "authd/api/plugin.hpp"

namespace authd::testing {

class TestBackend final : public Backend {
 public:
  static constexpr const char* type = "test";
  static constexpr const char* description = "configurable backend for tests and benchmarks";
  static std::vector<SettingSpec> settings() {
    return {
        {"names", SettingType::StringList, std::vector<std::string>{}, "names it knows (name@domain, lower case); empty: any"},
        {"password", SettingType::String, std::string("secret"), "the right password for every known name"},
        {"stored", SettingType::String, std::string(), "a stored value it offers to SASL; empty: none"},
        {"delay_ms", SettingType::Integer, std::int64_t{0}, "time each call takes", 0, 3600000},
        {"cheap", SettingType::Boolean, false, "report Cost::Cheap (runs on the dispatcher)"},
        {"fail", SettingType::Boolean, false, "answer TempFail"},
        {"throw", SettingType::Boolean, false, "throw from every call"},
        {"fail_create", SettingType::Boolean, false, "refuse to start (ConfigError on key fail_create)"},
    };
  }

  explicit TestBackend(const BackendContext& context)
      : names_(context.settings.list("names")),
        password_(context.settings.string("password")),
        stored_(context.settings.string("stored")),
        delay_(context.settings.integer("delay_ms")),
        cheap_(context.settings.boolean("cheap")),
        fail_(context.settings.boolean("fail")),
        throw_(context.settings.boolean("throw")) {
    if (context.settings.boolean("fail_create")) throw ConfigError("fail_create", "asked to fail");
  }

  Cost cost(Operation, const Account&) const override { return cheap_ ? Cost::Cheap : Cost::Blocking; }

  Verdict verify(const Account& account, const Secret& password, std::string_view) override {
    if (auto early = common(account)) return *early;
    return password.view() == password_ ? Verdict::accept() : Verdict::reject(RejectReason::WrongPassword);
  }
  bool supports_credentials() const override { return !stored_.empty(); }
  Verdict credentials(const Account& account, Secret& stored) override {
    if (auto early = common(account)) return *early;
    stored.assign(stored_);
    return Verdict::accept();
  }
  Verdict exists(const Account& account) override {
    if (auto early = common(account)) return *early;
    return Verdict::accept();
  }

  static std::atomic<int>& calls() {
    static std::atomic<int> count{0};
    return count;
  }
  // Calls inside the backend right now (tests wait for 0 before destroying it).
  static std::atomic<int>& active() {
    static std::atomic<int> count{0};
    return count;
  }

 private:
  struct ActiveCall {
    ActiveCall() { ++active(); }
    ~ActiveCall() { --active(); }
  };

  std::optional<Verdict> common(const Account& account) const {
    ++calls();
    if (delay_.count() > 0) {
      ActiveCall busy;
      std::this_thread::sleep_for(delay_);
    }
    if (throw_) throw std::runtime_error("test backend asked to throw");
    if (fail_) return Verdict::temp_fail("test backend asked to fail");
    if (!names_.empty()) {
      std::string full = std::string(account.name) + "@" + std::string(account.domain);
      bool known = false;
      for (const auto& name : names_) known = known || name == full;
      if (!known) return Verdict::unknown_name();
    }
    return std::nullopt;
  }

  std::vector<std::string> names_;
  std::string password_;
  std::string stored_;
  std::chrono::milliseconds delay_;
  bool cheap_, fail_, throw_;
};

}  // namespace authd::testing
