// Micro-benchmarks of the RESP hot path: parsing pipelined requests and encoding replies.
#include <benchmark/benchmark.h>

#include <string>

#include "protocol/reply_writer.h"
#include "protocol/request_parser.h"

namespace latchkey {
namespace {

std::string PipelinedSets(int count, size_t value_size) {
  std::string value(value_size, 'v');
  std::string out;
  for (int i = 0; i < count; ++i) {
    std::string key = "key:" + std::to_string(i);
    out += "*3\r\n$3\r\nSET\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n$" +
           std::to_string(value.size()) + "\r\n" + value + "\r\n";
  }
  return out;
}

void BM_ParsePipelinedSet(benchmark::State& state) {
  const std::string input = PipelinedSets(16, static_cast<size_t>(state.range(0)));
  ParserLimits limits;
  RequestParser parser(&limits);
  for (auto _ : state) {
    size_t pos = 0;
    while (pos < input.size()) {
      size_t consumed = 0;
      auto r = parser.Parse(input.data() + pos, input.size() - pos, true, &consumed);
      benchmark::DoNotOptimize(parser.args().data());
      pos += consumed;
      if (r != RequestParser::Result::kRequest) break;
    }
  }
  state.SetItemsProcessed(state.iterations() * 16);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(input.size()));
}
BENCHMARK(BM_ParsePipelinedSet)->Arg(16)->Arg(200)->Arg(4096);

void BM_ParseInline(benchmark::State& state) {
  const std::string input = "SET key:12345 \"some value\"\r\n";
  ParserLimits limits;
  RequestParser parser(&limits);
  for (auto _ : state) {
    size_t consumed = 0;
    parser.Parse(input.data(), input.size(), true, &consumed);
    benchmark::DoNotOptimize(parser.args().data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseInline);

void BM_EncodeBulkReplies(benchmark::State& state) {
  std::string out;
  ReplyWriter writer(&out);
  const std::string value(200, 'v');
  for (auto _ : state) {
    out.clear();
    for (int i = 0; i < 16; ++i) writer.Bulk(value);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 16);
}
BENCHMARK(BM_EncodeBulkReplies);

}  // namespace
}  // namespace latchkey
