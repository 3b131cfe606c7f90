#include "services/jetstream/api/errors_doc.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "services/jetstream/api/errors.h"

namespace meridian::jetstream::api {

std::string RenderErrorsMarkdown() {
  std::string out =
      "# JetStream API errors\n"
      "\n"
      "<!-- Generated from services/jetstream/api/errors.def; do not edit. Regenerate with\n"
      "     ninja -C <build> jetstream_errors_doc &&\n"
      "     <build>/bin/jetstream_errors_doc > docs/jetstream-errors.md -->\n"
      "\n"
      "Every error a `$JS.API` response or a PubAck can carry, as\n"
      "`\"error\":{\"code\":<code>,\"err_code\":<err_code>,\"description\":\"...\"}`.\n"
      "Numbers, identifiers and texts are nats-server's (server/errors.json): the\n"
      "nats-server 2.9.10 text where 2.9.10 has the error, the newer text otherwise.\n"
      "`{placeholders}` are filled in per request. *Origin* `2.9` = present in\n"
      "nats-server 2.9.10; `later` = added after it.\n"
      "\n"
      "| err_code | code | identifier | description | origin |\n"
      "| --- | --- | --- | --- | --- |\n";
  for (const ErrorInfo& e : AllErrors()) {
    std::string description = absl::StrReplaceAll(e.description, {{"|", "\\|"}});
    absl::StrAppend(&out, "| ", e.err_code, " | ", e.code, " | `", e.name, "` | ", description,
                    " | ", e.origin == ErrorOrigin::k29 ? "2.9" : "later", " |\n");
  }
  return out;
}

}  // namespace meridian::jetstream::api
