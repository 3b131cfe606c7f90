// Replays tests/golden/validation.jsonl -- ~110 STREAM.CREATE / UPDATE and
// CONSUMER.CREATE requests sent in order to a fresh nats-server 2.9.10, one
// per validation rule -- through FakeAccount (this library, driven as the
// engine drives it) and expects nats-server's exact response bytes.
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "services/jetstream/api/responses.h"
#include "services/jetstream/api/tests/fake_account.h"
#include "services/jetstream/api/tests/golden_util.h"

namespace meridian::jetstream::api {
namespace {

struct Case {
  std::string subject;
  std::string request;
  std::string response;
};

std::vector<Case> LoadCases() {
  std::vector<Case> cases;
  std::string text = testing::Golden("validation.jsonl");
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    auto v = json::Parse(line);
    EXPECT_TRUE(v.ok()) << line;
    if (!v.ok()) continue;
    cases.push_back(Case{*v->Find("subject")->AsString(), *v->Find("request")->AsString(),
                         *v->Find("response")->AsString()});
  }
  return cases;
}

// What the library answers for one request, as the engine would send it.
std::string Answer(testing::FakeAccount& account, const Case& c, const json::Value& expected) {
  std::vector<std::string> tokens = absl::StrSplit(c.subject, '.');
  if (absl::StartsWith(c.subject, "$JS.API.STREAM.CREATE.")) {
    auto r = account.CreateStream(tokens[4], c.request);
    if (!r.ok()) return ErrorResponse(ResponseType::kStreamCreate, r.error());
    return StreamCreateResponse(testing::InfoFrom(*r, expected), true);
  }
  if (absl::StartsWith(c.subject, "$JS.API.STREAM.UPDATE.")) {
    auto r = account.UpdateStream(tokens[4], c.request);
    if (!r.ok()) return ErrorResponse(ResponseType::kStreamUpdate, r.error());
    return StreamUpdateResponse(testing::InfoFrom(*r, expected));
  }
  if (absl::StartsWith(c.subject, "$JS.API.CONSUMER.")) {
    auto r = account.CreateConsumer(c.subject, c.request);
    if (!r.ok()) return ErrorResponse(ResponseType::kConsumerCreate, r.error());
    auto req = ParseCreateConsumerRequestJson(c.request);
    return ConsumerCreateResponse(testing::ConsumerInfoFrom(req->stream_name, *r, expected));
  }
  ADD_FAILURE() << "unexpected subject " << c.subject;
  return "";
}

TEST(Validation, ReplayMatchesNatsServer) {
  std::vector<Case> cases = LoadCases();
  ASSERT_GT(cases.size(), 100u);
  testing::FakeAccount account;
  int compared = 0;
  for (const Case& c : cases) {
    if (c.response.empty()) {
      // nats-server stayed silent (e.g. DURABLE.CREATE without a consumer
      // token, which no API subscription matches); nothing to compare.
      continue;
    }
    json::Value expected = *json::Parse(c.response);
    std::string got = Answer(account, c, expected);
    EXPECT_EQ(got, c.response) << c.subject << "  " << c.request.substr(0, 200);
    ++compared;
  }
  EXPECT_GT(compared, 100);
}

}  // namespace
}  // namespace meridian::jetstream::api
