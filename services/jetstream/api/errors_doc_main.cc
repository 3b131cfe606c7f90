// Prints docs/jetstream-errors.md (see errors_doc.h):
//   jetstream_errors_doc > docs/jetstream-errors.md
#include <cstdio>

#include "services/jetstream/api/errors_doc.h"

int main() {
  const std::string doc = meridian::jetstream::api::RenderErrorsMarkdown();
  std::fwrite(doc.data(), 1, doc.size(), stdout);
  return 0;
}
