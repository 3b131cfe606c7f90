// Runs the fuzz body deterministically: the seed corpus, mutations of it,
// and a few thousand generated inputs (seeded), so CI covers the fuzz
// invariants without clang/libFuzzer.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "common/protocol/tests/fuzz_body.h"

namespace meridian::protocol::testing {
namespace {

std::vector<std::string> LoadCorpus() {
  std::vector<std::string> out;
  for (const auto& entry :
       std::filesystem::directory_iterator(MERIDIAN_PROTOCOL_CORPUS_DIR)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream f(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    out.push_back(ss.str());
  }
  return out;
}

void Check(const std::string& input) {
  std::string violation = CheckParserInvariants(
      reinterpret_cast<const uint8_t*>(input.data()), input.size());
  ASSERT_EQ(violation, "") << "input of " << input.size() << " bytes";
}

// Protocol-shaped text with random fields, blanks, case and corruptions.
class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  std::string Input() {
    std::string s(1, static_cast<char>(Pick(256)));  // options byte
    const int ops = 1 + Pick(12);
    for (int i = 0; i < ops; ++i) s += Op();
    if (Pick(4) == 0) Corrupt(&s);
    return s;
  }

 private:
  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  std::string Token() {
    static const char* kTokens[] = {"foo",   "bar.baz",   "*",     ">",
                                    "a.*.c", "_INBOX.x",  "q",     "1",
                                    "22",    "$JS.API.>", "x\xff", ""};
    return kTokens[Pick(12)];
  }
  std::string Blank() {
    static const char* kBlanks[] = {" ", " ", "\t", "  ", " \t "};
    return kBlanks[Pick(5)];
  }
  std::string Eol() { return Pick(6) == 0 ? "\n" : "\r\n"; }
  std::string Case(std::string op) {
    for (char& c : op) {
      if (Pick(3) == 0 && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    }
    return op;
  }
  std::string Size(size_t n) {
    switch (Pick(12)) {
      case 0:
        return std::to_string(n + 1);
      case 1:
        return "x";
      case 2:
        return "0" + std::to_string(n);
      default:
        return std::to_string(n);
    }
  }
  std::string Payload() {
    std::string p(Pick(4) == 0 ? Pick(300) : Pick(20), 'a');
    for (char& c : p) c = static_cast<char>(Pick(256));
    return p;
  }
  std::string Headers() {
    std::string h = "NATS/1.0";
    if (Pick(2)) h += " 503";
    h += "\r\n";
    if (Pick(2)) h += "K: v\r\n";
    return h + "\r\n";
  }

  std::string Op() {
    switch (Pick(14)) {
      case 0:
        return Case("CONNECT") + Blank() + "{\"verbose\":false}" + Eol();
      case 1: {
        std::string p = Payload();
        std::string reply = Pick(2) ? Blank() + Token() : "";
        return Case("PUB") + Blank() + Token() + reply + Blank() +
               Size(p.size()) + Eol() + p + "\r\n";
      }
      case 2: {
        std::string h = Headers();
        std::string p = Payload();
        std::string reply = Pick(2) ? Blank() + Token() : "";
        return Case("HPUB") + Blank() + Token() + reply + Blank() +
               Size(h.size()) + Blank() + Size(h.size() + p.size()) + Eol() +
               h + p + "\r\n";
      }
      case 3: {
        std::string q = Pick(2) ? Blank() + Token() : "";
        return Case("SUB") + Blank() + Token() + q + Blank() + Token() + Eol();
      }
      case 4: {
        std::string max = Pick(2) ? Blank() + Size(Pick(5)) : "";
        return Case("UNSUB") + Blank() + Token() + max + Eol();
      }
      case 5:
        return Case("PING") + Eol();
      case 6:
        return Case("PONG") + Eol();
      case 7:
        return "+" + Case("OK") + Eol();
      case 8:
        return "-" + Case("ERR") + Blank() + "'Unknown Protocol Operation'" +
               Eol();
      case 9:
        return Case("INFO") + Blank() + "{\"server_id\":\"N\"} " + Eol();
      case 10: {
        std::string p = Payload();
        std::string reply = Pick(2) ? Blank() + Token() : "";
        return Case("MSG") + Blank() + Token() + Blank() + Token() + reply +
               Blank() + Size(p.size()) + Eol() + p + "\r\n";
      }
      case 11: {
        std::string h = Headers();
        std::string p = Payload();
        return Case("HMSG") + Blank() + Token() + Blank() + Token() + Blank() +
               Size(h.size()) + Blank() + Size(h.size() + p.size()) + Eol() +
               h + p + "\r\n";
      }
      case 12:
        return Case("SUB") + Blank() + std::string(Pick(100), 'l') + " 1" +
               Eol();
      default: {
        std::string junk = Payload();
        return junk + Eol();
      }
    }
  }

  void Corrupt(std::string* s) {
    if (s->size() < 2) return;
    size_t at = 1 + Pick(static_cast<int>(s->size() - 1));
    switch (Pick(3)) {
      case 0:
        (*s)[at] = static_cast<char>(Pick(256));
        break;
      case 1:
        s->erase(at, 1);
        break;
      default:
        s->resize(at);
        break;
    }
  }

  std::mt19937 rng_;
};

TEST(ParserFuzzTest, SeedCorpus) {
  std::vector<std::string> corpus = LoadCorpus();
  ASSERT_GE(corpus.size(), 5u);
  for (const std::string& input : corpus) Check(input);
}

TEST(ParserFuzzTest, CorpusMutations) {
  std::vector<std::string> corpus = LoadCorpus();
  std::mt19937 rng(7);
  for (int i = 0; i < 1500; ++i) {
    std::string s = corpus[rng() % corpus.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      size_t at = rng() % s.size();
      switch (rng() % 4) {
        case 0:
          s[at] = static_cast<char>(rng());
          break;
        case 1:
          s.erase(at, 1 + rng() % 4);
          break;
        case 2:
          s.insert(at, corpus[rng() % corpus.size()].substr(1, rng() % 40));
          break;
        default:
          s.insert(at, 1, "\r\n \t0*>."[rng() % 8]);
          break;
      }
    }
    Check(s);
  }
}

TEST(ParserFuzzTest, GeneratedProtocolText) {
  Generator gen(20240601);
  for (int i = 0; i < 3000; ++i) Check(gen.Input());
}

TEST(ParserFuzzTest, RandomBytes) {
  std::mt19937 rng(99);
  for (int i = 0; i < 1000; ++i) {
    std::string s(rng() % 200, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    Check(s);
  }
}

}  // namespace
}  // namespace meridian::protocol::testing
