#include "services/jetstream/api/errors.h"

#include <fstream>
#include <set>
#include <sstream>

#include "gtest/gtest.h"
#include "services/jetstream/api/errors_doc.h"
#include "services/jetstream/api/tests/golden_util.h"

namespace meridian::jetstream::api {
namespace {

TEST(Errors, TableIsSortedUniqueAndIndexedById) {
  const auto& all = AllErrors();
  ASSERT_GE(all.size(), 226u);
  std::set<absl::string_view> names;
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(static_cast<size_t>(all[i].id), i);
    EXPECT_EQ(&Lookup(all[i].id), &all[i]);
    if (i > 0) {
      EXPECT_LT(all[i - 1].err_code, all[i].err_code) << all[i].name;
    }
    EXPECT_TRUE(names.insert(all[i].name).second) << all[i].name;
    EXPECT_EQ(FindByErrCode(all[i].err_code), all[i].id);
  }
  EXPECT_FALSE(FindByErrCode(1).has_value());
}

TEST(Errors, CodesClientsDependOn) {
  struct Row {
    ErrorId id;
    int code;
    uint16_t err_code;
    const char* description;
  };
  const Row rows[] = {
      {ErrorId::JSBadRequestErr, 400, 10003, "bad request"},
      {ErrorId::JSClusterNotAvailErr, 503, 10008, "JetStream system temporarily unavailable"},
      {ErrorId::JSConsumerCreateErrF, 500, 10012, "{err}"},
      {ErrorId::JSConsumerNameExistErr, 400, 10013, "consumer name already in use"},
      {ErrorId::JSConsumerNotFoundErr, 404, 10014, "consumer not found"},
      {ErrorId::JSInsufficientResourcesErr, 503, 10023, "insufficient resources"},
      {ErrorId::JSInvalidJSONErr, 400, 10025, "invalid JSON"},
      {ErrorId::JSMaximumConsumersLimitErr, 400, 10026, "maximum consumers limit reached"},
      {ErrorId::JSMemoryResourcesExceededErr, 500, 10028,
       "insufficient memory resources available"},
      {ErrorId::JSNoMessageFoundErr, 404, 10037, "no message found"},
      {ErrorId::JSNotEnabledForAccountErr, 503, 10039, "JetStream not enabled for account"},
      {ErrorId::JSStorageResourcesExceededErr, 500, 10047,
       "insufficient storage resources available"},
      {ErrorId::JSStreamInvalidConfigF, 500, 10052, "{err}"},
      {ErrorId::JSStreamMismatchErr, 400, 10056, "stream name in subject does not match request"},
      {ErrorId::JSStreamNameExistErr, 400, 10058,
       "stream name already in use with a different configuration"},
      {ErrorId::JSStreamNotFoundErr, 404, 10059, "stream not found"},
      {ErrorId::JSStreamNotMatchErr, 400, 10060, "expected stream does not match"},
      {ErrorId::JSStreamSubjectOverlapErr, 400, 10065, "subjects overlap with an existing stream"},
      {ErrorId::JSStreamWrongLastMsgIDErrF, 400, 10070, "wrong last msg ID: {id}"},
      {ErrorId::JSStreamWrongLastSequenceErrF, 400, 10071, "wrong last sequence: {seq}"},
      {ErrorId::JSNotEnabledErr, 503, 10076, "JetStream not enabled"},
      {ErrorId::JSStreamStoreFailedF, 503, 10077, "{err}"},
      {ErrorId::JSConsumerWQRequiresExplicitAckErr, 400, 10098,
       "workqueue stream requires explicit ack"},
      {ErrorId::JSConsumerWQMultipleUnfilteredErr, 400, 10099,
       "multiple non-filtered consumers not allowed on workqueue stream"},
      {ErrorId::JSConsumerWQConsumerNotUniqueErr, 400, 10100,
       "filtered consumer not unique on workqueue stream"},
      {ErrorId::JSStreamRollupFailedF, 500, 10111, "{err}"},
      {ErrorId::JSConsumerCreateFilterSubjectMismatchErr, 400, 10131,
       "Consumer create request did not match filtered subject from create subject"},
      {ErrorId::JSConsumerCreateDurableAndNameMismatch, 400, 10132,
       "Consumer Durable and Name have to be equal if both are provided"},
      {ErrorId::JSConsumerDuplicateFilterSubjects, 400, 10136,
       "consumer cannot have both FilterSubject and FilterSubjects specified"},
      {ErrorId::JSConsumerOverlappingSubjectFilters, 400, 10138,
       "consumer subject filters cannot overlap"},
      {ErrorId::JSConsumerAlreadyExists, 400, 10148, "consumer already exists"},
      {ErrorId::JSConsumerDoesNotExist, 400, 10149, "consumer does not exist"},
      {ErrorId::JSPedanticErrF, 400, 10157, "pedantic mode: {err}"},
      {ErrorId::JSStreamDuplicateMessageConflict, 409, 10158, "duplicate message id is in process"},
      {ErrorId::JSStreamWrongLastSequenceConstantErr, 400, 10164, "wrong last sequence"},
      {ErrorId::JSMessageTTLDisabledErr, 400, 10166, "per-message TTL is disabled"},
      {ErrorId::JSRequiredApiLevelErr, 412, 10185, "JetStream minimum api level required"},
  };
  for (const Row& r : rows) {
    const ErrorInfo& e = Lookup(r.id);
    EXPECT_EQ(e.code, r.code) << e.name;
    EXPECT_EQ(e.err_code, r.err_code) << e.name;
    EXPECT_EQ(e.description, r.description) << e.name;
  }
  EXPECT_EQ(Lookup(ErrorId::JSStreamNotFoundErr).origin, ErrorOrigin::k29);
  EXPECT_EQ(Lookup(ErrorId::JSMessageTTLDisabledErr).origin, ErrorOrigin::kLater);
}

TEST(Errors, MakeFillsPlaceholdersInOrder) {
  ApiError e = Make(ErrorId::JSStreamWrongLastSequenceErrF, 42);
  EXPECT_EQ(e, (ApiError{400, 10071, "wrong last sequence: 42"}));
  e = Make(ErrorId::JSStreamExternalDelPrefixOverlapsErrF, "dlv", "foo.>");
  EXPECT_EQ(e.description,
            "stream external delivery prefix dlv overlaps with stream subject foo.>");
  e = Make(ErrorId::JSStreamInvalidConfigF, "max age needs to be >= 100ms");
  EXPECT_EQ(e.code, 500);
  EXPECT_EQ(e.description, "max age needs to be >= 100ms");
  // Missing arguments leave the placeholder; an argument is not re-scanned.
  EXPECT_EQ(Make(ErrorId::JSStreamWrongLastMsgIDErrF).description, "wrong last msg ID: {id}");
  EXPECT_EQ(Make(ErrorId::JSStreamWrongLastMsgIDErrF, "{seq}").description,
            "wrong last msg ID: {seq}");
  EXPECT_TRUE(Is(e, ErrorId::JSStreamInvalidConfigF));
  EXPECT_FALSE(Is(e, ErrorId::JSStreamNotFoundErr));
}

TEST(Errors, WriteApiErrorOmitsEmptyFields) {
  std::string out;
  json::Writer w(&out);
  WriteApiError(w, ApiError{503, 0, ""});
  EXPECT_EQ(out, R"({"code":503})");
  out.clear();
  json::Writer w2(&out);
  WriteApiError(w2, Make(ErrorId::JSStreamInvalidConfigF, "a <b> & c"));
  EXPECT_EQ(out, R"({"code":500,"err_code":10052,"description":"a \u003cb\u003e \u0026 c"})");
}

TEST(ErrorsDoc, CheckedInDocIsCurrent) {
  std::string path = testing::SourceDir() + "/docs/jetstream-errors.md";
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), RenderErrorsMarkdown())
      << path << " is stale; regenerate it from services/jetstream/api/errors.def:\n"
      << "  ninja -C build/<dir> jetstream_errors_doc\n"
      << "  build/<dir>/bin/jetstream_errors_doc > docs/jetstream-errors.md";
}

}  // namespace
}  // namespace meridian::jetstream::api
