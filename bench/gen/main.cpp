// gen: writes test accounts for benchmarks: a password file (authd passwd,
// Apache htpasswd or LDIF) and the matching credentials file for authload.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench/common/credentials.hpp"
#include "bench/gen/accounts.hpp"
#include "bench/gen/formats.hpp"
#include "bench/gen/stored_values.hpp"

namespace {

using namespace authd::bench;
using Clock = std::chrono::steady_clock;

struct Options {
  std::size_t users = 100000;
  std::uint64_t seed = 1;
  std::string scheme = "SSHA";
  std::optional<unsigned long> rounds;
  std::string format = "passwd";
  std::string output;
  std::string credentials;
  std::string domain = "example.com";
  std::string base_dn = "ou=people,dc=example,dc=com";
  bool base_entry = false;
  double space_share = 0.1;
  unsigned threads = 0;
};

// Accounts are made in chunks that any thread may take; each chunk keeps
// its own text, so the files come out in account order whatever the timing.
constexpr std::size_t kChunkUsers = 256;

struct Chunk {
  std::string entries;
  std::string credentials;
};

class Generator {
 public:
  Generator(const Options& options, const FormatSettings& format, const StoredValueMaker& maker)
      : options_(options),
        format_(format),
        maker_(maker),
        digits_(name_digits(options.users)),
        chunks_((options.users + kChunkUsers - 1) / kChunkUsers) {}

  std::vector<Chunk> run(unsigned threads) {
    threads_ = threads;
    std::vector<std::jthread> workers;
    for (unsigned i = 0; i < threads; ++i) workers.emplace_back([this] { work(); });
    report_progress_until_done();
    workers.clear();
    if (!failure_.empty()) throw std::runtime_error(failure_);
    return std::move(chunks_);
  }

 private:
  void work() {
    try {
      for (std::size_t chunk = next_chunk_++; chunk < chunks_.size() && !failed_; chunk = next_chunk_++) {
        make_chunk(chunk);
      }
    } catch (const std::exception& e) {
      if (!failed_.exchange(true)) failure_ = e.what();
    }
    ++finished_workers_;
  }

  void make_chunk(std::size_t chunk) {
    Chunk& out = chunks_[chunk];
    const std::size_t first = chunk * kChunkUsers;
    const std::size_t last = std::min(first + kChunkUsers, options_.users);
    for (std::size_t index = first; index < last; ++index) {
      const std::string name = account_name(index, digits_);
      const std::string password = generated_password(options_.seed, index, options_.space_share);
      const std::string stored = maker_.make(password);
      // One sample per chunk goes back through the registry's verifier, so
      // a file that authd would reject is caught here.
      if (index == first && !StoredValueMaker::verifies(stored, password)) {
        throw std::runtime_error("the registry does not verify the value it made for " + name + " (" +
                                 maker_.scheme() + ")");
      }
      append_entry(out.entries, format_, name, options_.domain, stored);
      append_credential_line(out.credentials, name + "@" + options_.domain, password);
    }
    done_users_ += last - first;
  }

  // Slow schemes take minutes for 100000 users: say how far it got.
  void report_progress_until_done() {
    const auto start = Clock::now();
    auto last_report = start;
    while (finished_workers_ < threads_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      const auto now = Clock::now();
      if (now - last_report >= std::chrono::seconds(10)) {
        last_report = now;
        std::cerr << "gen: " << done_users_ << " of " << options_.users << " users after "
                  << std::chrono::duration_cast<std::chrono::seconds>(now - start).count() << " s\n";
      }
    }
  }
  const Options& options_;
  const FormatSettings& format_;
  const StoredValueMaker& maker_;
  const int digits_;
  std::vector<Chunk> chunks_;
  unsigned threads_ = 1;
  std::atomic<std::size_t> next_chunk_{0};
  std::atomic<std::size_t> done_users_{0};
  std::atomic<unsigned> finished_workers_{0};
  std::atomic<bool> failed_{false};
  std::string failure_;
};

// Written beside the target and renamed over it, so that a reader (authd
// watches its password file) never sees half a file.
void write_file(const std::string& path, const std::string& header, const std::vector<Chunk>& chunks,
                std::string Chunk::*part) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error(temporary + ": cannot create the file");
    out << header;
    for (const Chunk& chunk : chunks) out << chunk.*part;
    out.close();
    if (!out) throw std::runtime_error(temporary + ": write error");
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    throw std::runtime_error("cannot rename " + temporary + " to " + path);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gen: generates test accounts (user000000@example.com, ...) with pseudo-random passwords from a seed, "
               "writes them as a password file for the backend under test, and writes the clear-text credentials "
               "file that authload reads."};
  app.footer(
      "Formats: passwd (authd password file, name@domain:stored), htpasswd (Apache, name:hash without the domain), "
      "ldif (inetOrgPerson entries under --base-dn with userPassword). Salts are random, passwords are not: the same "
      "--seed gives the same credentials for every scheme.\n\n"
      "Example:\n"
      "  gen --users 100000 --scheme SHA512-CRYPT --format passwd --output users.passwd --credentials users.cred");
  Options options;
  app.add_option("--users", options.users, "number of accounts")->check(CLI::Range(1, 10000000))->capture_default_str();
  app.add_option("--seed", options.seed, "seed of the passwords")->capture_default_str();
  app.add_option("--scheme", options.scheme, "password scheme (authd --list-schemes): SSHA, SHA, SHA512-CRYPT, "
                                             "MD5-CRYPT, APR1, BCRYPT, ...")
      ->capture_default_str();
  app.add_option("--rounds", options.rounds,
                 "rounds for SHA256-CRYPT/SHA512-CRYPT, cost for BCRYPT (default: the registry's defaults)");
  app.add_option("--format", options.format, "passwd, htpasswd or ldif")
      ->check(CLI::IsMember({"passwd", "htpasswd", "ldif"}))
      ->capture_default_str();
  app.add_option("--output", options.output, "the password file to write")->required();
  app.add_option("--credentials", options.credentials, "the credentials file to write (name@domain<TAB>password)")
      ->required();
  app.add_option("--domain", options.domain, "domain of every account")->capture_default_str();
  app.add_option("--base-dn", options.base_dn, "ldif: the entries' parent DN")->capture_default_str();
  app.add_flag("--base-entry", options.base_entry, "ldif: also write the entry of --base-dn (an organizationalUnit)");
  app.add_option("--space-share", options.space_share, "fraction of passwords with a space inside")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--threads", options.threads, "threads that hash (default: one per core)")->check(CLI::Range(1, 1024));
  CLI11_PARSE(app, argc, argv);

  if (options.domain.empty() || options.domain.find_first_of("@: \t\r\n") != std::string::npos) {
    std::cerr << "gen: --domain must be a plain domain name such as example.com\n";
    return 2;
  }
  FormatSettings format;
  format.format = *parse_output_format(options.format);
  format.base_dn = options.base_dn;
  format.base_entry = options.base_entry;

  try {
    const StoredValueMaker maker(options.scheme, options.rounds);
    const std::string sample = maker.make("sample");
    if (const std::string problem = unsupported_scheme(format, options.scheme, sample); !problem.empty()) {
      std::cerr << "gen: " << problem << "\n";
      return 2;
    }
    const std::string header =
        file_header(format, "bench/gen: " + std::to_string(options.users) + " users, scheme " + options.scheme +
                                (options.rounds ? " rounds " + std::to_string(*options.rounds) : std::string()) +
                                ", seed " + std::to_string(options.seed));

    const unsigned threads =
        options.threads != 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
    const auto start = Clock::now();
    Generator generator(options, format, maker);
    const std::vector<Chunk> chunks = generator.run(threads);
    write_file(options.output, header, chunks, &Chunk::entries);
    write_file(options.credentials, {}, chunks, &Chunk::credentials);
    std::cerr << "gen: " << options.users << " users (" << options.scheme << ", " << options.format << ") in "
              << std::chrono::duration<double>(Clock::now() - start).count() << " s on " << threads
              << " threads: " << options.output << ", " << options.credentials << "\n";
  } catch (const std::exception& e) {
    std::cerr << "gen: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
