// Subject mapping as streams use it (republish, subject_transform, source
// transforms): `src` selects subjects (wildcards allowed), `dest` rebuilds
// them, referring to src's wildcard tokens as {{wildcard(N)}} or $N (1-based,
// in order of appearance); a trailing '>' in dest takes what src's '>'
// matched. Tokens of dest are copied otherwise.
#pragma once

#include <string>
#include <string_view>

namespace meridian::jetstream {

// `subject` must match `src`; returns the mapped subject (dest itself when
// dest is empty: subject unchanged).
std::string TransformSubject(std::string_view src, std::string_view dest, std::string_view subject);

}  // namespace meridian::jetstream
