// Owners for OpenSSL handles: one std::unique_ptr alias per type, each
// freeing with the type's own free function, so that no early return of the
// PKI code leaks a handle.
#pragma once

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstddef>
#include <memory>

namespace authd::host::pki {

// The deleter of a handle whose free function is `Free`.
template <auto Free>
struct OpensslFree {
  template <typename T>
  void operator()(T* handle) const noexcept {
    Free(handle);
  }
};

template <typename T, auto Free>
using OpensslPtr = std::unique_ptr<T, OpensslFree<Free>>;

using BioPtr = OpensslPtr<BIO, BIO_free_all>;
using BignumPtr = OpensslPtr<BIGNUM, BN_free>;
using Asn1IntegerPtr = OpensslPtr<ASN1_INTEGER, ASN1_INTEGER_free>;
using Asn1TimePtr = OpensslPtr<ASN1_TIME, ASN1_TIME_free>;
using PkeyPtr = OpensslPtr<EVP_PKEY, EVP_PKEY_free>;
using PkeyContextPtr = OpensslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using MdContextPtr = OpensslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using X509Ptr = OpensslPtr<X509, X509_free>;
using X509NamePtr = OpensslPtr<X509_NAME, X509_NAME_free>;
using X509ReqPtr = OpensslPtr<X509_REQ, X509_REQ_free>;
using X509ExtensionPtr = OpensslPtr<X509_EXTENSION, X509_EXTENSION_free>;
using X509StorePtr = OpensslPtr<X509_STORE, X509_STORE_free>;
using X509StoreContextPtr = OpensslPtr<X509_STORE_CTX, X509_STORE_CTX_free>;
using GeneralNamesPtr = OpensslPtr<GENERAL_NAMES, GENERAL_NAMES_free>;
using GeneralNamePtr = OpensslPtr<GENERAL_NAME, GENERAL_NAME_free>;
using Ia5StringPtr = OpensslPtr<ASN1_IA5STRING, ASN1_IA5STRING_free>;
using BasicConstraintsPtr = OpensslPtr<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free>;

// Memory OpenSSL allocated for us.
inline void openssl_free_memory(void* memory) noexcept { OPENSSL_free(memory); }
using OpensslMemoryPtr = OpensslPtr<unsigned char, openssl_free_memory>;
// Memory from the secure heap (PEM_read_bio_ex with PEM_FLAG_SECURE).
inline void openssl_secure_free_memory(void* memory) noexcept { OPENSSL_secure_free(memory); }
using SecureTextPtr = OpensslPtr<char, openssl_secure_free_memory>;

// Bytes from the secure heap that may have held a private key: wiped, then
// freed.
class SecureBytes {
 public:
  SecureBytes() noexcept = default;
  SecureBytes(const SecureBytes&) = delete;
  SecureBytes& operator=(const SecureBytes&) = delete;
  ~SecureBytes() {
    if (data_ != nullptr) OPENSSL_secure_clear_free(data_, static_cast<std::size_t>(size_));
  }
  unsigned char** out_data() noexcept { return &data_; }
  long* out_size() noexcept { return &size_; }
  const unsigned char* data() const noexcept { return data_; }
  long size() const noexcept { return size_; }

 private:
  unsigned char* data_ = nullptr;
  long size_ = 0;
};

// A stack of certificates that owns only the stack, not the certificates
// (they belong to the caller's Certificate objects).
inline void free_x509_stack(STACK_OF(X509) * stack) noexcept { sk_X509_free(stack); }
using X509StackPtr = OpensslPtr<STACK_OF(X509), free_x509_stack>;

// A stack of extensions that owns its extensions.
inline void free_extension_stack(STACK_OF(X509_EXTENSION) * stack) noexcept {
  sk_X509_EXTENSION_pop_free(stack, X509_EXTENSION_free);
}
using X509ExtensionStackPtr = OpensslPtr<STACK_OF(X509_EXTENSION), free_extension_stack>;

// Empties OpenSSL's per-thread error queue when the scope begins and when it
// ends, so that a failure of one operation never shows up as the detail of
// another.
class ErrorQueueGuard {
 public:
  ErrorQueueGuard() noexcept { ERR_clear_error(); }
  ErrorQueueGuard(const ErrorQueueGuard&) = delete;
  ErrorQueueGuard& operator=(const ErrorQueueGuard&) = delete;
  ~ErrorQueueGuard() { ERR_clear_error(); }
};

}  // namespace authd::host::pki
