#include "passwords/digest.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>

namespace authd::passwords::detail {
namespace {

struct MdContextFree {
  void operator()(EVP_MD_CTX* context) const noexcept { EVP_MD_CTX_free(context); }
};

EVP_MD_CTX* thread_context() noexcept {
  thread_local const std::unique_ptr<EVP_MD_CTX, MdContextFree> context{EVP_MD_CTX_new()};
  return context.get();
}

// Fetched implementations are never freed: they live as long as the
// process, and freeing at exit would race with threads still checking.
const EVP_MD* fetch_once(const char* name) noexcept { return EVP_MD_fetch(nullptr, name, nullptr); }

}  // namespace

std::size_t digest_size(DigestAlgorithm algorithm) noexcept {
  switch (algorithm) {
    case DigestAlgorithm::Md5:
      return 16;
    case DigestAlgorithm::Sha1:
      return 20;
    case DigestAlgorithm::Sha256:
      return 32;
    case DigestAlgorithm::Sha512:
      return 64;
  }
  return 0;
}

const EVP_MD* fetch_digest(DigestAlgorithm algorithm) noexcept {
  switch (algorithm) {
    case DigestAlgorithm::Md5: {
      static const EVP_MD* const md = fetch_once("MD5");
      return md;
    }
    case DigestAlgorithm::Sha1: {
      static const EVP_MD* const md = fetch_once("SHA1");
      return md;
    }
    case DigestAlgorithm::Sha256: {
      static const EVP_MD* const md = fetch_once("SHA256");
      return md;
    }
    case DigestAlgorithm::Sha512: {
      static const EVP_MD* const md = fetch_once("SHA512");
      return md;
    }
  }
  return nullptr;
}

Hasher::Hasher(DigestAlgorithm algorithm) noexcept
    : context_(thread_context()), md_(fetch_digest(algorithm)), ok_(true), started_(false) {}

// A digest left unfinished would leave password-derived state in the
// thread's context until its next use.
Hasher::~Hasher() {
  if (started_) EVP_MD_CTX_reset(context_);
}

// Started lazily, so a one-shot digest initialises the context once.
void Hasher::start_if_needed() noexcept {
  if (started_) return;
  started_ = true;
  ok_ = ok_ && context_ != nullptr && md_ != nullptr && EVP_DigestInit_ex2(context_, md_, nullptr) == 1;
}

void Hasher::update(std::string_view data) noexcept {
  start_if_needed();
  if (ok_ && !data.empty()) ok_ = EVP_DigestUpdate(context_, data.data(), data.size()) == 1;
}

void Hasher::update(std::span<const std::uint8_t> data) noexcept {
  update(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}

bool Hasher::finish(std::span<std::uint8_t> out) noexcept {
  start_if_needed();
  started_ = false;
  const bool done = ok_ && out.size() >= static_cast<std::size_t>(EVP_MD_get_size(md_)) &&
                    EVP_DigestFinal_ex(context_, out.data(), nullptr) == 1;
  ok_ = true;
  return done;
}

bool digest_of(DigestAlgorithm algorithm, std::initializer_list<std::string_view> parts,
               std::span<std::uint8_t> out) noexcept {
  Hasher hasher(algorithm);
  for (const std::string_view part : parts) hasher.update(part);
  return hasher.finish(out);
}

void random_bytes(std::span<std::uint8_t> out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    throw std::runtime_error("the OpenSSL random generator failed; cannot make a salt");
  }
}

}  // namespace authd::passwords::detail
