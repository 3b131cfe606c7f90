#include "common/http/router.h"

#include "gtest/gtest.h"

namespace meridian::http {
namespace {

TEST(PathTest, CleanLikeGo) {
  // From Go's path/path_test.go cleantests.
  EXPECT_EQ(CleanPath(""), ".");
  EXPECT_EQ(CleanPath("abc"), "abc");
  EXPECT_EQ(CleanPath("abc/def"), "abc/def");
  EXPECT_EQ(CleanPath("."), ".");
  EXPECT_EQ(CleanPath(".."), "..");
  EXPECT_EQ(CleanPath("../.."), "../..");
  EXPECT_EQ(CleanPath("../../abc"), "../../abc");
  EXPECT_EQ(CleanPath("/abc"), "/abc");
  EXPECT_EQ(CleanPath("/"), "/");
  EXPECT_EQ(CleanPath("abc/"), "abc");
  EXPECT_EQ(CleanPath("/abc/def/"), "/abc/def");
  EXPECT_EQ(CleanPath("//abc"), "/abc");
  EXPECT_EQ(CleanPath("abc//def//ghi"), "abc/def/ghi");
  EXPECT_EQ(CleanPath("abc/./def"), "abc/def");
  EXPECT_EQ(CleanPath("/./abc/def"), "/abc/def");
  EXPECT_EQ(CleanPath("abc/def/ghi/../jkl"), "abc/def/jkl");
  EXPECT_EQ(CleanPath("abc/def/../ghi/../jkl"), "abc/jkl");
  EXPECT_EQ(CleanPath("abc/def/.."), "abc");
  EXPECT_EQ(CleanPath("abc/def/../.."), ".");
  EXPECT_EQ(CleanPath("/abc/def/../.."), "/");
  EXPECT_EQ(CleanPath("abc/def/../../.."), "..");
  EXPECT_EQ(CleanPath("/abc/def/../../.."), "/");
  EXPECT_EQ(CleanPath("abc/def/../../../ghi/jkl/../../../mno"), "../../mno");
  EXPECT_EQ(CleanPath("abc/./../def"), "def");
  EXPECT_EQ(CleanPath("abc//./../def"), "def");
  EXPECT_EQ(CleanPath("abc/../../././../def"), "../../def");
}

TEST(PathTest, JoinAndBasePath) {
  EXPECT_EQ(JoinPath("/", "/varz"), "/varz");
  EXPECT_EQ(JoinPath("/nats", "/varz"), "/nats/varz");
  EXPECT_EQ(JoinPath("/nats", "/"), "/nats");
  EXPECT_EQ(JoinPath("/", "/"), "/");
  EXPECT_EQ(JoinPath("", "x"), "x");
  EXPECT_EQ(NormalizeBasePath(""), "/");
  EXPECT_EQ(NormalizeBasePath("/"), "/");
  EXPECT_EQ(NormalizeBasePath("nats"), "/nats");
  EXPECT_EQ(NormalizeBasePath("/nats/"), "/nats");
  EXPECT_EQ(NormalizeBasePath("//a/./b/"), "/a/b");
}

Request Get(std::string path) {
  Request r;
  r.method = "GET";
  r.path = std::move(path);
  return r;
}

TEST(RouterTest, ExactMatchAnd404) {
  Router router;
  router.Add("/varz", [](const Request&, Response* resp) { resp->SetJson("{}"); });
  router.Add("/", [](const Request&, Response* resp) { resp->SetText("root"); });
  Response a;
  router.Dispatch(Get("/varz"), &a);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "{}");
  Response root;
  router.Dispatch(Get("/"), &root);
  EXPECT_EQ(root.body, "root");
  for (const char* miss : {"/varz/", "/VARZ", "/nope", "/varzz", ""}) {
    Response r;
    router.Dispatch(Get(miss), &r);
    EXPECT_EQ(r.status, 404) << miss;
    EXPECT_EQ(r.body, "404 page not found\n");
    EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
    ASSERT_EQ(r.headers.size(), 1u);
    EXPECT_EQ(r.headers[0].first, "X-Content-Type-Options");
    EXPECT_EQ(r.headers[0].second, "nosniff");
  }
}

TEST(RouterTest, BasePathPrefixesEveryRoute) {
  Router router("nats/");
  EXPECT_EQ(router.base_path(), "/nats");
  router.Add("/varz", [](const Request&, Response* resp) { resp->SetText("varz"); });
  router.Add("/", [](const Request&, Response* resp) { resp->SetText("root"); });
  EXPECT_EQ(router.PathFor("/connz"), "/nats/connz");
  Response r1, r2, r3, r4;
  router.Dispatch(Get("/nats/varz"), &r1);
  router.Dispatch(Get("/nats"), &r2);
  router.Dispatch(Get("/varz"), &r3);
  router.Dispatch(Get("/nats/"), &r4);
  EXPECT_EQ(r1.body, "varz");
  EXPECT_EQ(r2.body, "root");
  EXPECT_EQ(r3.status, 404);
  EXPECT_EQ(r4.status, 404);  // Go's mux: "/nats" is an exact pattern
}

TEST(RouterTest, RespondJsonAndJsonp) {
  Request plain = Get("/varz");
  Response r;
  RespondJson(plain, 200, "{\"a\":1}", &r);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, "{\"a\":1}");
  Request jsonp = Get("/varz");
  jsonp.query = {{"callback", "cb"}};
  Response j;
  RespondJson(jsonp, 503, "{}", &j);
  EXPECT_EQ(j.status, 503);
  EXPECT_EQ(j.content_type, "application/javascript");
  EXPECT_EQ(j.body, "cb({})");
}

}  // namespace
}  // namespace meridian::http
