// Runs a fuzz target without libFuzzer, so that every target is exercised as
// an ordinary test: over each file named on the command line (or each file of
// a named directory), over mutations of those files, and over generated
// inputs. Everything comes from a fixed seed, so a failure repeats exactly.
//
//   fuzz_<name> [--generated=N] [file-or-directory...]
#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

// What is running, for the abort handler: it may only use async-signal-safe
// calls, so it gets plain pointers prepared in advance.
const char* current_label = "";
const std::string* current_input = nullptr;

void write_all(int fd, const void* data, std::size_t size) {
  const char* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t written = ::write(fd, bytes, size);
    if (written <= 0) return;
    bytes += written;
    size -= static_cast<std::size_t>(written);
  }
}

void write_text(int fd, const char* text) { write_all(fd, text, std::strlen(text)); }

extern "C" void report_failing_input(int signal_number) {
  write_text(STDERR_FILENO, "fuzz driver: the failing input is ");
  write_text(STDERR_FILENO, current_label);
  write_text(STDERR_FILENO, "; its bytes are saved in ./fuzz-failure.bin\n");
  if (current_input != nullptr) {
    const int fd = ::creat("fuzz-failure.bin", 0600);
    if (fd >= 0) {
      write_all(fd, current_input->data(), current_input->size());
      ::close(fd);
    }
  }
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

void run(const std::string& input, const std::string& label) {
  current_label = label.c_str();
  current_input = &input;
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
  current_input = nullptr;
}

// Pieces of the grammars under test, so that generated inputs reach deep
// paths instead of failing at the first byte.
using namespace std::string_view_literals;
constexpr std::string_view tokens[] = {
    "0",      "00001",  "12345678901234567890", "123456789012345678901", " ",      "  ",      "\t",
    "\n",     "\r\n",   "\r",                   "\0"sv,                    "\"",     "\\",      "\\000",
    "\\255",  "\\256",  "\\065",                "\\2",                   "(IMAP)", "()",      "(",
    ")",      "VRFY",   "vrfy",                 "SASL",                  "SASL(",  "CRAM-MD5", "NEW",
    "QUIT",   "INTF",   "OK",                   "ERROR",                 "FAILURE", "*",      "I: ",
    "O: ",    "I:",     "#",                    "ordered",               "user@example.com",  "\xff",
    "\xc3\xa9", "<1.2@host>",
};

std::string generate(std::mt19937& random) {
  std::string input;
  const unsigned pieces = random() % 40;
  for (unsigned i = 0; i < pieces; ++i) {
    switch (random() % 4) {
      case 0:
        input.push_back(static_cast<char>(random() % 256));
        break;
      case 1:
        // Now and then a run long enough to cross the line limits.
        input.append(random() % 50 == 0 ? 4000 + random() % 6000 : random() % 8, static_cast<char>(random() % 256));
        break;
      default:
        input.append(tokens[random() % std::size(tokens)]);
        break;
    }
  }
  return input;
}

std::string mutate(std::string input, std::mt19937& random) {
  const unsigned edits = 1 + random() % 4;
  for (unsigned i = 0; i < edits; ++i) {
    const std::size_t at = input.empty() ? 0 : random() % (input.size() + 1);
    switch (random() % 4) {
      case 0:
        if (at < input.size()) input[at] = static_cast<char>(random() % 256);
        break;
      case 1:
        if (at < input.size()) input.erase(at, 1 + random() % 8);
        break;
      case 2:
        input.insert(at, tokens[random() % std::size(tokens)]);
        break;
      default:
        input.insert(at, input.substr(0, std::min<std::size_t>(input.size(), random() % 64)));
        break;
    }
  }
  return input;
}

bool read_file(const std::filesystem::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGABRT, report_failing_input);
  std::signal(SIGSEGV, report_failing_input);

  unsigned long generated = 5000;
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--generated=")) {
      generated = std::strtoul(argv[i] + std::strlen("--generated="), nullptr, 10);
      continue;
    }
    std::error_code error;
    if (std::filesystem::is_directory(arg, error)) {
      std::vector<std::filesystem::path> found;
      for (const auto& entry : std::filesystem::directory_iterator(arg)) {
        if (entry.is_regular_file()) found.push_back(entry.path());
      }
      // Directory order differs between file systems; the run must not.
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.emplace_back(arg);
    }
  }

  std::mt19937 random(0x5eed);
  std::vector<std::string> corpus;
  for (const auto& path : files) {
    std::string input;
    if (!read_file(path, input)) {
      std::fprintf(stderr, "fuzz driver: cannot read %s\n", path.c_str());
      return 2;
    }
    run(input, path.string());
    corpus.push_back(std::move(input));
  }
  for (std::size_t i = 0; i < corpus.size(); ++i) {
    for (int round = 0; round < 200; ++round) {
      run(mutate(corpus[i], random), files[i].string() + " mutation " + std::to_string(round));
    }
  }
  for (unsigned long i = 0; i < generated; ++i) run(generate(random), "generated input " + std::to_string(i));

  std::printf("%s: %zu files, %zu mutations, %lu generated inputs: all invariants held\n", argv[0], corpus.size(),
              corpus.size() * 200, generated);
  return 0;
}
