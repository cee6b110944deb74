// An example authd plugin: accounts of one domain in an Apache htpasswd
// file ("user:hash" lines, as `htpasswd -B`, `-m` or `-s` write them).
//
// It shows what a plugin does: declare its settings, read them in its
// constructor (throwing ConfigError for a bad one), answer with Verdicts,
// check passwords through the host's scheme registry, and say which calls
// are cheap enough for the dispatcher thread.
#include <fstream>
#include <string>
#include <unordered_map>

#include "authd/api/plugin.hpp"

namespace {

class HtpasswdBackend final : public authd::Backend {
 public:
  static constexpr const char* type = "htpasswd";
  static constexpr const char* description = "accounts of one domain in an Apache htpasswd file";

  static std::vector<authd::SettingSpec> settings() {
    return {
        {"path", authd::SettingType::Path, {}, "the htpasswd file"},
        {"domain", authd::SettingType::String, {}, "the domain its users belong to"},
    };
  }

  explicit HtpasswdBackend(const authd::BackendContext& context)
      : domain_(lower(context.settings.string("domain"))), host_(context.host) {
    const std::string& path = context.settings.string("path");
    std::ifstream in(path);
    if (!in) throw authd::ConfigError("path", "cannot read htpasswd file '" + path + "'");
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (line.empty() || line[0] == '#') continue;
      const auto colon = line.find(':');
      if (colon == std::string::npos || colon == 0 || !host_.scheme_of(line.substr(colon + 1))) {
        host_.log(authd::LogLevel::Warning, path + ":" + std::to_string(number) + ": not a user:hash line");
        continue;
      }
      users_.emplace(lower(line.substr(0, colon)), line.substr(colon + 1));
    }
    // Timing: an unknown name is checked against a dummy of one of our hashes.
    if (!users_.empty()) timing_reference_ = host_.timing_dummy(users_.begin()->second);
  }

  authd::Cost cost(authd::Operation op, const authd::Account& account) const override {
    const auto* stored = find(account);
    if (op != authd::Operation::Verify || stored == nullptr) return authd::Cost::Cheap;
    const auto scheme = host_.scheme_of(*stored);
    return scheme && scheme->slow ? authd::Cost::Blocking : authd::Cost::Cheap;
  }

  authd::Verdict verify(const authd::Account& account, const authd::Secret& password, std::string_view) override {
    const auto* stored = find(account);
    if (stored == nullptr) return authd::Verdict::unknown_name();
    return host_.check_password(*stored, password);
  }

  authd::Verdict exists(const authd::Account& account) override {
    return find(account) ? authd::Verdict::accept() : authd::Verdict::unknown_name();
  }

  std::string timing_reference() const override { return timing_reference_; }

 private:
  static std::string lower(std::string text) {
    for (char& c : text)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return text;
  }
  const std::string* find(const authd::Account& account) const {
    if (account.domain != domain_) return nullptr;
    const auto it = users_.find(std::string(account.name));
    return it == users_.end() ? nullptr : &it->second;
  }

  std::string domain_;
  const authd::HostServices& host_;
  std::unordered_map<std::string, std::string> users_;  // read once, then only read: safe from any thread
  std::string timing_reference_;
};

}  // namespace

AUTHD_PLUGIN(HtpasswdBackend)
