// The crypt(3) family through libxcrypt's reentrant interface.
#include <crypt.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

#include "passwords/challenge.hpp"
#include "passwords/scheme_handler.hpp"

namespace authd::passwords::detail {
namespace {

// crypt(3) takes a C string, and libxcrypt refuses passphrases of
// CRYPT_MAX_PASSPHRASE_SIZE bytes or more.
bool crypt_accepts(std::string_view password) noexcept {
  return password.size() < CRYPT_MAX_PASSPHRASE_SIZE && password.find('\0') == std::string_view::npos;
}

// struct crypt_data is 32 KiB: one per thread on the heap rather than one on
// every worker's stack.
crypt_data& thread_crypt_data() {
  thread_local const std::unique_ptr<crypt_data> data = std::make_unique<crypt_data>();
  return *data;
}

// One crypt_rn call with its inputs as C strings on the stack; everything
// that held the passphrase or the derived hash is wiped on destruction.
class CryptCall {
 public:
  CryptCall() : data_(thread_crypt_data()) {}
  CryptCall(const CryptCall&) = delete;
  CryptCall& operator=(const CryptCall&) = delete;
  ~CryptCall() {
    wipe_memory(&data_, sizeof data_);
    wipe_memory(phrase_.data(), phrase_.size());
  }

  // The hashed value, valid until this object dies; empty if libxcrypt
  // refused the setting. The passphrase must satisfy crypt_accepts().
  std::string_view run(std::string_view passphrase, std::string_view setting) noexcept {
    if (passphrase.size() >= phrase_.size() || setting.size() >= setting_.size()) return {};
    copy_terminated(passphrase, phrase_.data());
    copy_terminated(setting, setting_.data());
    const char* hashed = crypt_rn(phrase_.data(), setting_.data(), &data_, sizeof data_);
    if (hashed == nullptr || hashed[0] == '*') return {};
    return hashed;
  }

 private:
  static void copy_terminated(std::string_view text, char* out) noexcept {
    if (!text.empty()) std::memcpy(out, text.data(), text.size());
    out[text.size()] = '\0';
  }

  crypt_data& data_;
  std::array<char, CRYPT_MAX_PASSPHRASE_SIZE> phrase_;
  std::array<char, CRYPT_OUTPUT_SIZE> setting_;
};

class CryptHandler final : public SchemeHandler {
 public:
  CryptHandler(std::string_view gensalt_prefix, unsigned long gensalt_count)
      : gensalt_prefix_(gensalt_prefix), gensalt_count_(gensalt_count) {}

  Check check(std::string_view body, std::string_view password) const override {
    // A password crypt cannot take still costs one hash of the empty
    // password, so it is not told apart by its timing and a broken stored
    // value is still reported as such.
    const bool usable = crypt_accepts(password);
    CryptCall call;
    const std::string_view hashed = call.run(usable ? password : std::string_view(), body);
    // A hash's length follows from its setting alone, so a value of another
    // length (truncated, padded, an over-long salt) can match no password.
    if (hashed.empty() || hashed.size() != body.size()) return Check::Malformed;
    if (!usable) return Check::Mismatch;
    return equal_constant_time(hashed, body) ? Check::Match : Check::Mismatch;
  }

  std::string encode(std::string_view password) const override {
    if (!crypt_accepts(password)) {
      throw std::invalid_argument("crypt schemes cannot store a password with a NUL byte or longer than " +
                                  std::to_string(CRYPT_MAX_PASSPHRASE_SIZE - 1) + " bytes");
    }
    std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> setting;
    if (crypt_gensalt_rn(gensalt_prefix_.c_str(), gensalt_count_, nullptr, 0, setting.data(),
                         static_cast<int>(setting.size())) == nullptr) {
      throw std::runtime_error("libxcrypt cannot make a salt for \"" + gensalt_prefix_ + "\": " +
                               std::strerror(errno));
    }
    CryptCall call;
    const std::string_view hashed = call.run(password, setting.data());
    if (hashed.empty()) {
      throw std::runtime_error("libxcrypt refused its own salt \"" + std::string(setting.data()) + "\"");
    }
    return std::string(hashed);
  }

  std::optional<std::string> encode_like(std::string_view like, std::string_view password) const override {
    if (!crypt_accepts(password)) return std::nullopt;
    CryptCall call;
    const std::string_view hashed = call.run(password, like);
    if (hashed.empty() || hashed.size() != like.size()) return std::nullopt;
    return std::string(hashed);
  }

 private:
  std::string gensalt_prefix_;
  unsigned long gensalt_count_;
};

}  // namespace

std::unique_ptr<const SchemeHandler> make_crypt_handler(std::string_view gensalt_prefix,
                                                       unsigned long gensalt_count) {
  return std::make_unique<CryptHandler>(gensalt_prefix, gensalt_count);
}

}  // namespace authd::passwords::detail
