// Renders docs/jetstream-errors.md from the error table (errors.def).
// Used by the jetstream_errors_doc program and by the test that fails when
// the checked-in doc is stale.
#pragma once

#include <string>

namespace meridian::jetstream::api {

// The whole Markdown document, deterministic.
std::string RenderErrorsMarkdown();

}  // namespace meridian::jetstream::api
