// Microbenchmarks of the wire format: what authd's dispatcher does for every
// request (split the input into lines, parse each) and for every answer
// (format it), and what a host does with the answer (parse it).
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>

#include "protocol/line_reader.hpp"
#include "protocol/quoting.hpp"
#include "protocol/request.hpp"
#include "protocol/response.hpp"

namespace {

using namespace authd::protocol;

// As authload sends them: a password that is an atom, and one that must be
// quoted (a tenth of gen's passwords hold a space).
constexpr std::string_view kAtomRequest = "123456 VRFY (IMAP) user012345@example.com y%j5j]717[x";
constexpr std::string_view kQuotedRequest = R"(123457 VRFY (IMAP) user012345@example.com "pass word \"with\\ escapes")";
constexpr std::string_view kRejectText = "incorrect account name or password";

// One read() of a busy host's pipe: this many request lines back to back.
constexpr int kBatchLines = 1000;

std::string request_batch() {
  std::string batch;
  for (int i = 0; i < kBatchLines; ++i) {
    batch.append(std::to_string(i + 1)).append(" VRFY (IMAP) user");
    batch.append(std::to_string(100000 + i)).append("@example.com ");
    append_quoted_argument(batch, i % 10 == 0 ? "with a space" : "Ly%;gg;G?][;Q");
    batch.push_back('\n');
  }
  return batch;
}

void BM_ParseRequest(benchmark::State& state, std::string_view line) {
  for (auto _ : state) {
    ParsedRequest parsed = parse_request(line);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_ParseRequest, vrfy_atom_password, kAtomRequest);
BENCHMARK_CAPTURE(BM_ParseRequest, vrfy_quoted_password, kQuotedRequest);

void BM_SplitLines(benchmark::State& state) {
  const std::string batch = request_batch();
  LineReader reader;
  for (auto _ : state) {
    reader.feed(batch);
    while (const auto line = reader.next()) benchmark::DoNotOptimize(line->text.data());
  }
  state.SetItemsProcessed(state.iterations() * kBatchLines);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(batch.size()));
}
BENCHMARK(BM_SplitLines);

// Split and parse, as the dispatcher reads a batch of requests.
void BM_SplitAndParse(benchmark::State& state) {
  const std::string batch = request_batch();
  LineReader reader;
  for (auto _ : state) {
    reader.feed(batch);
    while (const auto line = reader.next()) {
      ParsedRequest parsed = parse_request(line->text);
      benchmark::DoNotOptimize(parsed);
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatchLines);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(batch.size()));
}
BENCHMARK(BM_SplitAndParse);

void BM_QuoteArgument(benchmark::State& state) {
  std::string out;
  for (auto _ : state) {
    out.clear();
    append_quoted_argument(out, "pass word \"with\\ escapes");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_QuoteArgument);

void BM_AppendResponse(benchmark::State& state, Status status, std::string_view text) {
  std::string out;
  for (auto _ : state) {
    out.clear();
    append_response(out, "123456", status, text);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_AppendResponse, ok, Status::Ok, std::string_view());
BENCHMARK_CAPTURE(BM_AppendResponse, error, Status::Error, kRejectText);

// A batch of answers into one buffer, as for one write().
void BM_AppendResponseBatch(benchmark::State& state) {
  std::string out;
  std::string seqs[kBatchLines];
  for (int i = 0; i < kBatchLines; ++i) seqs[i] = std::to_string(i + 1);
  for (auto _ : state) {
    out.clear();
    for (int i = 0; i < kBatchLines; ++i) {
      append_response(out, seqs[i], i % 10 == 0 ? Status::Error : Status::Ok, i % 10 == 0 ? kRejectText : "");
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kBatchLines);
}
BENCHMARK(BM_AppendResponseBatch);

void BM_ParseResponse(benchmark::State& state, std::string_view line) {
  for (auto _ : state) {
    ParsedResponse parsed = parse_response(line);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_ParseResponse, ok, std::string_view("123456 OK"));
BENCHMARK_CAPTURE(BM_ParseResponse, error, std::string_view("123456 ERROR incorrect account name or password"));

}  // namespace

BENCHMARK_MAIN();
